"""Webhook verification: the HMAC of the raw body first, then the headers every delivery carries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shopify_app

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
    return WebhookDelivery(
        topic=topic, shop_domain=shop_domain, webhook_id=webhook_id,
        event_id=headers.get("X-Shopify-Event-Id", ""), api_version=headers.get("X-Shopify-API-Version", ""),
        triggered_at=_triggered_at(headers.get("X-Shopify-Triggered-At", "")), payload=payload,
    )
