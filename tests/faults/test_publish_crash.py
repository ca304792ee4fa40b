"""Scenario 5: the worker is killed between two publish steps (the store attaches the media after the worker
died, so its answer is lost), then the store answers with 5xx and 429 storms: exactly one media per variant on
the listing, none orphaned."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.conftest import celery_on_broker
from tests.connectors.conftest import SHOP_DOMAIN
from tests.factories import make_variant, png_bytes
from tests.fakes.shopify.server import Fault
from tests.faults.conftest import wait_for
from vitrine.connectors.models import PublishRecord
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Variant, VariantTransition
from vitrine.platform.services import blob_put

pytestmark = [pytest.mark.faults, pytest.mark.timeout(360)]

VARIANTS = 2


def test_publish_killed_between_steps_and_store_storms_leave_one_media_per_variant(stack, redis_server,
                                                                                  fake_shopify, shopify_shop):
    variants = []
    for n in range(VARIANTS):
        remote = fake_shopify.add_product(SHOP_DOMAIN, title=f"Coat {n}", images=[png_bytes(64, 64, seed=n)])
        product = product_sync(shop_id=shopify_shop.pk, external_id=remote.id)
        variant = make_variant(shopify_shop, source_image=product.images.get(), seed=30 + n)
        output = blob_put(data=png_bytes(64, 64, seed=60 + n), content_type="image/png")
        Variant.objects.filter(pk=variant.pk).update(state="approved", output=output)
        variants.append(variant)
    # Attaching the media takes the store a while; it completes even though the caller is gone by then.
    fake_shopify.faults.append(Fault("graphql", "slow", operation="productUpdate", delay=6, times=VARIANTS))
    quick = {"SHOPIFY_PUBLISH_LEASE_SECONDS": "5", "VARIANT_STUCK_AFTER_PUBLISHING": "20",
             "VARIANT_STUCK_AFTER_APPROVED": "20", "SHOPIFY_MAX_ATTEMPTS": "2", "WORKER_CONCURRENCY": "2"}
    worker = stack("worker", **quick)
    stack("beat", **quick)
    with celery_on_broker(redis_server.url):
        for variant in variants:
            with transaction.atomic():
                events.emit(events.VARIANT_APPROVED, {"variant_id": variant.pk}, shop=shopify_shop)

    # Killed between "uploaded" and "attached": the attach request is in flight.
    wait_for(lambda: PublishRecord.objects.filter(step="uploaded").count() == VARIANTS, timeout=120,
             what="both publishes to reach the attach step")
    worker.kill()
    # The store now throws errors and rate limits at whoever comes back.
    fake_shopify.faults.extend([Fault("graphql", "status", status=503, times=3),
                                Fault("graphql", "status", status=429, times=3),
                                Fault("upload", "status", status=502, times=2)])
    stack("worker", WORKER_NAME="2", **quick)

    wait_for(lambda: Variant.objects.filter(pk__in=[v.pk for v in variants], state="published").count() == VARIANTS,
             timeout=240, what="every variant to be published")
    shop = fake_shopify.shops[SHOP_DOMAIN]
    for variant in variants:
        assert VariantTransition.objects.filter(variant=variant, to_state="published").count() == 1
        (record,) = PublishRecord.objects.filter(variant=variant)
        assert record.step == "done"
        listing = fake_shopify.product_media(SHOP_DOMAIN, variant.source_image.product.external_id)
        ours = [media for media in listing if media.filename.startswith(f"vitrine-{variant.pk}-")]
        assert len(ours) == 1 and record.remote_media_id.endswith(str(ours[0].number))
        # None orphaned: no media of this variant anywhere else in the store.
        everywhere = [media for media in shop.media.values() if media.filename.startswith(f"vitrine-{variant.pk}-")]
        assert everywhere == ours
