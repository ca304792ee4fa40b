"""Shopify settings in one place: app credentials (with secret rotation), addresses and the HTTP client."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

SHOP_DOMAIN_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")
DEFAULT_SHOP_URL = "https://{shop}"


class InvalidShopDomain(ValueError):
    """The value is not a ``<name>.myshopify.com`` domain."""


def shop_domain_clean(value: str) -> str:
    """The shop domain, lower-cased, or :class:`InvalidShopDomain` for anything else (URLs, other hosts)."""
    domain = (value or "").strip().lower()
    if not SHOP_DOMAIN_RE.match(domain):
        raise InvalidShopDomain(f"{value!r} is not a shop domain of the form <name>.myshopify.com")
    return domain


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    secret: str
    previous_secret: str | None  # set only while the rotation grace period lasts

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.secret, self.previous_secret) if self.previous_secret else (self.secret,)

    def as_library_config(self) -> dict[str, str | None]:
        """The configuration dict the ``shopify_app`` library functions take."""
        return {"client_id": self.client_id, "client_secret": self.secret,
                "old_client_secret": self.previous_secret}


def app_credentials(now: datetime | None = None) -> AppCredentials:
    if not settings.SHOPIFY_API_KEY or not settings.SHOPIFY_API_SECRET:
        raise ImproperlyConfigured("SHOPIFY_API_KEY and SHOPIFY_API_SECRET must be set to talk to Shopify")
    return AppCredentials(
        client_id=settings.SHOPIFY_API_KEY,
        secret=settings.SHOPIFY_API_SECRET,
        previous_secret=_previous_secret_in_grace(now or timezone.now()),
    )


def _previous_secret_in_grace(now: datetime) -> str | None:
    previous = settings.SHOPIFY_API_SECRET_PREVIOUS
    if not previous:
        return None
    rotated_at_text = settings.SHOPIFY_API_SECRET_ROTATED_AT
    if not rotated_at_text:
        raise ImproperlyConfigured(
            "SHOPIFY_API_SECRET_PREVIOUS is set without SHOPIFY_API_SECRET_ROTATED_AT: set the rotation time "
            "(ISO 8601) so the old secret stops being accepted after the grace period"
        )
    try:
        rotated_at = datetime.fromisoformat(rotated_at_text)
    except ValueError:
        raise ImproperlyConfigured(
            f"SHOPIFY_API_SECRET_ROTATED_AT={rotated_at_text!r} is not an ISO 8601 date-time"
        ) from None
    if timezone.is_naive(rotated_at):
        rotated_at = rotated_at.replace(tzinfo=UTC)
    if now - rotated_at > timedelta(seconds=settings.SHOPIFY_SECRET_ROTATION_GRACE):
        return None
    return previous


def shop_url(shop_domain: str) -> str:
    """Base address of one shop (``https://<shop>`` in production)."""
    return settings.SHOPIFY_SHOP_URL.format(shop=shop_domain).rstrip("/")


def graphql_url(shop_domain: str) -> str:
    return f"{shop_url(shop_domain)}/admin/api/{settings.SHOPIFY_API_VERSION}/graphql.json"


def token_url(shop_domain: str) -> str:
    return f"{shop_url(shop_domain)}/admin/oauth/access_token"


def http_timeout() -> httpx.Timeout:
    return httpx.Timeout(settings.SHOPIFY_READ_TIMEOUT, connect=settings.SHOPIFY_CONNECT_TIMEOUT)


class ShopRoutingTransport(httpx.BaseTransport):
    """Routes ``https://<shop>.myshopify.com/...`` to ``SHOPIFY_SHOP_URL``.

    The ``shopify_app`` library builds token endpoint addresses itself; this transport is how its requests
    reach a non-default host (a local Shopify stand-in) without patching the library.
    """

    def __init__(self, template: str, inner: httpx.BaseTransport) -> None:
        self._template = template
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https" and SHOP_DOMAIN_RE.match(request.url.host):
            base = httpx.URL(self._template.format(shop=request.url.host).rstrip("/"))
            request.url = base.copy_with(path=base.path + request.url.path, query=request.url.query or None)
            request.headers["Host"] = request.url.netloc.decode("ascii")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


_client: tuple[tuple[str, float, float], httpx.Client] | None = None
_client_lock = threading.Lock()


def http_client() -> httpx.Client:
    """A pooled client with explicit timeouts, shared by the process; rebuilt when the settings change."""
    global _client
    template = settings.SHOPIFY_SHOP_URL
    key = (template, settings.SHOPIFY_CONNECT_TIMEOUT, settings.SHOPIFY_READ_TIMEOUT)
    with _client_lock:
        if _client is not None and _client[0] == key:
            return _client[1]
        if _client is not None:
            _client[1].close()
        transport: httpx.BaseTransport = httpx.HTTPTransport(retries=0)
        if template != DEFAULT_SHOP_URL:
            transport = ShopRoutingTransport(template, transport)
        client = httpx.Client(timeout=http_timeout(), transport=transport, follow_redirects=False)
        _client = (key, client)
        return client
