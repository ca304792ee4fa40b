"""Catalogue sync through the fake gateway: modified-time windows, completeness, incremental reads."""

import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import png_bytes
from tests.fakes.taobao.store import GMT8
from vitrine.connectors.taobao.connector import TaobaoConnector, WindowStats, WindowTooDense
from vitrine.connectors.taobao.services import catalog_sync
from vitrine.connectors.taobao.tasks import sync_shops
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Blob, Event, Product, SourceImage, SyncRun

pytest_plugins = ["tests.fakes.taobao.fixtures"]

# The full requirement is 5,000 items (bench/taobao_sync.py runs that); the test keeps to a count that still
# needs many windows and splits, so it runs in seconds on a small machine.
ITEM_COUNT = int(os.environ.get("TAOBAO_SYNC_TEST_ITEMS", "300"))
WINDOW = 60
START = datetime(2024, 3, 1, 9, 0, tzinfo=GMT8)


@pytest.fixture
def catalogue(fake_top, taobao_seller, settings):
    """ITEM_COUNT items, one photo each (identical bytes, stored once), modified a minute apart; paging is
    limited so deep that windows must be split."""
    settings.TAOBAO_PAGE_SIZE = 20
    settings.TAOBAO_WINDOW_MAX_ITEMS = WINDOW
    fake_top.deep_paging_limit = WINDOW
    photo = png_bytes(48, 48, seed=3)
    return [fake_top.add_item(taobao_seller, title=f"Dress {index}", images=[photo],
                              modified=START + timedelta(minutes=index)) for index in range(ITEM_COUNT)]


def test_full_sync_reads_every_item_through_split_windows(taobao_shop, fake_top, catalogue):
    run = catalog_sync(shop_id=taobao_shop.pk, full=True)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.stats["listed"] == ITEM_COUNT == run.stats["synced"]
    assert run.stats["splits"] >= ITEM_COUNT // WINDOW
    products = {product.external_id: product for product in Product.objects.filter(shop=taobao_shop)}
    assert set(products) == {str(item.num_iid) for item in catalogue}
    for item in catalogue[:: max(1, ITEM_COUNT // 50)]:
        product = products[str(item.num_iid)]
        assert product.title == item.title
        assert product.remote_updated_at == item.modified
        image = product.images.get()
        assert image.remote_id == str(item.images[0].id)
        assert image.source_url == fake_top.image_url(item.images[0].path)
        assert not image.published_by_us
    assert SourceImage.objects.filter(product__shop=taobao_shop).count() == ITEM_COUNT
    assert Blob.objects.count() <= 2  # the photo as served and its normalised PNG, each stored once
    assert fake_top.stats.calls["taobao.item.seller.get"] == ITEM_COUNT
    assert Event.objects.filter(type=events.CATALOG_PRODUCT_SYNCED).count() == ITEM_COUNT
    # No page was ever deeper than the gateway allows: every rejected call would have failed the run.
    assert not fake_top.stats.rejected


def test_incremental_sync_touches_only_the_changed_items(taobao_shop, fake_top, catalogue):
    catalog_sync(shop_id=taobao_shop.pk, full=True)
    synced_before = dict(Product.objects.filter(shop=taobao_shop).values_list("external_id", "synced_at"))
    changed = catalogue[5:12]
    for index, item in enumerate(changed):
        fake_top.update_item(item.num_iid, title=f"Dress {index} (new season)",
                             image=png_bytes(48, 48, seed=100 + index) if index == 0 else None)
    reads_before = fake_top.stats.calls["taobao.item.seller.get"]

    run = catalog_sync(shop_id=taobao_shop.pk, full=False)

    assert not run.full
    assert run.stats["synced"] == len(changed)
    assert fake_top.stats.calls["taobao.item.seller.get"] - reads_before == len(changed)
    changed_ids = {str(item.num_iid) for item in changed}
    for external_id, synced_at in Product.objects.filter(shop=taobao_shop).values_list("external_id", "synced_at"):
        assert (synced_at != synced_before[external_id]) == (external_id in changed_ids)
    first = Product.objects.get(shop=taobao_shop, external_id=str(changed[0].num_iid))
    assert first.title == "Dress 0 (new season)"
    assert first.images.get().source_url == fake_top.image_url(changed[0].images[0].path)


def test_a_second_full_sync_reads_no_unchanged_item_again(taobao_shop, fake_top, catalogue):
    catalog_sync(shop_id=taobao_shop.pk, full=True)
    reads = fake_top.stats.calls["taobao.item.seller.get"]
    run = catalog_sync(shop_id=taobao_shop.pk, full=True)
    assert run.stats["listed"] == ITEM_COUNT and run.stats["synced"] == 0
    assert fake_top.stats.calls["taobao.item.seller.get"] == reads


def test_full_sync_marks_items_taobao_no_longer_has_as_deleted(taobao_shop, fake_top, taobao_seller):
    kept = fake_top.add_item(taobao_seller, title="Kept", images=[png_bytes(48, 48, seed=1)])
    gone = fake_top.add_item(taobao_seller, title="Gone", images=[png_bytes(48, 48, seed=2)])
    shelved = fake_top.add_item(taobao_seller, title="Off the shelf", images=[png_bytes(48, 48, seed=3)])
    catalog_sync(shop_id=taobao_shop.pk, full=True)
    fake_top.delete_item(gone.num_iid, announce=False)
    fake_top.items[shelved.num_iid].approve_status = "instock"

    catalog_sync(shop_id=taobao_shop.pk, full=True)

    deleted = dict(Product.objects.filter(shop=taobao_shop).values_list("external_id", "deleted_at"))
    assert deleted[str(gone.num_iid)] is not None
    assert deleted[str(kept.num_iid)] is None
    assert deleted[str(shelved.num_iid)] is None


def test_a_second_holding_more_items_than_a_window_may_is_reported(taobao_shop, fake_top, taobao_seller, settings):
    settings.TAOBAO_PAGE_SIZE = 10
    settings.TAOBAO_WINDOW_MAX_ITEMS = 10
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=GMT8)
    for index in range(11):
        fake_top.add_item(taobao_seller, title=f"Batch import {index}", images=[], modified=moment)
    connector = TaobaoConnector(taobao_shop)
    with pytest.raises(WindowTooDense, match=r"11 items of shop .* were modified at 2024-05-01 12:00:00"):
        list(connector.list_items(modified_from=moment - timedelta(days=1), modified_to=moment + timedelta(days=1)))


def test_windows_list_items_oldest_first_without_duplicates(taobao_shop, fake_top, catalogue):
    stats = WindowStats()
    listed = list(TaobaoConnector(taobao_shop).list_items(
        modified_from=datetime(2003, 5, 1, tzinfo=UTC), modified_to=datetime.now(UTC), stats=stats))
    assert [item.num_iid for item in listed] == [str(item.num_iid) for item in catalogue]
    assert stats.windows >= ITEM_COUNT // WINDOW and stats.listed == ITEM_COUNT


def test_iter_products_streams_the_items_changed_since(taobao_shop, fake_top, taobao_seller):
    fake_top.add_item(taobao_seller, title="Old", images=[png_bytes(48, 48, seed=1)],
                      modified=datetime(2024, 1, 1, tzinfo=GMT8))
    new = fake_top.add_item(taobao_seller, title="New", images=[png_bytes(48, 48, seed=2)],
                            modified=datetime(2024, 6, 1, tzinfo=GMT8))
    products = list(TaobaoConnector(taobao_shop).iter_products(updated_since=datetime(2024, 3, 1, tzinfo=UTC)))
    assert [(product.external_id, product.title) for product in products] == [(str(new.num_iid), "New")]
    (image,) = products[0].images
    assert (image.remote_id, image.url) == (str(new.images[0].id), fake_top.image_url(new.images[0].path))


def test_an_image_over_the_intake_limit_is_refused_and_the_item_still_syncs(taobao_shop, fake_top, taobao_seller,
                                                                            settings):
    settings.IMAGE_MAX_BYTES = 1000
    item = fake_top.add_item(taobao_seller, title="Huge photo", images=[png_bytes(96, 96, seed=4)])
    product = product_sync(shop_id=taobao_shop.pk, external_id=str(item.num_iid))
    assert product is not None
    (refused,) = product.images.all()  # recorded on the image, without bytes
    assert refused.fetch_status == "failed" and refused.image_id is None and "1000 bytes" in refused.fetch_error
    synced = Event.objects.get(type=events.CATALOG_PRODUCT_SYNCED)
    assert [rejected["code"] for rejected in synced.payload["rejected_images"]] == ["file_too_large"]


def test_the_periodic_sync_reads_every_connected_shop(taobao_shop, fake_top, taobao_seller,
                                                      django_capture_on_commit_callbacks):
    item = fake_top.add_item(taobao_seller, title="Wool coat", images=[png_bytes(48, 48, seed=6)])
    with django_capture_on_commit_callbacks(execute=True):
        assert sync_shops.apply().get() == 1
    run = SyncRun.objects.get(shop=taobao_shop)
    assert run.full and run.status == SyncRun.Status.SUCCEEDED  # no watermark yet: a full read
    assert Product.objects.get(shop=taobao_shop).external_id == str(item.num_iid)
