"""The Shopify implementation of the store-agnostic :class:`~vitrine.connectors.base.Connector`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar

from django.conf import settings

from vitrine.connectors.base import PublishResult, RemoteImage, RemoteProduct
from vitrine.connectors.http import image_download
from vitrine.connectors.models import PublishRecord
from vitrine.connectors.selectors import media_published_by_us
from vitrine.connectors.shopify.publishing import PROVIDER, Publisher, is_our_file_url
from vitrine.connectors.shopify.services import admin_client
from vitrine.connectors.shopify.sync import CatalogReader, search_updated_since
from vitrine.platform.models import Shop, SyncRun, Variant

PAGES, BULK = "pages", "bulk"  # how a catalogue read goes: a paginated products query, or a bulk operation


class ShopifyConnector:
    provider: ClassVar[str] = PROVIDER
    lists_everything: ClassVar[bool] = True
    listing_per_market: ClassVar[bool] = False

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.client = admin_client(shop)
        self.catalog = CatalogReader(self.client)

    # --- catalogue --------------------------------------------------------------------------------
    def fetch_product(self, external_id: str) -> RemoteProduct | None:
        return self.catalog.product(external_id)

    def iter_products(self, *, updated_since: datetime | None = None, run: SyncRun | None = None
                      ) -> Iterator[RemoteProduct]:
        mode = self.sync_mode(updated_since=updated_since)
        if run is not None:
            run.mode = mode
            run.save(update_fields=["mode"])
        yield from self.products_by(mode, updated_since=updated_since, run=run)

    def sync_mode(self, *, updated_since: datetime | None) -> str:
        """Paging for up to ``SHOPIFY_BULK_THRESHOLD`` products, a bulk operation above that."""
        threshold = settings.SHOPIFY_BULK_THRESHOLD
        count = self.catalog.count(search=search_updated_since(updated_since), limit=threshold + 1)
        return BULK if count > threshold else PAGES

    def products_by(self, mode: str, *, updated_since: datetime | None,
                    run: SyncRun | None = None) -> Iterator[RemoteProduct]:
        search = search_updated_since(updated_since)
        if mode == PAGES:
            yield from self.catalog.pages(search=search)
            return
        operation_id = self.catalog.bulk_start(search=search)
        if run is not None:
            run.remote_operation_id = operation_id
            run.save(update_fields=["remote_operation_id"])

        def webhook_says_done() -> bool:
            # bulk_operations/finish records the status on the run; then the next poll is the last.
            return run is not None and SyncRun.objects.filter(
                pk=run.pk, remote_operation_status__in=["COMPLETED", "FAILED", "CANCELED"]).exists()

        yield from self.catalog.bulk_products(self.catalog.bulk_wait(operation_id, finished=webhook_says_done))

    def sync_stats(self) -> dict[str, int | float]:
        stats = self.client.stats
        return {"requests": stats.requests, "cost_points": stats.actual_cost,
                "throttled_seconds": stats.waited_seconds}

    def fetch_image_bytes(self, image: RemoteImage) -> bytes:
        """The file from Shopify's CDN (``SHOPIFY_IMAGE_HOSTS`` only), exactly as served."""
        return image_download(image.url, allowed_hosts=settings.SHOPIFY_IMAGE_HOSTS,
                              attempts=settings.SHOPIFY_MAX_ATTEMPTS, remote_id=image.remote_id)

    def is_own_media(self, image: RemoteImage) -> bool:
        """Our published variants must never become sources: known by our file name in the media's address
        (the name the ledger and the ``$app`` marker metafield record; it also covers the moment between
        attaching and recording the attach), or from the ledger for media we added. A replace-mode ledger
        row names the merchant's own media id, which stays the merchant's: there only the file decides, so
        a photo the merchant puts back into that slot is theirs again."""
        return is_our_file_url(image.url) or media_published_by_us(
            shop=self.shop, provider=PROVIDER, remote_media_id=image.remote_id, mode=PublishRecord.Mode.ADD)

    # --- publishing -------------------------------------------------------------------------------
    def publish_variant(self, variant: Variant) -> PublishResult:
        return Publisher(self.client).publish(variant)

    def revert_variant(self, variant: Variant) -> None:
        Publisher(self.client).revert(variant)
