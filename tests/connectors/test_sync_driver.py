"""Every store's catalogue sync goes through the kernel's one driver: image downloads never run inside a
database transaction, and a full read marks the products the store no longer has as deleted."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.connectors.conftest import SHOP_DOMAIN
from tests.factories import png_bytes
from vitrine.connectors.csvfile.connector import CsvFileConnector
from vitrine.connectors.csvfile.services import catalogue_import, csv_shop_ensure
from vitrine.connectors.errors import ApiUnavailable
from vitrine.connectors.shopify import services as shopify_services
from vitrine.connectors.shopify.connector import ShopifyConnector
from vitrine.connectors.taobao import services as taobao_services
from vitrine.connectors.taobao.connector import TaobaoConnector
from vitrine.platform import events
from vitrine.platform.models import FetchStatus, Product, Shop, SyncRun

pytest_plugins = ["tests.fakes.taobao.fixtures"]


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> None:
    """Events are recorded, not handed to the broker: these tests stop at the catalogue copy."""
    monkeypatch.setattr(events, "dispatch", lambda event_id: True)


def watch_downloads(monkeypatch: pytest.MonkeyPatch, connector_class: type, *, fail: str = ""
                    ) -> list[tuple[str, bool]]:
    """Record, for every image download, whether a database transaction was open while it ran; the URLs
    containing ``fail`` fail as a store's timeout would."""
    calls: list[tuple[str, bool]] = []
    download = connector_class.fetch_image_bytes

    def watched(self: Any, image: Any) -> bytes:
        calls.append((image.url, connection.in_atomic_block))
        if fail and fail in image.url:
            raise ApiUnavailable(f"image {image.remote_id}: timed out")
        return download(self, image)

    monkeypatch.setattr(connector_class, "fetch_image_bytes", watched)
    return calls


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["Handle", "Title", "Image Src", "Image Position"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def csv_catalogue(tmp_path: Path) -> Callable[[list[str]], Shop]:
    """A csvfile shop whose CSV holds one product (with one local photo) per handle given."""

    def write(handles: list[str]) -> Shop:
        rows = []
        for index, handle in enumerate(handles):
            (tmp_path / f"{handle}.png").write_bytes(png_bytes(64, 64, seed=index))
            rows.append({"Handle": handle, "Title": handle.title(), "Image Src": f"{handle}.png",
                         "Image Position": "1"})
        return csv_shop_ensure(name="Folder shop", csv_path=write_csv(tmp_path / "products.csv", rows),
                               images_dir=tmp_path)

    return write


# --- no transaction while downloading -------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_shopify_downloads_hold_no_transaction(fake_shopify, shopify_shop, held, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake_shopify.add_product(SHOP_DOMAIN, title="Shirt", images=[png_bytes(64, 64, seed=1), png_bytes(64, 64, seed=2)])
    calls = watch_downloads(monkeypatch, ShopifyConnector)

    run = shopify_services.catalog_sync(shop_id=shopify_shop.pk, full=True)

    assert run.status == SyncRun.Status.SUCCEEDED and run.stats["synced"] == 1
    assert len(calls) == 2 and not any(in_transaction for _, in_transaction in calls)


@pytest.mark.django_db(transaction=True)
def test_a_failed_shopify_download_is_recorded_without_holding_a_transaction(
        fake_shopify, shopify_shop, held, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    remote = fake_shopify.add_product(SHOP_DOMAIN, title="Shirt", images=[png_bytes(64, 64, seed=1)])
    calls = watch_downloads(monkeypatch, ShopifyConnector, fail="://")

    run = shopify_services.catalog_sync(shop_id=shopify_shop.pk, full=True)

    assert run.status == SyncRun.Status.SUCCEEDED and run.stats["synced"] == 1
    product = Product.objects.get(shop=shopify_shop, external_id=remote.id)
    (image,) = product.images.all()
    assert image.fetch_status == FetchStatus.FAILED and "timed out" in image.fetch_error
    assert len(calls) == 1 and not any(in_transaction for _, in_transaction in calls)


@pytest.mark.django_db(transaction=True)
def test_taobao_downloads_hold_no_transaction(fake_top, taobao_shop, taobao_seller, held, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake_top.add_item(taobao_seller, title="Tea", images=[png_bytes(64, 64, seed=3)])
    calls = watch_downloads(monkeypatch, TaobaoConnector)

    run = taobao_services.catalog_sync(shop_id=taobao_shop.pk, full=True)

    assert run.status == SyncRun.Status.SUCCEEDED and run.stats["synced"] == 1
    assert len(calls) == 1 and not any(in_transaction for _, in_transaction in calls)


@pytest.mark.django_db(transaction=True)
def test_csv_downloads_hold_no_transaction(csv_catalogue, held, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shop = csv_catalogue(["mug", "lamp"])
    calls = watch_downloads(monkeypatch, CsvFileConnector)

    report = catalogue_import(shop=shop)

    assert report.products == 2 and not report.errors
    assert len(calls) == 2 and not any(in_transaction for _, in_transaction in calls)


# --- missing -> deleted ---------------------------------------------------------------------------
def test_shopify_full_read_marks_the_missing_product_deleted_and_an_incremental_one_does_not(
        fake_shopify, shopify_shop, dispatched) -> None:  # type: ignore[no-untyped-def]
    kept = fake_shopify.add_product(SHOP_DOMAIN, title="Kept", images=[])
    gone = fake_shopify.add_product(SHOP_DOMAIN, title="Gone", images=[])
    shopify_services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    del fake_shopify.shops[SHOP_DOMAIN].products[gone.number]

    incremental = shopify_services.catalog_sync(shop_id=shopify_shop.pk, full=False)
    assert not incremental.full and incremental.stats["deleted"] == 0
    assert Product.objects.get(external_id=gone.id).deleted_at is None

    full = shopify_services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    assert full.stats["deleted"] == 1
    assert Product.objects.get(external_id=gone.id).deleted_at is not None
    assert Product.objects.get(external_id=kept.id).deleted_at is None


def test_taobao_full_read_marks_only_items_taobao_no_longer_has_deleted(
        fake_top, taobao_shop, taobao_seller, events_held) -> None:  # type: ignore[no-untyped-def]
    kept = fake_top.add_item(taobao_seller, title="Kept", images=[])
    gone = fake_top.add_item(taobao_seller, title="Gone", images=[])
    shelved = fake_top.add_item(taobao_seller, title="Shelved", images=[])
    taobao_services.catalog_sync(shop_id=taobao_shop.pk, full=True)
    fake_top.delete_item(gone.num_iid, announce=False)
    fake_top.items[shelved.num_iid].approve_status = "instock"

    run = taobao_services.catalog_sync(shop_id=taobao_shop.pk, full=True)

    assert run.provider == "taobao" and run.mode == "windows" and run.stats["deleted"] == 1
    deleted = dict(Product.objects.filter(shop=taobao_shop).values_list("external_id", "deleted_at"))
    assert deleted[str(gone.num_iid)] is not None
    assert deleted[str(kept.num_iid)] is None and deleted[str(shelved.num_iid)] is None


def test_csv_import_marks_products_no_longer_in_the_file_deleted(db, csv_catalogue, held) -> None:  # type: ignore[no-untyped-def]
    shop = csv_catalogue(["mug", "lamp"])
    catalogue_import(shop=shop)
    csv_catalogue(["mug"])

    report = catalogue_import(shop=shop)

    assert report.products == 1
    run = SyncRun.objects.filter(shop=shop).latest("started_at")
    assert (run.provider, run.mode, run.full, run.stats["deleted"]) == ("csvfile", "file", True, 1)
    assert Product.objects.get(shop=shop, external_id="lamp").deleted_at is not None
    assert Product.objects.get(shop=shop, external_id="mug").deleted_at is None
