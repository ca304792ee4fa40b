"""Every store's image downloads go through the guarded fetcher: only the store's image hosts, never an
internal address, whatever the catalogue says."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.factories import png_bytes
from tests.fakes.files import FileServer
from vitrine.connectors.csvfile.services import catalogue_import, csv_shop_ensure
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Event, FetchStatus, Shop, SourceImage

pytest_plugins = ["tests.fakes.taobao.fixtures"]


def rejected_codes() -> list[str]:
    synced = Event.objects.filter(type=events.CATALOG_PRODUCT_SYNCED).order_by("pk").last()
    return [rejected["code"] for rejected in synced.payload["rejected_images"]]


def stored_images(product) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Images with bytes; a refused download is kept only as a failed row with its reason."""
    assert all(image.fetch_status == FetchStatus.FAILED and image.fetch_error for image in product.images.all())
    return list(product.images.filter(image__isnull=False).values_list("remote_id", "sha256"))


def test_shopify_images_come_only_from_the_shopify_cdn(fake_shopify, shopify_shop: Shop, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SHOPIFY_IMAGE_HOSTS = ["cdn.shopify.com"]  # the fake's loopback address is not among them
    remote = fake_shopify.add_product("acme.myshopify.com", title="Shirt", images=[png_bytes(96, 96, seed=1)])
    product = product_sync(shop_id=shopify_shop.pk, external_id=remote.id)
    assert not stored_images(product) and rejected_codes() == ["address_refused"]
    assert fake_shopify.stats.requests.get("cdn", 0) == 0


def test_taobao_images_come_only_from_the_taobao_cdn(fake_top, taobao_shop: Shop, taobao_seller, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TAOBAO_IMAGE_HOSTS = ["*.alicdn.com"]
    item = fake_top.add_item(taobao_seller, title="Tea", images=[png_bytes(96, 96, seed=2)])
    product = product_sync(shop_id=taobao_shop.pk, external_id=str(item.num_iid))
    assert product is not None and not stored_images(product) and rejected_codes() == ["address_refused"]


def test_a_csv_row_pointing_at_an_internal_service_stores_nothing(db, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FETCH_ALLOW_PRIVATE_HOSTS = []
    with FileServer() as internal:
        secret = internal.serve("/admin/export.png", png_bytes(96, 96, seed=5))
        path = tmp_path / "products.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["Handle", "Title", "Image Src"])
            writer.writeheader()
            writer.writerow({"Handle": "mug", "Title": "Mug", "Image Src": secret})
        shop = csv_shop_ensure(name="Shop", csv_path=path, images_dir=tmp_path)
        report = catalogue_import(shop=shop)
    assert internal.hits == [] and not SourceImage.objects.exists()
    [error] = report.errors
    assert "is not an address images are downloaded from" in error.message
