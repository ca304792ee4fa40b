"""Scenario 2: Redis stops while webhooks arrive and approvals are handed on, then comes back: every product
is synced and every approved variant published, nothing twice."""

from __future__ import annotations

import httpx
import pytest
from django.db import transaction
from django.utils import timezone

from tests.conftest import celery_on_broker
from tests.connectors.conftest import SHOP_DOMAIN
from tests.factories import make_variant, png_bytes
from tests.faults.conftest import wait_for
from vitrine.connectors.models import InboxMessage, PublishRecord
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Event, OutboxTask, Product, Variant, VariantTransition
from vitrine.platform.services import blob_put

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

PRODUCTS = 5
APPROVED = 3


def webhook_post(url: str, webhook) -> int:  # type: ignore[no-untyped-def]
    headers = dict(webhook.headers)
    return httpx.post(url + "/connectors/shopify/webhooks", content=webhook.body, headers=headers, timeout=30
                      ).status_code


def test_broker_outage_loses_nothing_and_duplicates_nothing(stack, redis_server, fake_shopify, shopify_shop):
    # Products already in our catalogue, with approved variants waiting to be published.
    known = [fake_shopify.add_product(SHOP_DOMAIN, title=f"Shirt {n}", images=[png_bytes(64, 64, seed=n)])
             for n in range(APPROVED)]
    variants = []
    for n, remote in enumerate(known):
        product = product_sync(shop_id=shopify_shop.pk, external_id=remote.id)
        variant = make_variant(shopify_shop, source_image=product.images.get(), seed=10 + n)
        output = blob_put(data=png_bytes(64, 64, seed=50 + n), content_type="image/png")
        Variant.objects.filter(pk=variant.pk).update(state="approved", output=output)
        variants.append(variant)
    new = [fake_shopify.add_product(SHOP_DOMAIN, title=f"Dress {n}", images=[png_bytes(64, 64, seed=20 + n)])
           for n in range(PRODUCTS)]
    started = timezone.now()

    web = stack("web")
    stack("worker")
    stack("beat")
    wait_for(lambda: httpx.get(stack.web_url + "/healthz", timeout=5).status_code == 200, timeout=90,
             what="gunicorn to answer")

    redis_server.stop()
    # Webhooks keep arriving: each is stored and answered 200 (fast: no waiting on the broker).
    for remote in new:
        payload = fake_shopify.product_payload(SHOP_DOMAIN, remote)
        hook = fake_shopify.webhook("products/update", payload, SHOP_DOMAIN)
        assert webhook_post(stack.web_url, hook) == 200
        assert webhook_post(stack.web_url, hook) == 200  # Shopify's retry of the same delivery
    # Reviewers approve meanwhile: the approvals' events are committed and wait in the outbox.
    with celery_on_broker(redis_server.url):
        for variant in variants:
            with transaction.atomic():
                events.emit(events.VARIANT_APPROVED, {"variant_id": variant.pk}, shop=shopify_shop)
    assert InboxMessage.objects.filter(processed_at__isnull=True).count() == PRODUCTS
    assert OutboxTask.objects.filter(sent_at__isnull=True).exists()

    redis_server.start()  # same port, same append-only file

    wait_for(lambda: Product.objects.filter(shop=shopify_shop, title__startswith="Dress",
                                            synced_at__gte=started).count() == PRODUCTS,
             timeout=150, what="every product to be synced")
    wait_for(lambda: Variant.objects.filter(pk__in=[v.pk for v in variants], state="published").count() == APPROVED,
             timeout=150, what="every approved variant to be published")

    assert web.process is not None and web.process.poll() is None
    assert InboxMessage.objects.count() == PRODUCTS and not InboxMessage.objects.filter(processed_at__isnull=True)
    assert all(message.attempts == 1 for message in InboxMessage.objects.all())
    assert Event.objects.filter(type=events.CATALOG_PRODUCT_CHANGED).count() == PRODUCTS
    for variant in variants:
        assert VariantTransition.objects.filter(variant=variant, to_state="published").count() == 1
        assert PublishRecord.objects.filter(variant=variant).count() == 1
        listing = fake_shopify.product_media(SHOP_DOMAIN, variant.source_image.product.external_id)
        assert len([media for media in listing if media.filename.startswith(f"vitrine-{variant.pk}-")]) == 1
