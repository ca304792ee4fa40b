"""Store-facing reliability: webhooks and TMC messages are stored first whatever the broker does, a poison
message or a broken image stops nothing else, publishing survives an outage and never re-encodes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.db import transaction
from PIL import Image

from tests.conftest import celery_on_broker
from tests.connectors.conftest import SHOP_DOMAIN, WEBHOOK_PATH, fixture_payload
from tests.fakes.shopify.server import Fault
from vitrine.connectors import services as connector_services
from vitrine.connectors.base import output_fit
from vitrine.connectors.models import InboxMessage, PublishRecord
from vitrine.connectors.taobao.publishing import _DISCLOSURE_ROOM, publishable_file
from vitrine.connectors.taobao.services import tmc_poll
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Event, FetchStatus, Market, OutboxTask, Product, Shop, SourceImage
from vitrine.platform.outbox import outbox_relay
from vitrine.platform.services import blob_read, event_deliver, image_intake

pytest_plugins = ["tests.fakes.taobao.fixtures"]

DEAD_BROKER = "redis://127.0.0.1:1/0"


def post(client, webhook):  # type: ignore[no-untyped-def]
    headers = {name: value for name, value in webhook.headers.items() if name != "Content-Type"}
    return client.post(WEBHOOK_PATH, data=webhook.body, content_type="application/json", headers=headers)


# --- finding 2: a webhook while the broker is down ------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_webhook_during_a_broker_outage_is_answered_200_and_dispatched_later(client, fake_shopify, shopify_shop,
                                                                             settings, monkeypatch):
    settings.EVENT_RELAY_GRACE_SECONDS = 0
    monkeypatch.setattr(events, "dispatch", lambda event_id: True)  # stop at the connector's own event
    webhook = fake_shopify.webhook("products/update", fixture_payload("products/update"), SHOP_DOMAIN)
    with celery_on_broker(DEAD_BROKER):
        assert post(client, webhook).status_code == 200
        (message,) = InboxMessage.objects.all()
        assert message.processed_at is None
        # Shopify's retry of the same delivery is acknowledged, and the stored one still waits for the relay.
        assert post(client, webhook).status_code == 200
        assert InboxMessage.objects.count() == 1
        assert OutboxTask.objects.filter(task="vitrine.connectors.shopify.tasks.process_webhook",
                                         sent_at__isnull=True).count() == 1
    assert outbox_relay() == 1  # the broker is back
    message.refresh_from_db()
    assert message.processed_at is not None and message.outcome == "product changed: sync requested"
    assert Event.objects.filter(type=events.CATALOG_PRODUCT_CHANGED).count() == 1


# --- finding 1 with a store: an approved variant is published after an outage ---------------------
@pytest.mark.django_db(transaction=True)
def test_variant_approved_while_the_broker_is_down_is_published_once_it_is_back(fake_shopify, approved_variant,
                                                                                 settings):
    settings.EVENT_RELAY_GRACE_SECONDS = 0
    variant = approved_variant()
    with celery_on_broker(DEAD_BROKER):
        with transaction.atomic():
            event = events.emit(events.VARIANT_APPROVED, {"variant_id": variant.pk}, shop=variant.shop)
        event_deliver(event_id=event.pk)
        assert outbox_relay() == 0
    variant.refresh_from_db()
    assert variant.state == "approved"
    assert outbox_relay() == 1
    variant.refresh_from_db()
    assert variant.state == "published" and variant.remote_media_id
    assert PublishRecord.objects.filter(variant=variant).count() == 1
    assert outbox_relay() == 0


# --- finding 3: a poison TMC message -------------------------------------------------------------
def test_poison_tmc_messages_are_rejected_with_reasons_and_confirmed(taobao_shop, fake_top, taobao_seller,
                                                                    events_held):
    from tests.factories import png_bytes

    good = fake_top.add_item(taobao_seller, title="Linen blouse", images=[png_bytes(96, 96, seed=5)], announce=True)
    bad_time = fake_top.announce_malformed(good, pub_time="yesterday at noon")
    no_topic = fake_top.announce_malformed(good, topic=None)
    later = fake_top.add_item(taobao_seller, title="Silk scarf", images=[png_bytes(96, 96, seed=6)], announce=True)

    outcome = tmc_poll()

    assert (outcome.consumed, outcome.stored, outcome.rejected, outcome.confirmed) == (4, 2, 2, 4)
    assert not fake_top.pending_messages()  # all confirmed: TMC will not redeliver the batch
    stored = InboxMessage.objects.filter(provider="taobao", outcome__startswith="rejected")
    rejected = {message.delivery_id: message for message in stored}
    assert set(rejected) == {str(bad_time.id), str(no_topic.id)}
    assert "yesterday at noon" in rejected[str(bad_time.id)].outcome
    assert "without id or topic" in rejected[str(no_topic.id)].outcome
    assert all(m.processed_at is not None for m in rejected.values())
    changed = Event.objects.filter(type=events.CATALOG_PRODUCT_CHANGED)
    assert sorted(e.payload["external_id"] for e in changed) == sorted([str(good.num_iid), str(later.num_iid)])


# --- finding 4: a broken image in a product update ------------------------------------------------
@pytest.mark.parametrize("fault", [Fault("cdn", "status", status=404), Fault("cdn", "status", status=503, times=2)],
                         ids=["404", "unavailable"])
def test_a_failing_image_is_recorded_and_the_product_update_proceeds(fake_shopify, shopify_shop, fault, settings,
                                                                     monkeypatch):
    from tests.factories import png_bytes

    settings.SHOPIFY_MAX_ATTEMPTS = 2  # the unavailable fault outlasts both tries of the first image only
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    monkeypatch.setattr(events, "dispatch", lambda event_id: True)
    remote = fake_shopify.add_product(SHOP_DOMAIN, title="Linen shirt", images=[png_bytes(96, 96, seed=1),
                                                                                png_bytes(96, 96, seed=2)])
    fake_shopify.faults.append(fault)  # the first image download fails
    product = product_sync(shop_id=shopify_shop.pk, external_id=remote.id)
    assert Product.objects.get(pk=product.pk).title == "Linen shirt"
    images = list(SourceImage.objects.filter(product=product).order_by("position"))
    assert [image.fetch_status for image in images] == [FetchStatus.FAILED, FetchStatus.OK]
    assert images[0].fetch_error and images[0].image_id is None and images[1].image_id is not None
    synced = Event.objects.get(type=events.CATALOG_PRODUCT_SYNCED)
    assert [r["remote_id"] for r in synced.payload["rejected_images"]] == [images[0].remote_id]
    # The next sync takes the image in: nothing about it was forgotten.
    product_sync(shop_id=shopify_shop.pk, external_id=remote.id)
    images[0].refresh_from_db()
    assert images[0].fetch_status == FetchStatus.OK and images[0].image_id is not None and not images[0].fetch_error


# --- finding 6: what the reviewer approved is what is published ------------------------------------
def test_shopify_refuses_to_resize_an_approved_image_and_renders_are_fitted_before_review(fake_shopify,
                                                                                          approved_variant):
    from tests.factories import png_bytes

    big = png_bytes(4600, 40, seed=3)
    fitted, content_type = output_fit("shopify", big, "image/png")
    assert content_type == "image/png" and Image.open(io.BytesIO(fitted)).size == (4472, 38)
    assert output_fit("shopify", fitted, "image/png") == (fitted, "image/png")  # within limits: untouched

    variant = approved_variant(output=big)  # approved before fitting existed
    connector_services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == "failed" and "over Shopify's limits" in variant.failure_reason
    assert not PublishRecord.objects.filter(variant=variant, remote_media_id__gt="").exists()


def test_taobao_render_is_fitted_at_render_time_and_published_pixel_for_pixel(db, settings,
                                                                             django_capture_on_commit_callbacks):
    from tests.factories import make_variant
    from tests.photos import packshot

    settings.TAOBAO_PICTURE_MAX_BYTES = _DISCLOSURE_ROOM + 12_000
    shop = Shop.objects.create(provider="taobao", external_id="2200000009", name="Seller")
    market = Market.objects.create(shop=shop, locale="zh-CN", region="CN")
    shot, _ = packshot(256)
    buffer = io.BytesIO()
    shot.save(buffer, format="PNG")
    product = Product.objects.create(shop=shop, external_id="600000000009", title="Mug")
    intake = image_intake(buffer.getvalue(), filename="mug.png")
    source = SourceImage.objects.create(product=product, remote_id="1", original=intake.original, image=intake.image,
                                        sha256=intake.image.sha256, width=256, height=256)
    variant = make_variant(shop, market=market, source_image=source)
    variant.params = {"mode": "studio"}
    variant.save()
    saved = events._handlers.pop(events.VARIANT_GENERATED, {})
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=shop)
    finally:
        events._handlers[events.VARIANT_GENERATED] = saved
    variant.refresh_from_db()
    assert variant.state == "generated", variant.failure_reason
    # What the reviewer will see is already within picture space's limit...
    assert variant.output.content_type == "image/jpeg" and variant.output.size <= 12_000
    # ...and publishing sends those very pixels (the disclosure is metadata only).
    published, content_type = publishable_file(variant)
    assert content_type == "image/jpeg" and len(published) <= settings.TAOBAO_PICTURE_MAX_BYTES
    reviewed = np.asarray(Image.open(io.BytesIO(blob_read(variant.output))))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(published))), reviewed)


def test_taobao_refuses_an_approved_picture_over_the_limit_instead_of_reencoding(taobao_variant, settings):
    settings.TAOBAO_PICTURE_MAX_BYTES = 70_000
    rng = np.random.default_rng(1)
    noise = Image.fromarray(rng.integers(0, 256, size=(200, 200, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    variant = taobao_variant(output=buffer.getvalue())
    connector_services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == "failed" and "render it again" in variant.failure_reason
