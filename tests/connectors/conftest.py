"""Fixtures for the Shopify connector tests: a fake Shopify on loopback and a shop installed against it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from django.test import Client
from django.utils import timezone

from tests.fakes.shopify import FakeShopify, SignedWebhook
from vitrine.connectors.services import credential_store
from vitrine.platform import events
from vitrine.platform.models import Market, Shop

CLIENT_ID = "vitrine-test-client"
CLIENT_SECRET = "shpss_0123456789abcdef0123456789abcdef"
SHOP_DOMAIN = "acme.myshopify.com"
WEBHOOK_PATH = "/connectors/shopify/webhooks"
FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fakes" / "shopify" / "fixtures"


@pytest.fixture
def fake_shopify() -> Iterator[FakeShopify]:
    with FakeShopify(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake:
        fake.add_shop(SHOP_DOMAIN, name="Acme")
        yield fake


@pytest.fixture
def shopify_settings(settings, fake_shopify: FakeShopify) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    settings.SHOPIFY_API_KEY = CLIENT_ID
    settings.SHOPIFY_API_SECRET = CLIENT_SECRET
    settings.SHOPIFY_API_SECRET_PREVIOUS = ""
    settings.SHOPIFY_API_SECRET_ROTATED_AT = ""
    settings.SHOPIFY_SHOP_URL = fake_shopify.shop_url_template
    # A bucket of its own per test (in Redis when REDIS_URL is set, in-process otherwise).
    prefix = f"vitrine-test:{uuid.uuid4().hex}:"
    settings.SHOPIFY_RATE_LIMIT_KEY_PREFIX = prefix
    settings.SHOPIFY_MEDIA_POLL_INTERVAL = 0.01
    settings.SHOPIFY_BULK_POLL_INTERVAL = 0.01
    settings.SHOPIFY_CONNECT_TIMEOUT = 2.0
    settings.SHOPIFY_READ_TIMEOUT = 10.0
    settings.SHOPIFY_THROTTLE_MAX_WAIT = 30.0
    settings.APP_URL = "https://vitrine.example"
    yield settings
    if settings.REDIS_URL:
        client = redis_lib.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def shopify_shop(db, fake_shopify: FakeShopify, shopify_settings) -> Shop:  # type: ignore[no-untyped-def]
    """A shop that finished installing: a Shop row, two markets and an expiring offline token pair."""
    now = timezone.now()
    shop = Shop.objects.create(provider="shopify", external_id=SHOP_DOMAIN, name="Acme", installed_at=now)
    Market.objects.create(shop=shop, locale="en-US", region="US", name="United States")
    Market.objects.create(shop=shop, locale="de-DE", region="DE", name="Germany")
    tokens = fake_shopify.mint_tokens(SHOP_DOMAIN)
    credential_store(shop=shop, access_token=tokens["access_token"], scope=tokens["scope"],
                     access_expires_at=now + timedelta(seconds=tokens["expires_in"]),
                     refresh_token=tokens["refresh_token"],
                     refresh_expires_at=now + timedelta(seconds=tokens["refresh_token_expires_in"]))
    return shop


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Events are recorded but not handed to the handlers of other apps: these tests stop at the events
    the connector emits."""
    sent: list[int] = []
    monkeypatch.setattr(events, "dispatch", lambda event_id: sent.append(event_id) or True)
    return sent


def fixture_payload(topic: str) -> dict[str, Any]:
    return json.loads((FIXTURES_DIR / f"{topic}.json").read_text())


@pytest.fixture
def deliver(client: Client, django_capture_on_commit_callbacks) -> Callable[[SignedWebhook], Any]:  # type: ignore[no-untyped-def]
    """Post a signed delivery to our endpoint as Shopify would, running what it queues on commit."""

    def post(webhook: SignedWebhook) -> Any:
        headers = {name: value for name, value in webhook.headers.items() if name != "Content-Type"}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(WEBHOOK_PATH, data=webhook.body, content_type="application/json", headers=headers)

    return post


@pytest.fixture
def synced_product(fake_shopify: FakeShopify, shopify_shop: Shop):  # type: ignore[no-untyped-def]
    """A product with two photos in the fake shop, synced into our catalogue."""
    from tests.factories import png_bytes
    from vitrine.platform.catalog import product_sync

    remote = fake_shopify.add_product(SHOP_DOMAIN, title="Linen shirt", product_type="Shirts", vendor="Acme",
                                      images=[png_bytes(96, 96, seed=1), png_bytes(96, 96, seed=2)],
                                      alt="Linen shirt, front")
    return product_sync(shop_id=shopify_shop.pk, external_id=remote.id)


@pytest.fixture
def approved_variant(synced_product, shopify_shop: Shop) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """Make an approved variant of the synced product's first photo, with a rendered output image."""
    from tests.factories import make_variant, png_bytes
    from vitrine.platform.services import blob_put

    def make(*, seed: int = 7, market_locale: str = "de-DE", alt_text: str = "Leinenhemd, Vorderseite",
             output: bytes | None = None) -> Any:
        source = synced_product.images.order_by("position").first()
        variant = make_variant(shopify_shop, source_image=source, seed=seed,
                               market=shopify_shop.markets.get(locale=market_locale))
        data = output or png_bytes(96, 96, seed=100 + seed)
        variant.output = blob_put(data=data, content_type="image/png")
        variant.alt_text = alt_text
        variant.state = "approved"
        variant.save()
        return variant

    return make
