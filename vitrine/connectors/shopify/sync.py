"""Reading a shop's catalogue: one product, pages of products, or a bulk operation's JSONL.

All three turn Shopify's product nodes into the store-agnostic :class:`RemoteProduct`. Only image media
that Shopify has finished processing (status READY, with an image URL) become :class:`RemoteImage`;
videos, 3D models and images still processing are left for the next sync.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

import httpx
from django.conf import settings

from vitrine.connectors.base import RemoteImage, RemoteProduct
from vitrine.connectors.errors import ApiBadRequest, ApiError, ApiUnavailable
from vitrine.connectors.http import backoff_delay
from vitrine.connectors.shopify import config, documents
from vitrine.connectors.shopify.client import AdminClient, user_errors_raise

logger = logging.getLogger(__name__)

_BULK_DONE = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})


def _parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def remote_images(media_nodes: Iterable[dict[str, Any]]) -> tuple[RemoteImage, ...]:
    """Processed images among a product's media, numbered by their position on the listing (1-based)."""
    images = []
    for position, node in enumerate(media_nodes, start=1):
        image = node.get("image") or {}
        if node.get("mediaContentType") != "IMAGE" or node.get("status") != "READY" or not image.get("url"):
            continue
        images.append(RemoteImage(remote_id=node["id"], url=image["url"], position=position,
                                  alt=node.get("alt") or "", width=image.get("width"), height=image.get("height")))
    return tuple(images)


def remote_product(node: dict[str, Any], media_nodes: Iterable[dict[str, Any]]) -> RemoteProduct:
    return RemoteProduct(
        external_id=node["id"], title=node.get("title") or "", handle=node.get("handle") or "",
        product_type=node.get("productType") or "", vendor=node.get("vendor") or "",
        tags=tuple(node.get("tags") or ()), status=(node.get("status") or "").lower(),
        options=None if "options" not in node else tuple(
            (option.get("name") or "", tuple(option.get("values") or ())) for option in node["options"] or ()
        ),
        updated_at=_parse_datetime(node.get("updatedAt")), images=remote_images(media_nodes),
    )


def search_updated_since(moment: datetime | None) -> str | None:
    """Shopify search syntax for "changed after ``moment``" (seconds precision, UTC)."""
    if moment is None:
        return None
    return f"updated_at:>'{moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


class CatalogReader:
    def __init__(self, client: AdminClient, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self._sleep = sleep

    # --- one product ------------------------------------------------------------------------------
    def product(self, product_id: str) -> RemoteProduct | None:
        node = self.client.execute(documents.PRODUCT, {"id": product_id}).get("product")
        if node is None:
            return None
        return remote_product(node, self._all_media(node))

    def _all_media(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        media = node.get("media") or {}
        nodes = list(media.get("nodes") or [])
        page = media.get("pageInfo") or {}
        while page.get("hasNextPage"):
            data = self.client.execute(documents.PRODUCT_MEDIA_PAGE, {"id": node["id"],
                                                                      "after": page.get("endCursor")})
            more = ((data.get("product") or {}).get("media")) or {}
            nodes.extend(more.get("nodes") or [])
            page = more.get("pageInfo") or {}
        return nodes

    # --- counting and paging ----------------------------------------------------------------------
    def count(self, *, search: str | None, limit: int) -> int:
        data = self.client.execute(documents.PRODUCTS_COUNT, {"query": search, "limit": limit})
        return int((data.get("productsCount") or {}).get("count") or 0)

    def pages(self, *, search: str | None) -> Iterator[RemoteProduct]:
        """Every product matching ``search``, a page at a time (``SHOPIFY_PAGE_SIZE``, halved whenever
        Shopify says a page would cost more than its single-query limit)."""
        page_size = settings.SHOPIFY_PAGE_SIZE
        after: str | None = None
        while True:
            try:
                data = self.client.execute(documents.PRODUCTS_PAGE,
                                           {"first": page_size, "after": after, "query": search})
            except ApiBadRequest as exc:
                if exc.code != "MAX_COST_EXCEEDED" or page_size == 1:
                    raise
                page_size = max(1, page_size // 2)
                continue
            products = data.get("products") or {}
            for node in products.get("nodes") or []:
                yield remote_product(node, self._all_media(node))
            page = products.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            after = page.get("endCursor")

    # --- bulk operations --------------------------------------------------------------------------
    def bulk_start(self, *, search: str | None) -> str:
        data = self.client.execute(documents.BULK_OPERATION_RUN_QUERY,
                                   {"query": documents.bulk_products_query(search)})
        payload = data.get("bulkOperationRunQuery")
        user_errors_raise(payload, operation="bulkOperationRunQuery")
        assert payload is not None
        return payload["bulkOperation"]["id"]

    def bulk_status(self, operation_id: str) -> dict[str, Any]:
        operation = self.client.execute(documents.BULK_OPERATION, {"id": operation_id}).get("bulkOperation")
        if operation is None:
            raise ApiBadRequest(f"bulk operation {operation_id} is unknown to Shopify")
        return operation

    def bulk_wait(self, operation_id: str, *, finished: Callable[[], bool] = lambda: False) -> dict[str, Any]:
        """Poll until the operation ends (``finished`` may say early that its webhook already came)."""
        deadline = time.monotonic() + settings.SHOPIFY_BULK_TIMEOUT
        interval = settings.SHOPIFY_BULK_POLL_INTERVAL
        while True:
            operation = self.bulk_status(operation_id)
            if operation["status"] in _BULK_DONE:
                return operation
            if time.monotonic() > deadline:
                raise ApiUnavailable(f"bulk operation {operation_id} still {operation['status']} after "
                                     f"{settings.SHOPIFY_BULK_TIMEOUT:.0f} s")
            if not finished():
                self._sleep(interval)
                interval = min(interval * 1.5, 30.0)

    def bulk_products(self, operation: dict[str, Any]) -> Iterator[RemoteProduct]:
        """The products of a finished bulk operation, from its JSONL file."""
        if operation["status"] != "COMPLETED":
            raise ApiBadRequest(f"bulk operation {operation['id']} ended {operation['status']} "
                                f"({operation.get('errorCode') or 'no error code'})")
        if not operation.get("url"):
            return  # nothing matched: Shopify writes no file
        # The file can be large: spool it to disk, then read it back line by line.
        with tempfile.TemporaryFile() as spool:
            self._download(operation["url"], spool)
            spool.seek(0)
            yield from parse_bulk_jsonl(spool)

    def _download(self, url: str, spool: BinaryIO) -> None:
        for attempt in range(1, settings.SHOPIFY_MAX_ATTEMPTS + 1):
            spool.seek(0)
            spool.truncate()
            try:
                with config.http_client().stream("GET", url) as response:
                    if response.status_code != 200:
                        raise ApiUnavailable(f"bulk result download answered {response.status_code}",
                                             status=response.status_code)
                    for chunk in response.iter_bytes():
                        spool.write(chunk)
                return
            except (httpx.TransportError, ApiError) as exc:
                if attempt >= settings.SHOPIFY_MAX_ATTEMPTS:
                    raise ApiUnavailable(f"bulk result download failed: {exc!r}") from exc
                self._sleep(backoff_delay(attempt))


def parse_bulk_jsonl(lines: Iterable[bytes | str]) -> Iterator[RemoteProduct]:
    """Products from bulk JSONL: one object per line; media rows carry ``__parentId`` and come after their
    product, though not necessarily right after it. A product is complete only at the end of the file, so
    rows are gathered first and products yielded in file order once every line has been read."""
    products: dict[str, dict[str, Any]] = {}
    media: dict[str, list[dict[str, Any]]] = {}
    for number, raw in enumerate(lines, start=1):
        text = raw.decode() if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError as exc:
            raise ApiUnavailable(f"bulk result line {number} is not JSON: {text[:80]!r}") from exc
        parent = row.pop("__parentId", None)
        if parent is None:
            products[row["id"]] = row
            media.setdefault(row["id"], [])
        elif parent in products:
            media[parent].append(row)
        else:
            raise ApiUnavailable(f"bulk result line {number} names parent {parent} before the parent's own line")
    for product_id, node in products.items():
        yield remote_product(node, media[product_id])
