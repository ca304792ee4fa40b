"""Catalogue sync through the fake Shopify: paging and bulk operations under throttling, incremental
reads, deletions found by full reads, and the JSONL parser.

The full 10,000-product run is bench/shopify_sync.py; here a few hundred products keep the suite quick.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.connectors.conftest import SHOP_DOMAIN
from tests.fakes.shopify import Fault
from vitrine.connectors.errors import ApiUnavailable
from vitrine.connectors.models import InboxMessage
from vitrine.connectors.shopify import services
from vitrine.connectors.shopify.sync import parse_bulk_jsonl
from vitrine.platform import events
from vitrine.platform.models import Event, Product, SourceImage, SyncRun

PRODUCTS = 240
LAST_WEEK = datetime.now(UTC) - timedelta(days=7)


@pytest.fixture
def seed(fake_shopify, shopify_shop, shopify_settings, dispatched):  # type: ignore[no-untyped-def]
    """Products with three photos each in a throttled shop: an 800-point bucket refilled at 100 points/s (a
    Standard plan's rate), so a ~760-point page must wait for the points the previous page spent."""
    bucket = fake_shopify.shops[SHOP_DOMAIN].bucket
    bucket.maximum = bucket.available = 800
    bucket.restore_rate = 100
    shopify_settings.SHOPIFY_PAGE_SIZE = 40
    return lambda count: fake_shopify.seed_products(SHOP_DOMAIN, count, images_per_product=3, updated_at=LAST_WEEK)


def assert_catalogue_complete(fake, shop, expected):  # type: ignore[no-untyped-def]
    assert Product.objects.filter(shop=shop, deleted_at__isnull=True).count() == len(expected)
    assert SourceImage.objects.filter(product__shop=shop).count() == 3 * len(expected)
    for remote in (expected[0], expected[len(expected) // 2], expected[-1]):
        product = Product.objects.get(shop=shop, external_id=remote.id)
        assert product.title == remote.title and product.product_type == "Shirts" and product.tags == ["seed"]
        images = list(product.images.order_by("position").values_list("remote_id", "position"))
        assert images == [(media.id, index) for index, media in
                          enumerate(fake.product_media(SHOP_DOMAIN, remote.id), start=1)]


@pytest.mark.slow
def test_paging_sync_reads_every_product_and_image_under_throttling(fake_shopify, shopify_shop, seed):
    catalogue = seed(PRODUCTS)
    run = services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    assert (run.mode, run.status, run.stats["seen"]) == ("pages", "succeeded", PRODUCTS)
    assert_catalogue_complete(fake_shopify, shopify_shop, catalogue)
    assert run.stats["cost_points"] > 0 and run.stats["requests"] >= PRODUCTS // 40
    assert run.stats["throttled_seconds"] > 0.3  # pages waited for points ...
    assert fake_shopify.stats.throttled <= 1  # ... so Shopify hardly ever had to refuse one
    assert Event.objects.filter(type=events.CATALOG_PRODUCT_SYNCED).count() == PRODUCTS


@pytest.mark.slow
def test_bulk_sync_reads_every_product_and_image(fake_shopify, shopify_shop, shopify_settings, seed):
    catalogue = seed(PRODUCTS)
    shopify_settings.SHOPIFY_BULK_THRESHOLD = 50
    fake_shopify.faults.append(Fault(target="bulk", kind="drop"))  # the first download breaks off
    run = services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    assert (run.mode, run.status, run.stats["seen"]) == ("bulk", "succeeded", PRODUCTS)
    assert run.remote_operation_id.startswith("gid://shopify/BulkOperation/")
    assert_catalogue_complete(fake_shopify, shopify_shop, catalogue)
    assert fake_shopify.stats.requests["bulk"] == 2


def test_incremental_sync_reads_only_what_changed(fake_shopify, shopify_shop, seed):
    catalogue = seed(20)
    services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    shop_data = fake_shopify.shops[SHOP_DOMAIN]
    for remote in catalogue[:2]:
        remote.title += " (new season)"
        fake_shopify.product_changed(shop_data, remote)
    run = services.catalog_sync(shop_id=shopify_shop.pk)
    assert (run.full, run.stats["seen"]) == (False, 2)
    assert Product.objects.get(external_id=catalogue[0].id).title.endswith("(new season)")


def test_full_sync_marks_products_gone_from_the_store_as_deleted(fake_shopify, shopify_shop, seed):
    catalogue = seed(20)
    services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    gone = catalogue[5]
    del fake_shopify.shops[SHOP_DOMAIN].products[gone.number]
    services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    assert Product.objects.get(external_id=gone.id).deleted_at is not None
    assert Product.objects.filter(shop=shopify_shop, deleted_at__isnull=True).count() == len(catalogue) - 1


def test_too_costly_page_is_halved(fake_shopify, shopify_shop, shopify_settings, dispatched):
    shopify_settings.SHOPIFY_PAGE_SIZE = 100  # 1,902 points a page: over Shopify's 1,000-point limit
    fake_shopify.seed_products(SHOP_DOMAIN, 60, images_per_product=1)
    run = services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    assert run.stats["seen"] == 60
    assert fake_shopify.stats.operations["products"] == 3  # refused at 100, then 50 + 10


def test_product_with_many_photos_is_read_whole(fake_shopify, shopify_shop, dispatched):
    remote = fake_shopify.add_product(SHOP_DOMAIN, title="Gallery", images=12)
    services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    assert Product.objects.get(external_id=remote.id).images.count() == 12


# --- the JSONL of bulk operations -----------------------------------------------------------------
def rows(*items: dict) -> list[bytes]:
    return [json.dumps(item).encode() + b"\n" for item in items]


def product_row(number: int) -> dict:
    return {"id": f"gid://shopify/Product/{number}", "title": f"P{number}", "updatedAt": "2026-07-01T00:00:00Z"}


def media_row(number: int, parent: int) -> dict:
    return {"id": f"gid://shopify/MediaImage/{number}", "mediaContentType": "IMAGE", "status": "READY",
            "image": {"url": f"https://cdn.example/{number}.png"}, "__parentId": f"gid://shopify/Product/{parent}"}


def test_jsonl_children_are_matched_to_parents_that_came_long_before():
    products = list(parse_bulk_jsonl(rows(product_row(1), product_row(2), media_row(10, 2), media_row(11, 1),
                                          media_row(12, 2))))
    assert [p.external_id for p in products] == ["gid://shopify/Product/1", "gid://shopify/Product/2"]
    assert [image.remote_id for image in products[1].images] == ["gid://shopify/MediaImage/10",
                                                                 "gid://shopify/MediaImage/12"]
    assert [image.position for image in products[1].images] == [1, 2]


def test_jsonl_child_before_its_parent_is_refused():
    with pytest.raises(ApiUnavailable, match="names parent gid://shopify/Product/3 before"):
        list(parse_bulk_jsonl(rows(media_row(10, 3), product_row(3))))


def test_jsonl_media_still_processing_is_left_for_later():
    processing = {**media_row(10, 1), "status": "PROCESSING", "image": None}
    (product,) = parse_bulk_jsonl(rows(product_row(1), processing, media_row(11, 1)))
    assert [(image.remote_id, image.position) for image in product.images] == [("gid://shopify/MediaImage/11", 2)]


# --- the periodic sweep ---------------------------------------------------------------------------
def test_reconcile_sweep_syncs_shops_redoes_stuck_deliveries_and_purges_abandoned_shops(
        fake_shopify, shopify_shop, dispatched, django_capture_on_commit_callbacks):
    from vitrine.platform.models import Shop

    fake_shopify.seed_products(SHOP_DOMAIN, 3, images_per_product=1)
    stuck = InboxMessage.objects.create(provider="shopify", delivery_id="d-1", topic="products/delete",
                                        shop_domain=SHOP_DOMAIN, payload={"id": 42})
    InboxMessage.objects.filter(pk=stuck.pk).update(received_at=stuck.received_at - timedelta(hours=1))
    abandoned = Shop.objects.create(provider="shopify", external_id="gone.myshopify.com",
                                    installed_at=datetime.now(UTC) - timedelta(days=30),
                                    uninstalled_at=datetime.now(UTC) - timedelta(days=4))
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.shops_reconcile()
    assert summary == {"syncs": 1, "redispatched": 1, "purges": 1}
    assert SyncRun.objects.get(shop=shopify_shop).stats["seen"] == 3
    stuck.refresh_from_db()
    assert stuck.processed_at is not None
    assert Event.objects.filter(type=events.SHOP_REDACT_REQUESTED, shop=abandoned).exists()
