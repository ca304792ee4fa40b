"""A signed body vouches for itself, not for the headers around it: relabelled, stale or malformed deliveries
are refused; Shopify's largest bodies are accepted at the webhook endpoint only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.connectors.conftest import SHOP_DOMAIN, fixture_payload
from tests.fakes.shopify.server import sign_webhook_body
from vitrine.connectors.models import InboxMessage
from vitrine.platform.models import Market, Shop

OTHER_DOMAIN = "other.myshopify.com"


@pytest.fixture
def other_shop(db) -> Shop:  # type: ignore[no-untyped-def]
    shop = Shop.objects.create(provider="shopify", external_id=OTHER_DOMAIN, name="Other", installed_at=timezone.now())
    Market.objects.create(shop=shop, locale="en-US", region="US", name="United States")
    return shop


def relabel(webhook, *, topic: str | None = None, domain: str | None = None):  # type: ignore[no-untyped-def]
    """What an attacker can do with a captured delivery: change the unsigned headers, keep the signed body."""
    if topic:
        webhook.headers["X-Shopify-Topic"] = topic
    if domain:
        webhook.headers["X-Shopify-Shop-Domain"] = domain
    return webhook


@pytest.mark.parametrize("topic", ["shop/redact", "customers/redact", "customers/data_request", "app/uninstalled"])
def test_a_shop_wide_delivery_for_another_shop_is_refused(fake_shopify, deliver, shopify_shop, other_shop, topic,
                                                          dispatched) -> None:  # type: ignore[no-untyped-def]
    captured = fake_shopify.webhook(topic, fixture_payload(topic), SHOP_DOMAIN)
    assert deliver(relabel(captured, domain=OTHER_DOMAIN)).status_code == 401
    assert not InboxMessage.objects.exists()
    other_shop.refresh_from_db()
    assert other_shop.uninstalled_at is None


def test_a_product_body_relabelled_as_shop_redact_is_refused(fake_shopify, deliver, shopify_shop, other_shop,
                                                             dispatched) -> None:  # type: ignore[no-untyped-def]
    captured = fake_shopify.webhook("products/update", fixture_payload("products/update"), SHOP_DOMAIN)
    response = deliver(relabel(captured, topic="shop/redact", domain=OTHER_DOMAIN))
    assert response.status_code == 400 and b"shop/redact body needs 'shop_id'" in response.content
    assert not InboxMessage.objects.exists()


@pytest.mark.parametrize(("topic", "payload"), [
    ("products/delete", {"title": "no id"}),
    ("products/update", {"id": "12"}),
    ("bulk_operations/finish", {"status": "completed"}),
    ("app/uninstalled", {"id": 1}),
])
def test_a_body_not_shaped_like_its_topic_is_refused(fake_shopify, deliver, shopify_shop, topic, payload) -> None:  # type: ignore[no-untyped-def]
    assert deliver(fake_shopify.webhook(topic, payload, SHOP_DOMAIN)).status_code == 400
    assert not InboxMessage.objects.exists()


def test_a_stale_delivery_is_refused(fake_shopify, deliver, shopify_shop, settings, dispatched) -> None:  # type: ignore[no-untyped-def]
    settings.SHOPIFY_WEBHOOK_MAX_AGE = 3600
    old = fake_shopify.webhook("products/update", fixture_payload("products/update"), SHOP_DOMAIN)
    old.headers["X-Shopify-Triggered-At"] = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    response = deliver(old)
    assert response.status_code == 400 and b"outside the accepted window" in response.content
    missing = fake_shopify.webhook("products/update", fixture_payload("products/update"), SHOP_DOMAIN)
    del missing.headers["X-Shopify-Triggered-At"]
    assert deliver(missing).status_code == 400
    recent = fake_shopify.webhook("products/update", fixture_payload("products/update"), SHOP_DOMAIN)
    recent.headers["X-Shopify-Triggered-At"] = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    assert deliver(recent).status_code == 200


def test_a_body_larger_than_djangos_upload_limit_is_accepted_at_the_webhook_only(
        fake_shopify, deliver, client, shopify_shop, settings, dispatched) -> None:  # type: ignore[no-untyped-def]
    payload = fixture_payload("products/update")
    payload["body_html"] = "<p>" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 500_000) + "</p>"
    assert deliver(fake_shopify.webhook("products/update", payload, SHOP_DOMAIN)).status_code == 200
    assert InboxMessage.objects.filter(topic="products/update").count() == 1
    # Everywhere else the site-wide limit still holds.
    big = {"username": "x", "password": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    assert client.post("/admin/login/", big).status_code == 400


def test_a_body_over_the_webhook_limit_is_refused_unread(fake_shopify, deliver, shopify_shop, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SHOPIFY_WEBHOOK_MAX_BYTES = 10_000
    payload = fixture_payload("products/update") | {"body_html": "y" * 20_000}
    webhook = fake_shopify.webhook("products/update", payload, SHOP_DOMAIN)
    assert webhook.headers["X-Shopify-Hmac-Sha256"] == sign_webhook_body(json.dumps(payload).encode(),
                                                                          fake_shopify.client_secret)
    assert deliver(webhook).status_code == 413
