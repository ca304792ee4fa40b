"""The Taobao implementation of the store-agnostic :class:`~vitrine.connectors.base.Connector` protocol."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

import httpx
from django.conf import settings
from django.utils import timezone

from vitrine.connectors.base import ProductSkipped, PublishResult, RemoteImage, RemoteProduct
from vitrine.connectors.errors import ApiBadRequest, ApiError, ApiNotFound, ApiUnauthorized
from vitrine.connectors.http import image_download
from vitrine.connectors.taobao import selectors
from vitrine.connectors.taobao.api import MAX_PAGE_SIZE, Item, TopApi, picture_path_from_url
from vitrine.connectors.taobao.categories import category_path
from vitrine.connectors.taobao.client import TopClient, http_client
from vitrine.connectors.taobao.signing import GATEWAY_TZ
from vitrine.platform.models import Product

if TYPE_CHECKING:
    from vitrine.platform.models import Shop, SyncRun, Variant

logger = logging.getLogger(__name__)

PROVIDER = "taobao"
# Taobao opened in May 2003: no item was modified before this.
CATALOGUE_EPOCH = datetime(2003, 5, 1, tzinfo=GATEWAY_TZ)
# How long a snapshot of our own pictures is trusted before it is read again (publishes run concurrently).
OWN_MEDIA_TTL = 30.0


class WindowTooDense(ApiBadRequest):
    """More items share one second of modified time than the gateway lets us page through."""


def remote_product(item: Item, images: tuple[RemoteImage, ...], category: str = "") -> RemoteProduct:
    return RemoteProduct(
        external_id=item.num_iid, title=item.title, handle=item.outer_id, product_type=item.cid, category=category,
        tags=tuple(tag for tag in item.seller_cids.split(",") if tag), status=item.approve_status,
        updated_at=item.modified, images=images, options=item.options,
    )


@dataclass
class WindowStats:
    """What listing by windows took: windows paged through, windows split, items listed."""

    windows: int = 0
    splits: int = 0
    listed: int = 0


class TaobaoConnector:
    provider: ClassVar[str] = PROVIDER
    lists_everything: ClassVar[bool] = False  # the listing holds on-sale items only
    listing_per_market: ClassVar[bool] = False

    def __init__(self, shop: Shop, *, http: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.shop = shop
        self._http = http or http_client()
        self._token: str | None = None
        self._token_good_until: datetime | None = None
        self.client = TopClient(session=self._session, on_invalid_session=self._session_refresh,
                                http=self._http, sleep=sleep)
        self.api = TopApi(self.client)
        self._own_media: selectors.OwnMedia | None = None
        self._own_media_read_at = 0.0
        self.window_stats = WindowStats()

    # --- the seller's session ---------------------------------------------------------------------
    def _session(self) -> str:
        margin = timedelta(seconds=settings.TAOBAO_TOKEN_REFRESH_MARGIN)
        if self._token is None or (self._token_good_until is not None
                                   and self._token_good_until - margin <= timezone.now()):
            from vitrine.connectors.taobao.services import credential_session

            self._token, self._token_good_until = credential_session(shop=self.shop)
        return self._token

    def _session_refresh(self) -> str:
        from vitrine.connectors.taobao.services import credential_refresh

        self._token, self._token_good_until = credential_refresh(shop=self.shop, rejected_token=self._token)
        return self._token

    # --- reading the catalogue --------------------------------------------------------------------
    def list_items(self, *, modified_from: datetime, modified_to: datetime, stats: WindowStats | None = None
                   ) -> Iterator[Item]:
        """Every on-sale item modified in [from, to], oldest first, by windows small enough to page through.

        A window whose last page would end past ``TAOBAO_WINDOW_MAX_ITEMS`` (page number times page size,
        the depth the gateway serves) is split in two at its middle second, the gateway's time resolution.
        """
        stats = stats or WindowStats()
        limit = settings.TAOBAO_WINDOW_MAX_ITEMS
        page_size = min(settings.TAOBAO_PAGE_SIZE, MAX_PAGE_SIZE, limit)
        start = modified_from.astimezone(GATEWAY_TZ).replace(microsecond=0)
        end = modified_to.astimezone(GATEWAY_TZ).replace(microsecond=0)
        pending = [(start, end)]
        while pending:
            window_start, window_end = pending.pop()
            first = self.api.items_onsale(start_modified=window_start, end_modified=window_end, page_no=1,
                                          page_size=page_size)
            pages = -(-first.total_results // page_size)
            if pages * page_size > limit:
                seconds = int((window_end - window_start).total_seconds())
                if seconds == 0:
                    raise WindowTooDense(
                        f"{first.total_results} items of shop {self.shop} were modified at "
                        f"{window_start:%Y-%m-%d %H:%M:%S}; pages of {page_size} reach at most {limit} "
                        f"deep (raise TAOBAO_WINDOW_MAX_ITEMS up to the gateway's paging depth)"
                    )
                middle = window_start + timedelta(seconds=seconds // 2)
                stats.splits += 1
                # Later half first onto the stack, so the earlier half is read first (oldest first).
                pending.append((middle + timedelta(seconds=1), window_end))
                pending.append((window_start, middle))
                continue
            stats.windows += 1
            yield from self._counted(first.items, stats)
            for page_no in range(2, pages + 1):
                page = self.api.items_onsale(start_modified=window_start, end_modified=window_end,
                                             page_no=page_no, page_size=page_size)
                yield from self._counted(page.items, stats)

    @staticmethod
    def _counted(items: tuple[Item, ...], stats: WindowStats) -> Iterator[Item]:
        for item in items:
            stats.listed += 1
            yield item

    def fetch_product(self, external_id: str) -> RemoteProduct | None:
        try:
            item = self.api.item(external_id)
        except ApiNotFound:
            return None
        return remote_product(item, self._remote_images(item), category_path(api=self.api, cid=item.cid))

    def iter_products(self, *, updated_since: datetime | None = None, run: SyncRun | None = None
                      ) -> Iterator[RemoteProduct | ProductSkipped]:
        """The on-sale items modified since ``updated_since`` (or all of them), by modified-time windows. An
        item whose ``modified`` equals our copy's is not read again; one that cannot be read (a terminal error
        of its own) is skipped, so one bad item never stops the others."""
        if run is not None:
            run.mode = "windows"
            run.save(update_fields=["mode"])
        known = dict(Product.objects.filter(shop=self.shop, deleted_at__isnull=True)
                     .values_list("external_id", "remote_updated_at"))
        start = updated_since or CATALOGUE_EPOCH
        for listed in self.list_items(modified_from=start, modified_to=timezone.now(), stats=self.window_stats):
            if listed.modified is not None and known.get(listed.num_iid) == listed.modified:
                yield ProductSkipped(listed.num_iid)  # our copy is as new as Taobao's
                continue
            try:
                product = self.fetch_product(listed.num_iid)
            except ApiError as exc:
                if exc.retryable or isinstance(exc, ApiUnauthorized):
                    raise  # the next run (or, for lost authorisation, the seller) has to act; the rest would fail too
                logger.warning("item %s of shop %s skipped: %s", listed.num_iid, self.shop.pk, exc.message)
                yield ProductSkipped(listed.num_iid, error=exc.message)
                continue
            if product is not None:  # deleted between listing and reading
                yield product

    def sync_stats(self) -> dict[str, int | float]:
        stats = self.window_stats
        return {"windows": stats.windows, "splits": stats.splits, "listed": stats.listed,
                "requests": self.client.stats.requests}

    def _remote_images(self, item: Item) -> tuple[RemoteImage, ...]:
        """The item's main images as sources. A slot where we replaced the source with a published variant is
        reported as the original we replaced (kept in the publish ledger): the catalogue copy keeps the
        seller's photo as the source, and our own picture never becomes one."""
        replaced = self.own_media().replaced_originals.get(item.num_iid, {})
        images = []
        for image in item.images:
            original = replaced.get(image.id)
            if original is not None and picture_path_from_url(image.url) in self.own_media().paths:
                images.append(RemoteImage(remote_id=image.id, url=original["url"],
                                          position=original["position"]))
            else:
                images.append(RemoteImage(remote_id=image.id, url=image.url, position=image.position))
        return tuple(images)

    def fetch_image_bytes(self, image: RemoteImage) -> bytes:
        """The file from Taobao's image CDN (``TAOBAO_IMAGE_HOSTS`` only), exactly as served; refused unread
        beyond the intake's limit."""
        return image_download(image.url, allowed_hosts=settings.TAOBAO_IMAGE_HOSTS,
                              attempts=settings.TAOBAO_MAX_ATTEMPTS, remote_id=image.remote_id)

    # --- our own pictures -------------------------------------------------------------------------
    def own_media(self) -> selectors.OwnMedia:
        if self._own_media is None or time.monotonic() - self._own_media_read_at > OWN_MEDIA_TTL:
            self._own_media = selectors.own_media(shop=self.shop)
            self._own_media_read_at = time.monotonic()
        return self._own_media

    def forget_own_media(self) -> None:
        self._own_media = None

    def is_own_media(self, image: RemoteImage) -> bool:
        """Whether an item image is a picture we published (matched by its picture-space path)."""
        return picture_path_from_url(image.url) in self.own_media().paths

    # --- publishing -------------------------------------------------------------------------------
    def publish_variant(self, variant: Variant) -> PublishResult:
        from vitrine.connectors.taobao.publishing import Publisher

        result = Publisher(self).publish(variant)
        self.forget_own_media()
        return result

    def revert_variant(self, variant: Variant) -> None:
        from vitrine.connectors.taobao.publishing import Publisher

        Publisher(self).revert(variant)
        self.forget_own_media()
