"""Putting an approved variant on a Shopify listing, step by step, so that a crash anywhere never leaves a
duplicate image.

Steps (each recorded in the variant's :class:`PublishRecord` once it took effect):

1. *prepared*: the file to publish (variant output, fitted to Shopify's limits, with the AI disclosure) is
   stored as a blob, so every retry sends identical bytes;
2. *staged*: ``stagedUploadsCreate`` gave an upload target;
3. *uploaded*: the bytes are at the target (sending them again is harmless);
4. *attached*: ``productUpdate`` added the media together with our ``$app`` metafield -- or, in replace
   mode, ``fileUpdate`` swapped the source image's file and ``metafieldsSet`` wrote the metafield;
5. *ready*: Shopify finished processing (``READY``);
6. *done*.

A terminal failure (Shopify refused the input, the media ended ``FAILED``) takes back whatever of ours is
on the listing and drops the ledger row, so a later attempt starts clean; a transient one keeps the row
and the next attempt resumes from the recorded step.

The only step whose effect cannot be repeated safely is 4 (adding twice makes two images). Before it, the
product is read: when our metafield for this variant with this file's sha256 is already there, the attach
happened (its answer was lost) and the media is found again by our file name, instead of adding it anew.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.utils import timezone
from PIL import Image

from vitrine.connectors import disclosure
from vitrine.connectors.errors import ApiBadRequest, ApiConflict, ApiError, ApiNotFound, ApiUnavailable
from vitrine.connectors.models import PublishRecord
from vitrine.connectors.publishing import LedgerPublisher, PublishBusy
from vitrine.connectors.shopify import config, documents
from vitrine.connectors.shopify.client import AdminClient, user_errors_raise
from vitrine.platform.services import blob_read

if TYPE_CHECKING:
    from vitrine.platform.models import Variant

__all__ = ["LEASE", "PROVIDER", "PublishBusy", "Publisher", "is_our_file_url", "marker_key"]

logger = logging.getLogger(__name__)

PROVIDER = "shopify"
APP_NAMESPACE = "$app"
# Shopify's limits for product images.
MAX_SIDE = 4472
MAX_PIXELS = 20_000_000
MAX_ALT_LENGTH = 512
# A worker holds a publish for at most this long before another may take it over.
LEASE = timedelta(seconds=settings.SHOPIFY_PUBLISH_LEASE_SECONDS)
# The names `vitrine.connectors.publishing.file_name` gives our files.
_OUR_FILE = re.compile(r"vitrine-(\d+)-([0-9a-f]{12})\.(?:png|jpg)")

Step = PublishRecord.Step


def marker_key(variant_id: int) -> str:
    """The ``$app`` metafield key that marks a product as carrying this variant."""
    return f"vitrine-variant-{variant_id}"


def is_our_file_url(url: str) -> bool:
    """Whether a media URL names a file we uploaded (our names survive into Shopify's CDN addresses)."""
    return bool(_OUR_FILE.search(url or ""))


def output_fit(data: bytes, content_type: str) -> tuple[bytes, str]:
    return _fit_to_limits(data, content_type), content_type


def _within_limits(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return max(width, height) <= MAX_SIDE and width * height <= MAX_PIXELS


def _fit_to_limits(data: bytes, content_type: str) -> bytes:
    """Shopify refuses images above 4472 px a side or 20 MP: scale down (never up), keeping the format."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        scale = min(1.0, MAX_SIDE / max(width, height), (MAX_PIXELS / (width * height)) ** 0.5)
        if scale >= 1.0:
            return data
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        resized = image.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, format="JPEG" if content_type == "image/jpeg" else "PNG")
        return buffer.getvalue()


class Publisher(LedgerPublisher):
    provider = PROVIDER
    lease = LEASE

    def __init__(self, client: AdminClient, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self._sleep = sleep

    # --- publishing -------------------------------------------------------------------------------
    def _run_steps(self, record: PublishRecord, variant: Variant) -> None:
        if record.step == Step.PREPARED:
            self._stage(record)
        if record.step == Step.STAGED:
            self._upload(record)
        if record.step == Step.UPLOADED:
            self._attach(record, variant)
        if record.step == Step.ATTACHED:
            self._wait_ready(record)
        if record.step == Step.READY:
            self._advance(record, Step.DONE, published_at=timezone.now())

    def _failed(self, record: PublishRecord, variant: Variant, exc: ApiError) -> None:
        if exc.retryable:
            super()._failed(record, variant, exc)
        else:
            self._abandon(record, variant)

    def _abandon(self, record: PublishRecord, variant: Variant) -> None:
        """After a terminal failure: take back what of ours reached the listing, then forget the attempt."""
        if record.step in (Step.ATTACHED, Step.READY):
            try:
                self._take_back(record, variant)
            except ApiError:
                logger.exception("variant %s: could not take back media %s after a failed publish",
                                 record.variant_id, record.remote_media_id)
                return  # keep the row: it is the only trace of the media still on the listing
        record.delete()

    def _publishable(self, variant: Variant) -> tuple[bytes, str]:
        if variant.output is None:
            raise ApiBadRequest(f"variant {variant.pk} has no rendered image to publish")
        source = variant.source_image
        content_type = variant.output.content_type if variant.output.content_type == "image/jpeg" else "image/png"
        data = blob_read(variant.output)
        if not _within_limits(data):
            # Never resized here: the reviewer approved these pixels. Renders are fitted before review.
            raise ApiBadRequest(f"variant {variant.pk}'s approved image is over Shopify's limits ({MAX_SIDE} px a "
                                f"side, {MAX_PIXELS // 1_000_000} MP); render it again to have it fitted")
        return disclosure.disclose(data, content_type=content_type, title=source.product.title,
                                   parent=blob_read(source.original),
                                   parent_content_type=source.original.content_type), content_type

    def _stage(self, record: PublishRecord) -> None:
        target = self._staged_target(record.filename, record.file.content_type, record.file.size)
        self._advance(record, Step.STAGED, checkpoint={**record.checkpoint, "upload": target})

    def _staged_target(self, filename: str, content_type: str, size: int) -> dict[str, Any]:
        data = self.client.execute(documents.STAGED_UPLOADS_CREATE, {"input": [{
            "filename": filename, "mimeType": content_type, "resource": "IMAGE", "httpMethod": "POST",
            "fileSize": str(size),
        }]})
        payload = data.get("stagedUploadsCreate")
        user_errors_raise(payload, operation="stagedUploadsCreate")
        assert payload is not None
        return payload["stagedTargets"][0]

    def _upload(self, record: PublishRecord) -> None:
        target = record.checkpoint["upload"]
        try:
            self._send_file(target, record.filename, record.file.content_type, blob_read(record.file))
        except ApiBadRequest:
            # Upload targets expire: get a fresh one once before giving up.
            target = self._staged_target(record.filename, record.file.content_type, record.file.size)
            self._send_file(target, record.filename, record.file.content_type, blob_read(record.file))
        self._advance(record, Step.UPLOADED, checkpoint={**record.checkpoint, "upload": target})

    def _send_file(self, target: dict[str, Any], filename: str, content_type: str, data: bytes) -> None:
        fields = {parameter["name"]: parameter["value"] for parameter in target["parameters"]}
        try:
            response = config.http_client().post(target["url"], data=fields,
                                                  files={"file": (filename, data, content_type)})
        except httpx.TransportError as exc:
            raise ApiUnavailable(f"upload of {filename} failed: {exc!r}") from exc
        if response.status_code >= 500:
            raise ApiUnavailable(f"upload of {filename}: the upload target answered {response.status_code}",
                                 status=response.status_code)
        if response.status_code >= 400:
            raise ApiBadRequest(f"upload of {filename} refused ({response.status_code}): {response.text[:200]}",
                                status=response.status_code)

    def _product_state(self, record: PublishRecord) -> dict[str, Any]:
        product = self.client.execute(documents.PUBLISH_STATE, {
            "id": record.remote_product_id, "key": marker_key(record.variant_id),
        }).get("product")
        if product is None:
            raise ApiNotFound(f"product {record.remote_product_id} is no longer in the shop")
        return product

    def _marked(self, product: dict[str, Any], record: PublishRecord) -> bool:
        metafield = product.get("metafield")
        if not metafield:
            return False
        try:
            value = json.loads(metafield["value"])
        except (TypeError, ValueError):
            return False
        return value.get("sha256") == record.sha256

    def _marker_value(self, record: PublishRecord, variant: Variant) -> str:
        return json.dumps({"variant": record.variant_id, "sha256": record.sha256, "file": record.filename,
                           "market": variant.market.locale, "mode": record.mode})

    def _attach(self, record: PublishRecord, variant: Variant) -> None:
        product = self._product_state(record)
        if record.mode == PublishRecord.Mode.REPLACE:
            self._replace(record, variant, product)
            return
        if self._marked(product, record):
            found = self._find_our_media(product["media"]["nodes"], record)
            if found is not None:
                logger.info("variant %s was attached before (answer lost); media %s", record.variant_id, found)
                self._advance(record, Step.ATTACHED, remote_media_id=found)
                return
        data = self.client.execute(documents.PRODUCT_ATTACH_MEDIA, {
            "product": {"id": record.remote_product_id, "metafields": [{
                "namespace": APP_NAMESPACE, "key": marker_key(record.variant_id), "type": "json",
                "value": self._marker_value(record, variant)}]},
            "media": [{"originalSource": record.checkpoint["upload"]["resourceUrl"], "mediaContentType": "IMAGE",
                       "alt": self._alt(variant)}],
        })
        payload = data.get("productUpdate")
        user_errors_raise(payload, operation="productUpdate")
        assert payload is not None
        found = self._find_our_media(((payload.get("product") or {}).get("media") or {}).get("nodes") or [], record)
        if found is None:
            raise ApiUnavailable(f"productUpdate for variant {record.variant_id} returned no media of ours")
        self._advance(record, Step.ATTACHED, remote_media_id=found)

    def _replace(self, record: PublishRecord, variant: Variant, product: dict[str, Any]) -> None:
        target_id = variant.source_image.remote_id
        if self._marked(product, record):
            self._advance(record, Step.ATTACHED, remote_media_id=target_id)
            return
        current = next((node for node in product["media"]["nodes"] if node["id"] == target_id), None)
        if current is None:
            raise ApiNotFound(f"the source image {target_id} is no longer on product {record.remote_product_id}")
        if current["status"] != "READY":
            raise ApiConflict(f"the source image {target_id} is {current['status']}; it can be replaced once "
                              f"Shopify has processed it", retry_after=30)
        if "replaced" not in record.checkpoint:
            # Another market's variant may show in the slot now: a revert puts the merchant's alt back.
            shows_ours = is_our_file_url((current.get("image") or {}).get("url") or "")
            alt = variant.source_image.alt if shows_ours else current.get("alt") or ""
            self._advance(record, Step.UPLOADED, checkpoint={
                **record.checkpoint, "replaced": {"media_id": target_id, "alt": alt}})
        self._file_update(target_id, record.checkpoint["upload"]["resourceUrl"], self._alt(variant))
        data = self.client.execute(documents.METAFIELDS_SET, {"metafields": [{
            "ownerId": record.remote_product_id, "namespace": APP_NAMESPACE, "key": marker_key(record.variant_id),
            "type": "json", "value": self._marker_value(record, variant)}]})
        user_errors_raise(data.get("metafieldsSet"), operation="metafieldsSet")
        self._advance(record, Step.ATTACHED, remote_media_id=target_id)

    def _file_update(self, media_id: str, source_url: str, alt: str) -> None:
        data = self.client.execute(documents.FILE_UPDATE, {"files": [
            {"id": media_id, "originalSource": source_url, "alt": alt}]})
        payload = data.get("fileUpdate") or {}
        if any(error.get("code") == "NON_READY_STATE" for error in payload.get("userErrors") or []):
            raise ApiConflict(f"media {media_id} is still processing; it can be updated once READY", retry_after=30)
        user_errors_raise(payload, operation="fileUpdate")

    @staticmethod
    def _alt(variant: Variant) -> str:
        return (variant.alt_text or variant.source_image.alt)[:MAX_ALT_LENGTH]

    @staticmethod
    def _find_our_media(nodes: list[dict[str, Any]], record: PublishRecord) -> str | None:
        stem = record.filename.rsplit(".", 1)[0]
        for node in nodes:
            urls = [(node.get("image") or {}).get("url"), (node.get("originalSource") or {}).get("url")]
            if any(url and stem in url for url in urls):
                return node["id"]
        return None

    def _wait_ready(self, record: PublishRecord) -> None:
        deadline = time.monotonic() + settings.SHOPIFY_MEDIA_READY_TIMEOUT
        interval = settings.SHOPIFY_MEDIA_POLL_INTERVAL
        while True:
            node = self.client.execute(documents.MEDIA_STATUS, {"id": record.remote_media_id}).get("node")
            if node is None:
                raise ApiNotFound(f"media {record.remote_media_id} disappeared while Shopify processed it")
            if node["status"] == "READY":
                self._advance(record, Step.READY)
                return
            if node["status"] == "FAILED":
                reasons = "; ".join(error["message"] for error in node.get("mediaErrors") or []) or "no reason"
                raise ApiBadRequest(f"Shopify could not process the image of variant {record.variant_id}: "
                                    f"{reasons}", code="MEDIA_FAILED")
            if time.monotonic() + interval > deadline:
                raise ApiConflict(f"media {record.remote_media_id} still {node['status']} after "
                                  f"{settings.SHOPIFY_MEDIA_READY_TIMEOUT:.0f} s", retry_after=60)
            self._sleep(interval)
            interval = min(interval * 1.5, 10.0)

    # --- reverting --------------------------------------------------------------------------------
    def _take_back(self, record: PublishRecord, variant: Variant) -> None:
        if record.mode == PublishRecord.Mode.REPLACE:
            self._restore_original(record, variant)
        elif record.remote_media_id:
            data = self.client.execute(documents.FILE_DELETE, {"ids": [record.remote_media_id]})
            payload = data.get("fileDelete") or {}
            errors = [e for e in payload.get("userErrors") or [] if e.get("code") != "FILE_DOES_NOT_EXIST"]
            user_errors_raise({"userErrors": errors}, operation="fileDelete")
        data = self.client.execute(documents.METAFIELDS_DELETE, {"metafields": [{
            "ownerId": record.remote_product_id, "namespace": APP_NAMESPACE, "key": marker_key(record.variant_id)}]})
        user_errors_raise(data.get("metafieldsDelete"), operation="metafieldsDelete")

    def _restore_original(self, record: PublishRecord, variant: Variant) -> None:
        """No Shopify call reverts a file: upload the original bytes we kept and swap them back in. A swap
        that Shopify failed to process left the previous file in place: acknowledging the failure is enough."""
        replaced = record.checkpoint.get("replaced")
        if not replaced:
            return  # the source image was never swapped
        node = self.client.execute(documents.MEDIA_STATUS, {"id": replaced["media_id"]}).get("node")
        if node is not None and node["status"] == "FAILED":
            data = self.client.execute(documents.FILE_ACKNOWLEDGE_UPDATE_FAILED, {"ids": [replaced["media_id"]]})
            user_errors_raise(data.get("fileAcknowledgeUpdateFailed"), operation="fileAcknowledgeUpdateFailed")
            return
        url = ((node or {}).get("image") or {}).get("url") or ""
        if url and record.filename.rsplit(".", 1)[0] not in url:
            return  # the slot shows another file now (another market's variant, or the merchant's): keep it
        original = variant.source_image.original
        name = f"original-{variant.source_image.pk}-{original.sha256[:12]}." + (
            "jpg" if original.content_type == "image/jpeg" else "png")
        target = self._staged_target(name, original.content_type, original.size)
        self._send_file(target, name, original.content_type, blob_read(original))
        self._file_update(replaced["media_id"], target["resourceUrl"], replaced["alt"])
