"""Publishing approved variants to the fake Shopify: idempotent through crashes at every step, revert."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from tests.connectors.conftest import SHOP_DOMAIN
from tests.fakes.shopify import Fault
from vitrine.connectors import http as http_module
from vitrine.connectors import services
from vitrine.connectors.errors import ApiError
from vitrine.connectors.models import PublishRecord
from vitrine.connectors.shopify.publishing import PublishBusy, Publisher, marker_key
from vitrine.platform import events
from vitrine.platform.models import Blob, Event
from vitrine.platform.services import blob_read, shop_purge


class WorkerCrash(Exception):
    """The worker died here (out of memory, killed by a deploy)."""


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch, shopify_settings, dispatched):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(http_module, "backoff_delay", lambda attempt: 0.01)
    shopify_settings.SHOPIFY_MAX_ATTEMPTS = 3


def listing(fake, product):  # type: ignore[no-untyped-def]
    return fake.product_media(SHOP_DOMAIN, product.external_id)


def ours(fake, product, variant):  # type: ignore[no-untyped-def]
    return [media for media in listing(fake, product) if media.filename.startswith(f"vitrine-{variant.pk}-")]


def marker(fake, product, variant):  # type: ignore[no-untyped-def]
    value = fake.product(SHOP_DOMAIN, product.external_id).metafields.get(("$app", marker_key(variant.pk)))
    return json.loads(value["value"]) if value else None


def publish_until_done(variant, attempts: int = 6):  # type: ignore[no-untyped-def]
    """What the task's retries do: call the service again after a transient failure."""
    for _ in range(attempts):
        try:
            return services.variant_publish(variant_id=variant.pk)
        except ApiError as exc:
            assert exc.retryable, exc
    raise AssertionError(f"variant {variant.pk} still not published after {attempts} attempts")


def assert_published_once(fake, product, variant):  # type: ignore[no-untyped-def]
    variant.refresh_from_db()
    assert variant.state == "published"
    (media,) = ours(fake, product, variant)
    assert variant.remote_media_id == media.id
    assert media.status == "READY"
    assert media.alt == "Leinenhemd, Vorderseite"
    record = PublishRecord.objects.get(variant=variant)
    assert media.data == blob_read(record.file)
    assert marker(fake, product, variant) == {"variant": variant.pk, "sha256": record.sha256,
                                              "file": record.filename, "market": "de-DE", "mode": "add"}
    assert len(listing(fake, product)) == 3  # the two photos and our one image
    assert fake.stats.operations["productUpdate"] == 1  # a lost answer was recovered, never re-sent
    assert Event.objects.filter(type=events.VARIANT_PUBLISHED, payload__variant_id=variant.pk).count() == 1


def test_publish_adds_one_image_with_alt_text_metafield_and_disclosure(fake_shopify, synced_product,
                                                                       approved_variant):
    variant = approved_variant()
    services.variant_publish(variant_id=variant.pk)
    assert_published_once(fake_shopify, synced_product, variant)
    (media,) = ours(fake_shopify, synced_product, variant)
    with Image.open(io.BytesIO(media.data)) as published:
        assert "compositeWithTrainedAlgorithmicMedia" in published.info["XML:com.adobe.xmp"]
    assert PublishRecord.objects.get(variant=variant).step == "done"


REMOTE_EFFECT_THEN_LOST_ANSWER = {
    "upload target created": Fault(target="graphql", kind="drop_after", operation="stagedUploadsCreate"),
    "file uploaded": Fault(target="upload", kind="drop_after"),
    "media attached": Fault(target="graphql", kind="drop_after", operation="productUpdate"),
    "status polls failing": Fault(target="graphql", kind="status", status=503, operation="node", times=3),
}


@pytest.mark.parametrize("fault", REMOTE_EFFECT_THEN_LOST_ANSWER.values(), ids=REMOTE_EFFECT_THEN_LOST_ANSWER)
def test_answer_lost_after_a_step_then_retry_publishes_exactly_once(fake_shopify, synced_product,
                                                                   approved_variant, fault):
    variant = approved_variant()
    fake_shopify.faults.append(fault)
    with pytest.raises(ApiError):
        services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == "publishing"
    publish_until_done(variant)
    assert_published_once(fake_shopify, synced_product, variant)


@pytest.mark.parametrize("step", ["staged", "uploaded", "attached", "ready", "done"])
def test_worker_dies_after_a_step_then_retry_publishes_exactly_once(fake_shopify, synced_product, approved_variant,
                                                                   monkeypatch, step):
    variant = approved_variant()
    record_step = Publisher._advance
    crashed: list[str] = []

    def advance_then_die(self, record, reached, **fields):  # type: ignore[no-untyped-def]
        record_step(self, record, reached, **fields)
        if reached == step and not crashed:
            crashed.append(reached)
            raise WorkerCrash(f"killed after {reached}")

    monkeypatch.setattr(Publisher, "_advance", advance_then_die)
    with pytest.raises(WorkerCrash):
        services.variant_publish(variant_id=variant.pk)
    publish_until_done(variant)
    assert crashed == [step]
    assert_published_once(fake_shopify, synced_product, variant)


def test_two_markets_get_one_image_each(fake_shopify, synced_product, approved_variant):
    german = approved_variant(seed=7)
    american = approved_variant(seed=8, market_locale="en-US", alt_text="Linen shirt, front (US)")
    services.variant_publish(variant_id=german.pk)
    services.variant_publish(variant_id=american.pk)
    assert [m.alt for m in ours(fake_shopify, synced_product, american)] == ["Linen shirt, front (US)"]
    assert len(ours(fake_shopify, synced_product, german)) == 1
    assert len(listing(fake_shopify, synced_product)) == 4


def test_a_publish_held_by_a_live_worker_waits_and_a_dead_workers_lease_expires(synced_product, approved_variant,
                                                                                 fake_shopify):
    variant = approved_variant()
    with pytest.raises(ApiError):
        fake_shopify.faults.append(Fault(target="graphql", kind="drop_after", operation="productUpdate"))
        services.variant_publish(variant_id=variant.pk)
    PublishRecord.objects.filter(variant=variant).update(lease_until=timezone.now() + timedelta(minutes=5))
    with pytest.raises(PublishBusy):
        services.variant_publish(variant_id=variant.pk)
    PublishRecord.objects.filter(variant=variant).update(lease_until=timezone.now() - timedelta(seconds=1))
    publish_until_done(variant)
    assert_published_once(fake_shopify, synced_product, variant)


def test_image_shopify_cannot_process_fails_the_variant_and_leaves_nothing_behind(fake_shopify, synced_product,
                                                                                  approved_variant):
    variant = approved_variant()
    fake_shopify.media_failures = 1
    services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == "failed"
    assert "Image processing failed" in variant.failure_reason
    assert ours(fake_shopify, synced_product, variant) == []
    assert marker(fake_shopify, synced_product, variant) is None
    assert not PublishRecord.objects.filter(variant=variant).exists()


# --- revert ---------------------------------------------------------------------------------------
def test_revert_removes_our_image_and_marker(fake_shopify, synced_product, approved_variant):
    variant = approved_variant()
    before = [media.id for media in listing(fake_shopify, synced_product)]
    services.variant_publish(variant_id=variant.pk)
    services.variant_revert(variant_id=variant.pk, actor="user:1")
    variant.refresh_from_db()
    assert variant.state == "superseded"
    assert [media.id for media in listing(fake_shopify, synced_product)] == before
    assert marker(fake_shopify, synced_product, variant) is None
    assert PublishRecord.objects.get(variant=variant).step == "reverted"


# --- replace mode ---------------------------------------------------------------------------------
@pytest.fixture
def replace_mode(shopify_shop):  # type: ignore[no-untyped-def]
    shopify_shop.publish_mode = "replace"
    shopify_shop.save()


def source_media(fake, product):  # type: ignore[no-untyped-def]
    return listing(fake, product)[0]


@pytest.mark.usefixtures("replace_mode")
def test_replace_swaps_the_file_in_place_and_revert_restores_the_original(fake_shopify, synced_product,
                                                                          approved_variant):
    variant = approved_variant()
    source = synced_product.images.order_by("position").first()
    original = source_media(fake_shopify, synced_product).content()
    services.variant_publish(variant_id=variant.pk)
    replaced = source_media(fake_shopify, synced_product)
    record = PublishRecord.objects.get(variant=variant)
    assert replaced.id == source.remote_id == record.remote_media_id
    assert replaced.data == blob_read(record.file) and replaced.alt == "Leinenhemd, Vorderseite"
    assert len(listing(fake_shopify, synced_product)) == 2
    assert marker(fake_shopify, synced_product, variant)["mode"] == "replace"

    services.variant_revert(variant_id=variant.pk, actor="user:1")
    restored = source_media(fake_shopify, synced_product)
    assert restored.content() == original == blob_read(source.original)
    assert restored.alt == "Linen shirt, front"
    assert marker(fake_shopify, synced_product, variant) is None


@pytest.mark.usefixtures("replace_mode")
def test_replace_with_the_answer_lost_replaces_once(fake_shopify, synced_product, approved_variant):
    variant = approved_variant()
    fake_shopify.faults.append(Fault(target="graphql", kind="drop_after", operation="fileUpdate"))
    with pytest.raises(ApiError):
        services.variant_publish(variant_id=variant.pk)
    publish_until_done(variant)
    record = PublishRecord.objects.get(variant=variant)
    assert source_media(fake_shopify, synced_product).data == blob_read(record.file)
    assert len(listing(fake_shopify, synced_product)) == 2
    assert marker(fake_shopify, synced_product, variant)["sha256"] == record.sha256


@pytest.mark.usefixtures("replace_mode")
def test_replace_that_shopify_cannot_process_keeps_the_original(fake_shopify, synced_product, approved_variant):
    variant = approved_variant()
    original = source_media(fake_shopify, synced_product).content()
    fake_shopify.media_failures = 1
    services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == "failed"
    media = source_media(fake_shopify, synced_product)
    assert media.status == "READY" and media.content() == original
    assert marker(fake_shopify, synced_product, variant) is None


def test_shop_purge_deletes_the_published_files_too(fake_shopify, synced_product, approved_variant, shopify_shop):
    variant = approved_variant()
    services.variant_publish(variant_id=variant.pk)
    published = PublishRecord.objects.get(variant=variant).file
    shop_purge(shop_id=shopify_shop.pk)
    assert not Blob.objects.filter(pk=published.pk).exists()
    assert not default_storage.exists(published.path)
