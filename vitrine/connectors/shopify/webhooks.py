"""Webhook verification: the HMAC of the raw body first, then the headers every delivery carries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shopify_app
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from vitrine.connectors.shopify import config

# Subscribed at install (webhookSubscriptionCreate); the compliance topics come from the app configuration.
SUBSCRIBED_TOPICS = {
    "PRODUCTS_CREATE": "products/create",
    "PRODUCTS_UPDATE": "products/update",
    "PRODUCTS_DELETE": "products/delete",
    "APP_UNINSTALLED": "app/uninstalled",
    "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
}
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
# Topics that act on a whole shop: the HMAC covers the body, not the headers, so the shop named in the signed
# body must be the shop in X-Shopify-Shop-Domain (else a captured body could be relabelled for another shop).
_SHOP_IN_BODY = {
    "customers/data_request": "shop_domain",
    "customers/redact": "shop_domain",
    "shop/redact": "shop_domain",
    "app/uninstalled": "myshopify_domain",
}
# What each topic's body must hold (key: accepted types) before anything acts on it.
_PAYLOAD_SHAPES: dict[str, dict[str, tuple[type, ...]]] = {
    "products/create": {"id": (int,)},
    "products/update": {"id": (int,)},
    "products/delete": {"id": (int,)},
    "app/uninstalled": {"id": (int,), "myshopify_domain": (str,)},
    "bulk_operations/finish": {"admin_graphql_api_id": (str,), "status": (str,)},
    "shop/redact": {"shop_id": (int,), "shop_domain": (str,)},
    "customers/redact": {"shop_id": (int,), "shop_domain": (str,), "customer": (dict,)},
    "customers/data_request": {"shop_id": (int,), "shop_domain": (str,), "customer": (dict,)},
}
# A delivery may be triggered at most this far in our future (clock skew), in seconds.
_CLOCK_SKEW = 300


class WebhookRejected(Exception):
    def __init__(self, reason: str, *, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class WebhookDelivery:
    topic: str
    shop_domain: str
    webhook_id: str
    event_id: str
    api_version: str
    triggered_at: datetime | None
    payload: dict[str, Any]


def _triggered_at(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def delivery_verify(*, headers: Mapping[str, str], body: bytes, url: str) -> WebhookDelivery:
    """The delivery, or :class:`WebhookRejected`: 401 for a missing or wrong HMAC (the compliance
    webhooks require exactly that), 400 for a signed delivery that lacks what every delivery carries."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected("body is not UTF-8 text", status=401) from None
    result = shopify_app.verify_webhook_req(
        {"method": "POST", "headers": dict(headers), "url": url, "body": text},
        config.app_credentials().as_library_config(),
    )
    if not result.ok:
        raise WebhookRejected(result.log.detail, status=401)
    topic = headers.get("X-Shopify-Topic", "")
    webhook_id = headers.get("X-Shopify-Webhook-Id", "")
    if not topic or not webhook_id:
        raise WebhookRejected("X-Shopify-Topic and X-Shopify-Webhook-Id are required", status=400)
    try:
        shop_domain = config.shop_domain_clean(headers.get("X-Shopify-Shop-Domain", ""))
    except config.InvalidShopDomain as exc:
        raise WebhookRejected(str(exc), status=400) from exc
    try:
        payload = json.loads(text or "{}")
    except ValueError:
        raise WebhookRejected("body is not JSON", status=400) from None
    if not isinstance(payload, dict):
        raise WebhookRejected("body is not a JSON object", status=400)
    triggered_at = _triggered_at(headers.get("X-Shopify-Triggered-At", ""))
    _check_fresh(triggered_at)
    _check_shape(topic, payload)
    _check_shop(topic, shop_domain, payload)
    return WebhookDelivery(
        topic=topic, shop_domain=shop_domain, webhook_id=webhook_id,
        event_id=headers.get("X-Shopify-Event-Id", ""), api_version=headers.get("X-Shopify-API-Version", ""),
        triggered_at=triggered_at, payload=payload,
    )


def _check_fresh(triggered_at: datetime | None) -> None:
    """A replayed delivery (captured, resent later under a new webhook id) is refused once it is older than
    ``SHOPIFY_WEBHOOK_MAX_AGE``; the window covers Shopify's own retries."""
    if triggered_at is None or triggered_at.tzinfo is None:
        raise WebhookRejected("X-Shopify-Triggered-At is missing or not an ISO 8601 time", status=400)
    age = (timezone.now() - triggered_at).total_seconds()
    if age > settings.SHOPIFY_WEBHOOK_MAX_AGE or age < -_CLOCK_SKEW:
        raise WebhookRejected(
            f"delivery triggered at {triggered_at.isoformat()} is outside the accepted window of "
            f"{settings.SHOPIFY_WEBHOOK_MAX_AGE} s", status=400)


def _check_shape(topic: str, payload: dict[str, Any]) -> None:
    for key, types in _PAYLOAD_SHAPES.get(topic, {}).items():
        value = payload.get(key)
        if not isinstance(value, types) or isinstance(value, bool):
            kind = " or ".join(t.__name__ for t in types)
            raise WebhookRejected(f"{topic} body needs {key!r} ({kind})", status=400)


def _check_shop(topic: str, shop_domain: str, payload: dict[str, Any]) -> None:
    key = _SHOP_IN_BODY.get(topic)
    if key is None:
        return
    try:
        signed = config.shop_domain_clean(str(payload.get(key, "")))
    except config.InvalidShopDomain:
        signed = ""
    if signed != shop_domain:
        raise WebhookRejected(f"{topic} body is for another shop than X-Shopify-Shop-Domain", status=401)


def webhook_body(request: HttpRequest) -> bytes:
    """The raw body, up to ``SHOPIFY_WEBHOOK_MAX_BYTES``: Shopify's largest deliveries exceed Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, which stays in force for every other endpoint. Raises WebhookRejected
    (413) beyond the limit."""
    limit = settings.SHOPIFY_WEBHOOK_MAX_BYTES
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        raise WebhookRejected(f"body is larger than {limit} bytes", status=413)
    # Read from the stream directly: ``request.body`` applies the site-wide limit.
    data = request.read(limit + 1)
    if len(data) > limit:
        raise WebhookRejected(f"body is larger than {limit} bytes", status=413)
    return data
