"""TMC item messages: stored in the inbox with their event before being confirmed, planned once, redelivery
and the echoes of our own uploads change nothing."""

import pytest

from tests.factories import png_bytes
from tests.fakes.taobao.server import Fault
from vitrine.connectors import services as connector_services
from vitrine.connectors.errors import ApiUnavailable
from vitrine.connectors.models import InboxMessage
from vitrine.connectors.taobao import services as taobao_services
from vitrine.connectors.taobao.services import tmc_poll
from vitrine.connectors.taobao.tasks import poll_tmc, sync_shops
from vitrine.platform import events
from vitrine.platform.models import Event, Product, SourceImage, Variant
from vitrine.templates.services import catalogue_sync, rule_set

pytest_plugins = ["tests.fakes.taobao.fixtures"]

CATALOGUE_EVENTS = (events.CATALOG_PRODUCT_CHANGED, events.CATALOG_PRODUCT_SYNCED, events.CATALOG_PRODUCT_DELETED)


@pytest.fixture
def planning(taobao_shop):
    """The built-in templates, and a rule asking for white marketplace images in the shop's market."""
    catalogue_sync()
    rule_set(shop=taobao_shop, template_slug="marketplace-white", markets=list(taobao_shop.markets.all()))


def test_item_add_is_stored_emitted_confirmed_and_planned_once(taobao_shop, fake_top, taobao_seller, planning,
                                                                events_held, deliver_events):
    item = fake_top.add_item(taobao_seller, title="Linen blouse", images=[png_bytes(96, 96, seed=5)], announce=True)
    # The confirmation fails (its answer never usable): the message is stored but stays unconfirmed.
    fake_top.faults.append(Fault("taobao.tmc.messages.confirm", "isp", times=3))
    with pytest.raises(ApiUnavailable):
        tmc_poll()
    (inbox,) = InboxMessage.objects.filter(provider="taobao")
    assert (inbox.topic, inbox.shop_domain, inbox.event_id) == ("taobao_item_ItemAdd", str(taobao_seller.user_id),
                                                                 str(item.num_iid))
    assert inbox.processed_at is not None and inbox.outcome == "item changed: sync requested"
    changed = Event.objects.get(type=events.CATALOG_PRODUCT_CHANGED)
    assert changed.payload["external_id"] == str(item.num_iid) and changed.shop_id == taobao_shop.pk
    assert len(fake_top.pending_messages()) == 1

    deliver_events(*CATALOGUE_EVENTS)

    product = Product.objects.get(shop=taobao_shop, external_id=str(item.num_iid))
    assert product.title == "Linen blouse"
    synced = Event.objects.get(type=events.CATALOG_PRODUCT_SYNCED)
    assert synced.payload["product_id"] == product.pk
    planned = list(Variant.objects.filter(source_image__product=product))
    assert len(planned) == 1 and planned[0].template_slug == "marketplace-white"

    # TMC delivers the unconfirmed message again: acknowledged, nothing more happens.
    assert fake_top.redeliver() == 1
    outcome = tmc_poll()
    assert (outcome.consumed, outcome.stored, outcome.repeats, outcome.confirmed) == (1, 0, 1, 1)
    assert not fake_top.pending_messages()
    assert deliver_events(*CATALOGUE_EVENTS) == 0
    assert Event.objects.filter(type__in=CATALOGUE_EVENTS).count() == 2
    assert list(Variant.objects.filter(source_image__product=product)) == planned


def test_the_echo_of_our_own_upload_plans_nothing(taobao_shop, fake_top, taobao_seller, synced_item, taobao_variant,
                                                  planning, events_held, deliver_events):
    deliver_events(*CATALOGUE_EVENTS)  # the first sync's plan for the seller's photos
    variant = taobao_variant()
    connector_services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    variants_before = set(Variant.objects.values_list("pk", "state"))
    assert len(variants_before) == 3  # the planned white images of both photos, and the published one
    sources_before = set(SourceImage.objects.filter(product=synced_item).values_list("pk", "sha256", "source_url"))

    outcome = tmc_poll()  # Taobao announces the item change our attach caused

    assert outcome.stored == 1
    assert InboxMessage.objects.get(provider="taobao").topic == "taobao_item_ItemUpdate"
    assert deliver_events(*CATALOGUE_EVENTS) == 2  # changed -> synced
    ours = SourceImage.objects.get(product=synced_item, published_by_us=True)
    assert ours.source_url.endswith(fake_top.pictures[int(variant.remote_media_id)].path)
    assert set(SourceImage.objects.filter(product=synced_item, published_by_us=False)
               .values_list("pk", "sha256", "source_url")) == sources_before
    assert set(Variant.objects.values_list("pk", "state")) == variants_before


def test_the_echo_of_a_replace_mode_publish_keeps_the_sellers_photo_as_the_source(
        taobao_shop, fake_top, taobao_seller, synced_item, taobao_variant, events_held, deliver_events):
    taobao_shop.publish_mode = "replace"
    taobao_shop.save()
    variant = taobao_variant()
    source = variant.source_image
    connector_services.variant_publish(variant_id=variant.pk)
    tmc_poll()
    deliver_events(*CATALOGUE_EVENTS)
    source.refresh_from_db()
    assert not source.published_by_us and source.removed_at is None
    assert SourceImage.objects.filter(product=synced_item).count() == 2
    variant.refresh_from_db()
    assert variant.state == "published"


def test_item_delete_marks_the_product_deleted(taobao_shop, fake_top, synced_item, events_held, deliver_events):
    fake_top.delete_item(int(synced_item.external_id))
    tmc_poll()
    deliver_events(*CATALOGUE_EVENTS)
    synced_item.refresh_from_db()
    assert synced_item.deleted_at is not None


def test_a_message_that_cannot_be_stored_is_not_confirmed(taobao_shop, fake_top, taobao_seller, events_held,
                                                          monkeypatch):
    first = fake_top.add_item(taobao_seller, title="First", images=[], announce=True)
    fake_top.add_item(taobao_seller, title="Second", images=[], announce=True)
    store = taobao_services.tmc_message_store

    def failing_for_first(*, message):
        if message.content.get("num_iid") == first.num_iid:
            raise RuntimeError("database went away")
        return store(message=message)

    monkeypatch.setattr(taobao_services, "tmc_message_store", failing_for_first)
    outcome = tmc_poll()
    assert (outcome.consumed, outcome.stored, outcome.confirmed) == (2, 1, 1)
    (pending,) = fake_top.pending_messages()
    assert pending.content["num_iid"] == first.num_iid


def test_messages_for_sellers_we_do_not_hold_are_recorded_and_confirmed(taobao_shop, fake_top, events_held):
    stranger = fake_top.add_seller("someone-else")
    fake_top.permitted[stranger.user_id] = {"taobao_item_ItemAdd"}
    fake_top.add_item(stranger, title="Not ours", images=[], announce=True)
    outcome = tmc_poll()
    assert outcome.confirmed == 1 and not fake_top.pending_messages()
    assert InboxMessage.objects.get().outcome == f"ignored: no installed shop for seller {stranger.user_id}"
    assert not Event.objects.exists()


def test_the_beat_polls_with_a_task_that_survives_a_gateway_outage(taobao_shop, fake_top, taobao_seller, events_held,
                                                                   settings):
    from vitrine.platform.celery import app

    assert app.conf.beat_schedule["taobao-tmc-poll"]["task"] == poll_tmc.name
    assert app.conf.beat_schedule["taobao-sync"]["task"] == sync_shops.name
    fake_top.add_item(taobao_seller, title="Linen blouse", images=[], announce=True)
    assert poll_tmc.apply().get() == {"consumed": 1, "stored": 1, "repeats": 0, "rejected": 0}
    fake_top.faults.append(Fault("taobao.tmc.messages.consume", "http_500", times=3))
    assert poll_tmc.apply().get() == {}  # logged; the next beat tick polls again
