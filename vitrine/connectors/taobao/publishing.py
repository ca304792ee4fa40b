"""Putting an approved variant on a Taobao item, step by step, so that a crash anywhere never leaves a
duplicate picture or image.

Steps (each recorded in the variant's :class:`PublishRecord` once it took effect):

1. *prepared*: the file to publish (the variant's output, fitted under picture space's 3 MB, with the AI
   disclosure written into it) is stored as a blob, so every retry sends identical bytes;
2. *uploaded*: the file is in the seller's picture space, uploaded with ``taobao.picture.qnaigc.upload``
   declaring ``aigc=true`` and the ``tool`` matching the edit -- or with ``taobao.picture.upload`` where the
   app was not granted that API;
3. *attached*: ``taobao.item.joint.img`` put the picture on the item: as a new main image (add mode) or in
   the source image's place (replace mode, the original's id, address and position kept for revert);
4. *done*.

Neither write can be repeated safely, and either answer may be lost. So before uploading again, picture
space is searched for our file's unique title; before attaching, the item is read and a main image that
already shows our picture counts as attached.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from vitrine.connectors import disclosure
from vitrine.connectors.base import PublishResult
from vitrine.connectors.errors import ApiBadRequest, ApiForbidden, ApiNotFound
from vitrine.connectors.models import PublishRecord
from vitrine.connectors.publishing import LedgerPublisher, PublishBusy
from vitrine.connectors.taobao.api import AigcTool, Item, ItemImage, Picture, picture_path_from_url
from vitrine.connectors.taobao.client import UploadFile
from vitrine.connectors.taobao.pictures import PictureTooLarge, picture_fit
from vitrine.platform.models import EditKind, Provider, Variant
from vitrine.platform.services import blob_read

if TYPE_CHECKING:
    from vitrine.connectors.taobao.connector import TaobaoConnector

__all__ = ["PublishBusy", "Publisher", "publishable_file"]

logger = logging.getLogger(__name__)

Step = PublishRecord.Step
AIGC_UPLOAD = "taobao.picture.qnaigc.upload"
PLAIN_UPLOAD = "taobao.picture.upload"
TOOL_FOR_KIND = {
    EditKind.MODEL_SWAP: AigcTool.MODEL,
    EditKind.BACKGROUND: AigcTool.SCENE,
    EditKind.TEXT_LOCALIZE: AigcTool.CHANGE,
}
MAX_MAIN_IMAGES = 5
# Room left for the disclosure metadata when fitting under the size limit; grown if it was not enough.
_DISCLOSURE_ROOM = 64 * 1024


def aigc_tool(kind: str) -> str:
    return TOOL_FOR_KIND.get(kind, AigcTool.CHANGE)


def output_fit(data: bytes, content_type: str) -> tuple[bytes, str]:
    """A render fitted under picture space's limit, with room for the disclosure added when publishing."""
    return picture_fit(data, content_type, max_bytes=settings.TAOBAO_PICTURE_MAX_BYTES - _DISCLOSURE_ROOM)


def publishable_file(variant: Variant) -> tuple[bytes, str]:
    """The variant's output as it will be published: the approved pixels with the AI disclosure added.

    The output was fitted under the size limit when it was rendered; one that is not (rendered before, or
    the disclosure did not fit) is refused, never re-encoded behind the reviewer's back."""
    if variant.output is None:
        raise ApiBadRequest(f"variant {variant.pk} has no rendered image to publish")
    source = variant.source_image
    data = blob_read(variant.output)
    content_type = "image/jpeg" if variant.output.content_type == "image/jpeg" else "image/png"
    limit = settings.TAOBAO_PICTURE_MAX_BYTES
    marked = disclosure.disclose(data, content_type=content_type, title=source.product.title,
                                 parent=blob_read(source.original), parent_content_type=source.original.content_type)
    if len(marked) > limit:
        raise PictureTooLarge(f"variant {variant.pk}'s approved picture is {len(marked)} bytes with its disclosure, "
                              f"over picture space's {limit} bytes; render it again to have it fitted")
    return marked, content_type


class Publisher(LedgerPublisher):
    provider = Provider.TAOBAO
    # Resumed once attached (or reverted) even for a newer render: a second upload of the same file would add
    # a second picture. A row dropped for a newer render never reached the listing; its picture (if uploaded)
    # stays unused in picture space.
    resume_steps = frozenset({Step.ATTACHED, Step.DONE, Step.REVERTED})

    def __init__(self, connector: TaobaoConnector) -> None:
        self.connector = connector
        self.api = connector.api

    # --- publishing -------------------------------------------------------------------------------
    def _run_steps(self, record: PublishRecord, variant: Variant) -> None:
        if record.step == Step.PREPARED:
            self._upload(record, variant)
        if record.step == Step.UPLOADED:
            self._attach(record, variant)
        if record.step == Step.ATTACHED:
            self._advance(record, Step.DONE, published_at=timezone.now())

    def _resumed(self, record: PublishRecord) -> bool:
        return super()._resumed(record) or bool(record.checkpoint.get("upload_started"))

    def _result(self, record: PublishRecord, *, already_published: bool) -> PublishResult:
        return PublishResult(remote_media_id=record.remote_media_id,
                             url=(record.checkpoint.get("item_img") or {}).get("url", ""),
                             already_published=already_published,
                             replaced_source=record.mode == PublishRecord.Mode.REPLACE)

    def _publishable(self, variant: Variant) -> tuple[bytes, str]:
        return publishable_file(variant)

    def _initial_checkpoint(self, variant: Variant) -> dict[str, Any]:
        return {"tool": aigc_tool(variant.kind)}

    # --- step 2: upload ---------------------------------------------------------------------------
    def _upload(self, record: PublishRecord, variant: Variant) -> None:
        found = self._uploaded_before(record) if record.checkpoint.get("upload_started") else None
        if found is not None:
            logger.info("variant %s: picture %s was uploaded before (answer lost)", record.variant_id,
                        found.picture_id)
            picture, method = found, record.checkpoint.get("upload_api", AIGC_UPLOAD)
        else:
            picture, method = self._send_picture(record)
        self._advance(record, Step.UPLOADED, remote_media_id=picture.picture_id, checkpoint={
            **record.checkpoint, "picture_id": picture.picture_id,
            "picture_path": picture_path_from_url(picture.picture_path), "upload_api": method,
            "aigc": method == AIGC_UPLOAD,
        })
        self.connector.forget_own_media()

    def _uploaded_before(self, record: PublishRecord) -> Picture | None:
        pictures = self.api.pictures_titled(record.filename)
        return next((picture for picture in pictures if picture.title == record.filename), None)

    def _send_picture(self, record: PublishRecord) -> tuple[Picture, str]:
        file = UploadFile(record.filename, blob_read(record.file), record.file.content_type)
        category = settings.TAOBAO_PICTURE_CATEGORY_ID
        self._note(record, upload_started=True, upload_api=AIGC_UPLOAD)
        try:
            picture = self.api.picture_upload_aigc(file=file, title=record.filename, category_id=category,
                                                   tool=record.checkpoint["tool"])
            return picture, AIGC_UPLOAD
        except ApiForbidden as exc:
            # Not granted to this app: the picture still carries the XMP disclosure, but Taobao's own AIGC
            # mark is missing; the ledger says so.
            logger.warning("variant %s: %s; uploading with %s instead", record.variant_id, exc.message,
                           PLAIN_UPLOAD)
        self._note(record, upload_api=PLAIN_UPLOAD, aigc_refused=True)
        return self.api.picture_upload(file=file, title=record.filename, category_id=category), PLAIN_UPLOAD

    # --- step 3: attach ---------------------------------------------------------------------------
    def _attach(self, record: PublishRecord, variant: Variant) -> None:
        item = self.api.item(record.remote_product_id)
        path = record.checkpoint["picture_path"]
        ours = self._showing(item, path)
        if ours is None:
            ours = self._replace(record, item, variant) if record.mode == PublishRecord.Mode.REPLACE \
                else self._add(record, item)
        else:
            logger.info("variant %s: already on item %s as image %s (answer lost)", record.variant_id,
                        item.num_iid, ours.id)
        self._advance(record, Step.ATTACHED, checkpoint={
            **record.checkpoint, "item_img": {"id": ours.id, "url": ours.url, "position": ours.position}})

    @staticmethod
    def _showing(item: Item, path: str) -> ItemImage | None:
        return next((image for image in item.images if picture_path_from_url(image.url) == path), None)

    def _add(self, record: PublishRecord, item: Item) -> ItemImage:
        taken = {image.position for image in item.images}
        free = [position for position in range(1, MAX_MAIN_IMAGES) if position not in taken]
        if not free:
            raise ApiBadRequest(
                f"item {item.num_iid} already has {len(item.images)} main images, Taobao's maximum; switch "
                f"the shop to replace mode or remove an image to publish variant {record.variant_id}"
            )
        return self.api.item_joint_img(num_iid=item.num_iid, pic_path=record.checkpoint["picture_path"],
                                       position=free[0])

    def _replace(self, record: PublishRecord, item: Item, variant: Variant) -> ItemImage:
        source_id = variant.source_image.remote_id
        current = next((image for image in item.images if image.id == source_id), None)
        if current is None:
            raise ApiNotFound(f"the source image {source_id} is no longer on item {item.num_iid}")
        if "original" not in record.checkpoint:
            original = {"id": current.id, "url": current.url, "position": current.position,
                        "picture_path": picture_path_from_url(current.url)}
            if original["picture_path"] in self.connector.own_media().paths:
                # Another market's variant shows in the slot: what a revert restores is the seller's photo.
                original = self.connector.own_media().replaced_originals.get(item.num_iid, {}).get(
                    current.id, original)
            self._note(record, original=original)
        return self.api.item_joint_img(num_iid=item.num_iid, pic_path=record.checkpoint["picture_path"],
                                       replace_id=current.id, position=current.position,
                                       is_major=current.position == 0)

    # --- reverting --------------------------------------------------------------------------------
    def _take_back(self, record: PublishRecord, variant: Variant) -> None:
        """Delete the image we added, or put the original picture back."""
        if record.step not in (Step.UPLOADED, Step.ATTACHED, Step.DONE):
            return  # nothing of ours can be on the item
        try:
            item = self.api.item(record.remote_product_id)
        except ApiNotFound:
            return  # the item is gone, and our image with it
        path = record.checkpoint.get("picture_path")
        ours = self._showing(item, path) if path else None
        if ours is None:
            return  # never attached, or the seller already took it off
        original = record.checkpoint.get("original")
        if record.mode == PublishRecord.Mode.REPLACE and original:
            self.api.item_joint_img(num_iid=item.num_iid, pic_path=original["picture_path"],
                                    replace_id=ours.id, position=original["position"],
                                    is_major=original["position"] == 0)
        else:
            try:
                self.api.item_img_delete(num_iid=item.num_iid, image_id=ours.id)
            except ApiNotFound:
                logger.info("variant %s: image %s was already deleted", record.variant_id, ours.id)
