"""The kernel's catalogue-sync driver against a store of its own: what a run counts, when products are taken
for deleted, which errors end a run, and that downloads happen before the short write transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from django.db import connection, transaction

from tests.factories import png_bytes
from vitrine.platform import events
from vitrine.platform.catalog import catalog_sync, product_apply, product_images_fetch, product_sync
from vitrine.platform.models import FetchStatus, Product, Shop, SyncRun
from vitrine.platform.stores import (
    ApiBadRequest,
    ApiUnavailable,
    ProductSkipped,
    RemoteImage,
    RemoteProduct,
)


@dataclass
class Store:
    """A store whose products and files are dicts; every download notes whether a transaction was open."""

    shop: Shop
    products: dict[str, RemoteProduct] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    skipped: list[ProductSkipped] = field(default_factory=list)
    unlisted: set[str] = field(default_factory=set)  # exists, but a full read does not list it
    fail_listing: Exception | None = None
    downloads: list[bool] = field(default_factory=list)
    lists_everything: ClassVar[bool] = True
    listing_per_market: ClassVar[bool] = False
    provider: ClassVar[str] = "csvfile"

    def add(self, external_id: str, *, images: int = 1, seed: int = 0) -> RemoteProduct:
        remote_images = []
        for position in range(1, images + 1):
            url = f"https://store.example/{external_id}/{position}-{seed}.png"
            self.files[url] = png_bytes(48, 48, seed=seed * 10 + position)
            remote_images.append(RemoteImage(remote_id=f"{external_id}-{position}", url=url, position=position))
        remote = RemoteProduct(external_id=external_id, title=external_id.title(),
                               updated_at=datetime(2024, 1, 1, tzinfo=UTC), images=tuple(remote_images))
        self.products[external_id] = remote
        return remote

    def fetch_product(self, external_id: str) -> RemoteProduct | None:
        return self.products.get(external_id)

    def iter_products(self, *, updated_since: datetime | None = None, run: SyncRun | None = None
                      ) -> Iterator[RemoteProduct | ProductSkipped]:
        if run is not None:
            run.mode = "dicts"
            run.save(update_fields=["mode"])
        yield from self.skipped
        for external_id, remote in self.products.items():
            if external_id not in self.unlisted:
                yield remote
        if self.fail_listing is not None:
            raise self.fail_listing

    def sync_stats(self) -> dict[str, int | float]:
        return {"requests": 7}

    def fetch_image_bytes(self, image: RemoteImage) -> bytes:
        self.downloads.append(connection.in_atomic_block)
        try:
            return self.files[image.url]
        except KeyError:
            raise ApiUnavailable(f"image {image.remote_id}: timed out") from None

    def is_own_media(self, image: RemoteImage) -> bool:
        return False


class PartialStore(Store):
    lists_everything: ClassVar[bool] = False


@pytest.fixture
def shop(db, monkeypatch: pytest.MonkeyPatch) -> Shop:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(events, "dispatch", lambda event_id: True)
    return Shop.objects.create(provider="csvfile", external_id="dicts", name="Dicts")


def live(shop: Shop) -> set[str]:
    return set(Product.objects.filter(shop=shop, deleted_at__isnull=True).values_list("external_id", flat=True))


def test_a_full_run_takes_every_product_in_and_records_what_it_found(shop: Shop) -> None:
    store = Store(shop)
    store.add("mug", images=2)
    store.add("lamp")

    run = catalog_sync(shop=shop, connector=store)

    assert (run.provider, run.full, run.since, run.mode, run.status) == ("csvfile", True, None, "dicts", "succeeded")
    assert run.stats == {"seen": 2, "synced": 2, "unchanged": 0, "failed": 0, "deleted": 0, "requests": 7}
    assert run.finished_at is not None and live(shop) == {"mug", "lamp"}


def test_only_a_full_run_marks_missing_products_deleted(shop: Shop) -> None:
    store = Store(shop)
    store.add("mug")
    store.add("lamp")
    catalog_sync(shop=shop, connector=store)
    del store.products["lamp"]

    incremental = catalog_sync(shop=shop, connector=store, since=datetime(2024, 1, 1, tzinfo=UTC))
    assert not incremental.full and incremental.stats["deleted"] == 0 and live(shop) == {"mug", "lamp"}

    full = catalog_sync(shop=shop, connector=store)
    assert full.stats["deleted"] == 1 and live(shop) == {"mug"}


def test_skipped_products_were_seen_and_are_not_taken_for_deleted(shop: Shop) -> None:
    store = Store(shop)
    store.add("mug")
    store.add("lamp")
    catalog_sync(shop=shop, connector=store)
    store.unlisted = {"mug", "lamp"}
    store.skipped = [ProductSkipped("mug"), ProductSkipped("lamp", error="refused by the store")]

    run = catalog_sync(shop=shop, connector=store)

    assert (run.stats["unchanged"], run.stats["failed"], run.stats["deleted"]) == (1, 1, 0)
    assert live(shop) == {"mug", "lamp"}


def test_a_store_that_lists_only_some_products_is_asked_before_one_is_taken_for_deleted(shop: Shop) -> None:
    store = PartialStore(shop)
    store.add("mug")
    store.add("shelved")
    store.add("gone")
    catalog_sync(shop=shop, connector=store)
    store.unlisted = {"shelved", "gone"}  # neither is listed; only "gone" is really gone
    del store.products["gone"]

    run = catalog_sync(shop=shop, connector=store)

    assert run.stats["deleted"] == 1 and live(shop) == {"mug", "shelved"}


def test_a_retryable_store_error_fails_the_run_and_deletes_nothing(shop: Shop) -> None:
    store = Store(shop)
    store.add("mug")
    catalog_sync(shop=shop, connector=store)
    del store.products["mug"]
    store.fail_listing = ApiUnavailable("the store timed out")

    with pytest.raises(ApiUnavailable):
        catalog_sync(shop=shop, connector=store)

    run = SyncRun.objects.filter(shop=shop).latest("pk")
    assert (run.status, run.error) == (SyncRun.Status.FAILED, "the store timed out")
    assert live(shop) == {"mug"}


def test_a_terminal_error_of_one_product_skips_it_and_the_run_goes_on(shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = Store(shop)
    store.add("mug")
    store.add("lamp")
    real = Store.is_own_media

    def refuse_mug(self: Store, image: RemoteImage) -> bool:
        if image.remote_id.startswith("mug"):
            raise ApiBadRequest("the store refused the mug")
        return real(self, image)

    monkeypatch.setattr(Store, "is_own_media", refuse_mug)
    run = catalog_sync(shop=shop, connector=store)

    assert run.status == SyncRun.Status.SUCCEEDED and (run.stats["synced"], run.stats["failed"]) == (1, 1)
    assert live(shop) == {"lamp"}


@pytest.mark.django_db(transaction=True)
def test_downloads_hold_no_transaction_and_a_failed_one_costs_only_its_image(shop: Shop) -> None:
    store = Store(shop)
    remote = store.add("mug", images=2)
    del store.files[remote.images[1].url]  # this download times out

    catalog_sync(shop=shop, connector=store)

    assert store.downloads == [False, False]
    images = {image.remote_id: image.fetch_status for image in Product.objects.get(external_id="mug").images.all()}
    assert images == {"mug-1": FetchStatus.OK, "mug-2": FetchStatus.FAILED}
    assert Product.objects.get(external_id="mug").remote_updated_at is None  # read whole again next time


@pytest.mark.django_db(transaction=True)
def test_one_product_from_a_webhook_is_downloaded_outside_the_transaction(shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = Store(shop)
    store.add("mug")
    monkeypatch.setattr("vitrine.platform.catalog.connector_for", lambda shop: store)

    product = product_sync(shop_id=shop.pk, external_id="mug")

    assert product is not None and product.images.get().fetch_status == FetchStatus.OK
    assert store.downloads == [False]


def test_a_row_changed_between_reading_and_writing_is_left_for_the_next_sync(shop: Shop) -> None:
    store = Store(shop)
    remote = store.add("mug")
    catalog_sync(shop=shop, connector=store)
    fetched = product_images_fetch(shop=shop, remote=remote, connector=store)  # the stored image is current
    assert fetched[0].reuse  # no download: the stored image is current
    Product.objects.get(external_id="mug").images.update(source_url="https://store.example/other.png")

    with transaction.atomic():
        product = product_apply(shop=shop, remote=remote, images=fetched)

    assert product.images.get().source_url == "https://store.example/other.png"  # not overwritten unread
    product.refresh_from_db()
    assert product.remote_updated_at is None
