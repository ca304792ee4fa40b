"""Webhooks: one fixture file per topic (tests/fakes/shopify/fixtures/<topic>.json), signed by the fake the
way Shopify signs, posted to our endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.connectors.conftest import SHOP_DOMAIN, WEBHOOK_PATH, fixture_payload
from tests.fakes.shopify.store import Media
from vitrine.connectors import services as connector_services
from vitrine.connectors.models import Credential, InboxMessage
from vitrine.connectors.shopify import services
from vitrine.connectors.shopify.webhooks import COMPLIANCE_TOPICS, SUBSCRIBED_TOPICS
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Event, SourceImage, SyncRun, Variant
from vitrine.platform.retention import retention_set
from vitrine.platform.services import event_deliver

PREVIOUS_SECRET = "shpss_previous_0123456789abcdef01234567"


@pytest.fixture
def hook(fake_shopify):  # type: ignore[no-untyped-def]
    """A signed delivery of a topic's fixture file."""
    return lambda topic, **kwargs: fake_shopify.webhook(topic, fixture_payload(topic), SHOP_DOMAIN, **kwargs)


def emitted(event_type: str) -> list[Event]:
    return list(Event.objects.filter(type=event_type))


def outcome(topic: str) -> str:
    return InboxMessage.objects.get(topic=topic).outcome


# --- verification ---------------------------------------------------------------------------------
def test_forged_signature_is_refused(deliver, hook, shopify_shop, dispatched):
    webhook = hook("products/create")
    webhook.headers["X-Shopify-Hmac-Sha256"] = webhook.headers["X-Shopify-Hmac-Sha256"][::-1]
    assert deliver(webhook).status_code == 401
    assert not InboxMessage.objects.exists()


def test_body_changed_after_signing_is_refused(deliver, hook, shopify_shop, dispatched):
    webhook = hook("products/create")
    webhook.body = webhook.body.replace(b"Example T-Shirt", b"Example T-Shirt!")
    assert deliver(webhook).status_code == 401


def test_missing_signature_is_refused_with_401(deliver, hook, shopify_shop):
    webhook = hook("products/create")
    del webhook.headers["X-Shopify-Hmac-Sha256"]
    assert deliver(webhook).status_code == 401


@pytest.mark.parametrize("topic", COMPLIANCE_TOPICS)
def test_compliance_topics_answer_401_on_a_bad_signature(deliver, hook, shopify_shop, topic):
    assert deliver(hook(topic, secret="shpss_attacker_0123456789abcdef012345")).status_code == 401


def test_signed_delivery_without_a_shop_domain_is_a_bad_request(deliver, hook, shopify_shop):
    webhook = hook("products/create")
    webhook.headers["X-Shopify-Shop-Domain"] = "evil.example"
    assert deliver(webhook).status_code == 400


def test_previous_secret_is_accepted_for_an_hour_after_rotation(deliver, hook, shopify_shop, shopify_settings,
                                                               dispatched):
    shopify_settings.SHOPIFY_API_SECRET_PREVIOUS = PREVIOUS_SECRET
    shopify_settings.SHOPIFY_API_SECRET_ROTATED_AT = (timezone.now() - timedelta(minutes=50)).isoformat()
    assert deliver(hook("products/create", secret=PREVIOUS_SECRET)).status_code == 200
    shopify_settings.SHOPIFY_API_SECRET_ROTATED_AT = (timezone.now() - timedelta(minutes=61)).isoformat()
    assert deliver(hook("products/create", secret=PREVIOUS_SECRET)).status_code == 401


def test_get_is_not_allowed(client, shopify_shop):
    assert client.get(WEBHOOK_PATH).status_code == 405


# --- at least once in, exactly once through -------------------------------------------------------
def test_same_delivery_five_times_is_processed_once(deliver, hook, shopify_shop, dispatched):
    webhook = hook("products/create")
    assert [deliver(webhook).status_code for _ in range(5)] == [200] * 5
    assert InboxMessage.objects.count() == 1
    assert len(emitted(events.CATALOG_PRODUCT_CHANGED)) == 1


def test_processing_a_stored_delivery_again_does_nothing(deliver, hook, shopify_shop, dispatched):
    deliver(hook("products/create"))
    message = InboxMessage.objects.get()
    assert services.webhook_process(message_id=message.pk) == "product changed: sync requested"
    assert len(emitted(events.CATALOG_PRODUCT_CHANGED)) == 1


def test_every_topic_we_subscribe_to_or_must_answer_is_handled():
    assert {*SUBSCRIBED_TOPICS.values(), *COMPLIANCE_TOPICS} <= set(services._TOPIC_HANDLERS)


# --- one test per topic ---------------------------------------------------------------------------
def test_products_create(deliver, hook, shopify_shop, dispatched):
    assert deliver(hook("products/create")).status_code == 200
    (event,) = emitted(events.CATALOG_PRODUCT_CHANGED)
    assert event.payload["external_id"] == "gid://shopify/Product/788032119674292922"
    assert event.shop == shopify_shop


def test_products_update(deliver, hook, shopify_shop, dispatched):
    deliver(hook("products/update"))
    assert len(emitted(events.CATALOG_PRODUCT_CHANGED)) == 1


def test_products_delete(deliver, hook, shopify_shop, dispatched):
    deliver(hook("products/delete"))
    (event,) = emitted(events.CATALOG_PRODUCT_DELETED)
    assert event.payload == {"external_id": "gid://shopify/Product/788032119674292922"}


def test_app_uninstalled(deliver, hook, shopify_shop, dispatched):
    deliver(hook("app/uninstalled"))
    credential = Credential.objects.get(shop=shopify_shop)
    assert credential.revoked_at is not None and credential.access_token == credential.refresh_token == ""
    (event,) = emitted(events.SHOP_UNINSTALLED)
    assert event.payload["shop_id"] == shopify_shop.pk and "purge_after" in event.payload
    assert "tokens revoked" in outcome("app/uninstalled")


def test_app_uninstalled_purges_at_once_when_the_shop_asked_for_it(deliver, hook, shopify_shop, dispatched):
    retention_set(shop=shopify_shop, actor="test", on_uninstall="purge", keep_days=3)
    deliver(hook("app/uninstalled"))
    (event,) = emitted(events.SHOP_REDACT_REQUESTED)
    assert event.payload["shop_id"] == shopify_shop.pk
    assert "purged at once" in outcome("app/uninstalled")


def test_app_uninstalled_keeps_the_data_for_the_days_the_shop_chose(deliver, hook, shopify_shop, dispatched):
    retention_set(shop=shopify_shop, actor="test", on_uninstall="keep", keep_days=1)
    deliver(hook("app/uninstalled"))
    assert not emitted(events.SHOP_REDACT_REQUESTED)
    (event,) = emitted(events.SHOP_UNINSTALLED)
    due = datetime.fromisoformat(event.payload["purge_after"]) - timezone.now()
    assert timedelta(hours=23) < due <= timedelta(days=1)


def test_bulk_operations_finish(deliver, hook, shopify_shop, dispatched):
    run = SyncRun.objects.create(provider="shopify", shop=shopify_shop, full=True, mode="bulk",
                                 remote_operation_id="gid://shopify/BulkOperation/147595010")
    deliver(hook("bulk_operations/finish"))
    run.refresh_from_db()
    assert run.remote_operation_status == "COMPLETED"


@pytest.mark.parametrize("topic", ["customers/data_request", "customers/redact"])
def test_customer_compliance_topics_are_recorded_and_acknowledged(deliver, hook, shopify_shop, dispatched, topic):
    assert deliver(hook(topic)).status_code == 200
    assert outcome(topic) == "acknowledged: no customer data is held"
    assert not Event.objects.exists()


def test_shop_redact(deliver, hook, shopify_shop, dispatched):
    deliver(hook("shop/redact"))
    (event,) = emitted(events.SHOP_REDACT_REQUESTED)
    assert event.payload["shop_id"] == shopify_shop.pk


def test_shop_redact_purges_our_records_of_the_shop(deliver, hook, shopify_shop, dispatched):
    deliver(hook("products/create"))
    deliver(hook("shop/redact"))
    event_deliver(event_id=emitted(events.SHOP_REDACT_REQUESTED)[0].pk)
    assert set(InboxMessage.objects.values_list("topic", flat=True)) == {"shop/redact"}
    assert InboxMessage.objects.get().payload == {}


def test_product_webhook_for_a_shop_that_is_not_installed_is_ignored(deliver, hook, shopify_shop, dispatched):
    shopify_shop.uninstalled_at = timezone.now()
    shopify_shop.save()
    deliver(hook("products/create"))
    assert outcome("products/create") == "ignored: the shop is not installed"
    assert not emitted(events.CATALOG_PRODUCT_CHANGED)


# --- our own publishing echoing back --------------------------------------------------------------
def test_echo_of_our_own_publish_starts_no_sync_and_makes_no_variants(deliver, fake_shopify, synced_product,
                                                                      approved_variant, dispatched):
    variant = approved_variant()
    connector_services.variant_publish(variant_id=variant.pk)
    echoes = fake_shopify.take_outbox("products/update")
    assert echoes, "Shopify sends products/update for our own productUpdate"
    variants_before = Variant.objects.count()
    for echo in echoes:
        assert deliver(echo).status_code == 200
    assert not emitted(events.CATALOG_PRODUCT_CHANGED)
    assert set(InboxMessage.objects.values_list("outcome", flat=True)) == {"ignored: echo of our own publishing"}
    # Even a full resync (the reconcile sweep) never turns our image into a source for new variants.
    variant.refresh_from_db()
    product_sync(shop_id=synced_product.shop_id, external_id=synced_product.external_id)
    assert SourceImage.objects.get(remote_id=variant.remote_media_id).published_by_us
    assert Variant.objects.count() == variants_before


def test_merchant_edit_after_our_publish_is_synced(deliver, fake_shopify, synced_product, approved_variant,
                                                   dispatched):
    connector_services.variant_publish(variant_id=approved_variant().pk)
    fake_shopify.take_outbox()
    remote = fake_shopify.product(SHOP_DOMAIN, synced_product.external_id)
    remote.title = "Linen shirt, relaxed fit"
    fake_shopify.product_changed(fake_shopify.shops[SHOP_DOMAIN], remote)
    (update,) = fake_shopify.take_outbox("products/update")
    deliver(update)
    assert len(emitted(events.CATALOG_PRODUCT_CHANGED)) == 1


def test_new_merchant_photo_is_synced(deliver, fake_shopify, synced_product, dispatched):
    remote = fake_shopify.product(SHOP_DOMAIN, synced_product.external_id)
    shop = fake_shopify.shops[SHOP_DOMAIN]
    photo = Media(number=shop.next_id(), filename="back.png", content_type="image/png", product_number=remote.number)
    shop.media[photo.number] = photo
    remote.media_numbers.append(photo.number)
    fake_shopify.product_changed(shop, remote)
    (update,) = fake_shopify.take_outbox("products/update")
    deliver(update)
    assert len(emitted(events.CATALOG_PRODUCT_CHANGED)) == 1
