"""The TOP methods we use, with their answers parsed into small typed records.

TOP leaves a list out of the answer entirely when it is empty (``{"items_onsale_get_response":
{"total_results": 0}}``) and wraps non-empty lists one level deep (``"items": {"item": [...]}``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from vitrine.connectors.errors import ApiUnavailable
from vitrine.connectors.taobao.client import TopClient, UploadFile
from vitrine.connectors.taobao.signing import parse_gateway_time

logger = logging.getLogger(__name__)

ITEM_LIST_FIELDS = "num_iid,modified"
ITEM_FIELDS = ("num_iid,title,outer_id,approve_status,cid,seller_cids,modified,pic_url,item_img,props_name,"
               "property_alias")
ITEM_CATEGORY_FIELDS = "cid,parent_cid,name,is_parent"
MAX_PAGE_SIZE = 200
# Where picture-space paths sit in image addresses (``.../imgextra/<path>`` or ``.../bao/uploaded/<path>``).
_CDN_PATH_MARKERS = ("/imgextra/", "/bao/uploaded/")


class AigcTool:
    """The ``tool`` of ``taobao.picture.qnaigc.upload``: what the AI did to the picture."""

    MODEL = "model_img"  # a model was put into (or swapped in) the photo
    SCENE = "scene_img"  # the scene or background was generated
    CHANGE = "change_img"  # any other edit


@dataclass(frozen=True)
class ItemImage:
    id: str
    url: str
    position: int


@dataclass(frozen=True)
class Item:
    num_iid: str
    title: str
    modified: datetime | None
    approve_status: str = ""
    outer_id: str = ""
    cid: str = ""
    seller_cids: str = ""
    images: tuple[ItemImage, ...] = ()
    # (property name, its values) from ``props_name`` with the seller's aliases applied; empty when the answer
    # carries no properties (the on-sale listing never asks for them)
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class ItemCategory:
    cid: str
    parent_cid: str
    name: str
    is_parent: bool = False


@dataclass(frozen=True)
class ItemPage:
    total_results: int
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Picture:
    picture_id: str
    picture_path: str
    title: str = ""


@dataclass(frozen=True)
class TmcMessage:
    id: str
    topic: str
    user_id: str
    user_nick: str
    content: dict[str, Any]
    pub_time: datetime | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class TmcUnreadable:
    """A message of a batch that cannot be read (no id or topic, a malformed time): kept with the reason."""

    id: str  # empty when the message does not even carry one
    reason: str
    raw: dict[str, Any]


def unwrap_list(container: Any, name: str) -> list[dict[str, Any]]:
    """``{"item": [...]}`` -> the list; an absent container means an empty list."""
    if container is None:
        return []
    if not isinstance(container, dict):
        raise ApiUnavailable(f"TOP answered with a malformed {name} list: {str(container)[:200]}")
    values = container.get(name) or []
    if isinstance(values, dict):  # a single element is sometimes sent bare
        values = [values]
    return [value for value in values if isinstance(value, dict)]


def picture_path_from_url(url: str) -> str:
    """The picture-space path inside an image address; the address itself when it has no known marker."""
    path = urlsplit(url).path
    for marker in _CDN_PATH_MARKERS:
        if marker in path:
            return path.split(marker, 1)[1]
    return url


def _unescape(text: str) -> str:
    """TOP sends a colon inside a property or value name as ``#cln#`` and a semicolon as ``#scln#``."""
    return text.replace("#cln#", ":").replace("#scln#", ";")


def _segments(value: Any, *, field: str, num_iid: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, str):
        logger.debug("item %s: %s is not text, ignored: %r", num_iid, field, value)
        return []
    return [segment for segment in value.split(";") if segment.strip()]


def item_options(props_name: Any, property_alias: Any = "", *, num_iid: str = ""
                 ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The item's properties as options: each property name in order of first appearance with its values in
    order of appearance, a value the seller aliased (``property_alias``) named by the alias, duplicates dropped.

    ``props_name`` is ``pid:vid:property name:value name;...``, one segment per value (a sale property such
    as 颜色分类 or 尺码 repeats its pid once per value); ``property_alias`` is ``pid:vid:alias;...``. A
    malformed segment is skipped (logged at debug level): a seller's odd data never keeps the item out.
    """
    aliases: dict[tuple[str, str], str] = {}
    for segment in _segments(property_alias, field="property_alias", num_iid=num_iid):
        parts = segment.split(":", 2)  # an alias holding a bare colon keeps it
        if len(parts) != 3 or not all(part.strip() for part in parts):
            logger.debug("item %s: malformed property_alias segment skipped: %r", num_iid, segment)
            continue
        pid, vid, alias = (part.strip() for part in parts)
        aliases[(pid, vid)] = _unescape(alias)
    options: dict[str, list[str]] = {}
    for segment in _segments(props_name, field="props_name", num_iid=num_iid):
        parts = segment.split(":")
        if len(parts) != 4 or not all(part.strip() for part in parts):
            logger.debug("item %s: malformed props_name segment skipped: %r", num_iid, segment)
            continue
        pid, vid, name, value = (part.strip() for part in parts)
        values = options.setdefault(_unescape(name), [])
        value = aliases.get((pid, vid)) or _unescape(value)
        if value not in values:
            values.append(value)
    return tuple((name, tuple(values)) for name, values in options.items())


def _time(value: Any) -> datetime | None:
    return parse_gateway_time(str(value)) if value else None


def _item(data: dict[str, Any]) -> Item:
    if "num_iid" not in data:
        raise ApiUnavailable(f"TOP answered with an item that has no num_iid: {str(data)[:200]}")
    images = tuple(
        _item_image(image, method="taobao.item.seller.get")
        for image in unwrap_list(data.get("item_imgs"), "item_img")
    )
    return Item(
        num_iid=str(data["num_iid"]), title=str(data.get("title") or ""),
        modified=_time(data.get("modified")), approve_status=str(data.get("approve_status") or ""),
        outer_id=str(data.get("outer_id") or ""), cid=str(data.get("cid") or ""),
        seller_cids=str(data.get("seller_cids") or ""),
        images=tuple(sorted(images, key=lambda image: image.position)),
        options=item_options(data.get("props_name"), data.get("property_alias"), num_iid=str(data["num_iid"])),
    )


def _item_category(data: dict[str, Any]) -> ItemCategory:
    if not data.get("cid") or not data.get("name"):
        raise ApiUnavailable(f"TOP answered with a category without cid or name: {str(data)[:200]}")
    is_parent = data.get("is_parent")
    return ItemCategory(cid=str(data["cid"]), parent_cid=str(data.get("parent_cid") or ""), name=str(data["name"]),
                        is_parent=is_parent is True or str(is_parent).lower() == "true")


def _picture(data: dict[str, Any]) -> Picture:
    if not data.get("picture_id") or not data.get("picture_path"):
        raise ApiUnavailable(f"TOP answered with a picture without id or path: {str(data)[:200]}")
    return Picture(picture_id=str(data["picture_id"]), picture_path=str(data["picture_path"]),
                   title=str(data.get("title") or ""))


def _item_image(data: Any, *, method: str) -> ItemImage:
    if not isinstance(data, dict) or not data.get("id"):
        raise ApiUnavailable(f"TOP answered {method} without the item image: {str(data)[:200]}")
    return ItemImage(id=str(data["id"]), url=str(data.get("url") or ""),
                     position=int(data.get("position") or 0))


class TopApi:
    """One seller's (or, for TMC, the app's) view of the methods the connector needs."""

    def __init__(self, client: TopClient) -> None:
        self.client = client

    # --- items ------------------------------------------------------------------------------------
    def items_onsale(self, *, start_modified: datetime, end_modified: datetime, page_no: int,
                     page_size: int) -> ItemPage:
        answer = self.client.call("taobao.items.onsale.get", {
            "fields": ITEM_LIST_FIELDS, "start_modified": start_modified, "end_modified": end_modified,
            "page_no": page_no, "page_size": min(page_size, MAX_PAGE_SIZE), "order_by": "modified:asc",
        })
        items = tuple(_item(item) for item in unwrap_list(answer.get("items"), "item"))
        return ItemPage(total_results=int(answer.get("total_results") or 0), items=items)

    def item(self, num_iid: str) -> Item:
        answer = self.client.call("taobao.item.seller.get", {"num_iid": num_iid, "fields": ITEM_FIELDS})
        data = answer.get("item")
        if not isinstance(data, dict):
            raise ApiUnavailable(f"TOP answered taobao.item.seller.get for {num_iid} without the item")
        return _item(data)

    def item_categories(self, cids: Iterable[str]) -> list[ItemCategory]:
        """``taobao.itemcats.get`` for the given category ids (an app-level call: no seller session)."""
        answer = self.client.call("taobao.itemcats.get", {"cids": ",".join(cids), "fields": ITEM_CATEGORY_FIELDS},
                                  with_session=False)
        return [_item_category(data) for data in unwrap_list(answer.get("item_cats"), "item_cat")]

    # --- pictures ---------------------------------------------------------------------------------
    def picture_upload(self, *, file: UploadFile, title: str, category_id: int) -> Picture:
        answer = self.client.call(
            "taobao.picture.upload",
            {"picture_category_id": category_id, "image_input_title": title},
            files={"img": file}, write=True,
        )
        return _picture(answer.get("picture") or {})

    def picture_upload_aigc(self, *, file: UploadFile, title: str, category_id: int, tool: str) -> Picture:
        """Upload into picture space declaring the picture AI-made (``aigc=true``) and by which ``tool``."""
        answer = self.client.call(
            "taobao.picture.qnaigc.upload",
            {"picture_category_id": category_id, "image_input_title": title, "aigc": True, "tool": tool},
            files={"img": file}, write=True,
        )
        return _picture(answer.get("picture") or {})

    def pictures_titled(self, title: str) -> list[Picture]:
        answer = self.client.call("taobao.picture.get", {"title": title, "deleted": "unfroze"})
        return [_picture(data) for data in unwrap_list(answer.get("pictures"), "picture")]

    # --- item images ------------------------------------------------------------------------------
    def item_joint_img(self, *, num_iid: str, pic_path: str, position: int | None = None,
                       replace_id: str | None = None, is_major: bool = False) -> ItemImage:
        """Attach a picture from picture space to the item (with ``replace_id``: in that image's place)."""
        answer = self.client.call("taobao.item.joint.img", {
            "num_iid": num_iid, "pic_path": pic_path, "id": replace_id, "position": position,
            "is_major": is_major,
        }, write=True)
        return _item_image(answer.get("item_img"), method="taobao.item.joint.img")

    def item_img_delete(self, *, num_iid: str, image_id: str) -> None:
        self.client.call("taobao.item.img.delete", {"num_iid": num_iid, "id": image_id}, write=True)

    # --- messages ---------------------------------------------------------------------------------
    def tmc_user_permit(self, topics: Iterable[str]) -> None:
        self.client.call("taobao.tmc.user.permit", {"topics": ",".join(topics)})

    def tmc_consume(self, *, quantity: int, group_name: str = "") -> list[TmcMessage | TmcUnreadable]:
        """The next batch, read message by message: one that cannot be read comes back as
        :class:`TmcUnreadable` with the reason, and never keeps the others from being handled."""
        answer = self.client.call("taobao.tmc.messages.consume",
                                  {"quantity": quantity, "group_name": group_name or None},
                                  with_session=False)
        messages: list[TmcMessage | TmcUnreadable] = []
        for raw in unwrap_list(answer.get("messages"), "tmc_message"):
            try:
                messages.append(_tmc_message(raw))
            except (ApiUnavailable, ValueError, TypeError) as exc:
                reason = exc.message if isinstance(exc, ApiUnavailable) else str(exc)
                messages.append(TmcUnreadable(id=str(raw.get("id") or ""), reason=reason[:200], raw=raw))
        return messages

    def tmc_confirm(self, message_ids: Iterable[str], *, group_name: str = "") -> None:
        self.client.call("taobao.tmc.messages.confirm",
                         {"s_message_ids": ",".join(message_ids), "group_name": group_name or None},
                         with_session=False)


def _tmc_message(raw: dict[str, Any]) -> TmcMessage:
    if not raw.get("id") or not raw.get("topic"):
        raise ApiUnavailable(f"TOP answered with a TMC message without id or topic: {str(raw)[:200]}")
    content_text = raw.get("content") or "{}"
    try:
        content = json.loads(content_text) if isinstance(content_text, str) else dict(content_text)
    except (TypeError, ValueError):
        content = {}  # kept raw in the inbox; the poller records why it could not act on it
    return TmcMessage(
        id=str(raw["id"]), topic=str(raw["topic"]), user_id=str(raw.get("user_id") or ""),
        user_nick=str(raw.get("user_nick") or ""), content=content if isinstance(content, dict) else {},
        pub_time=_time(raw.get("pub_time")), raw=raw,
    )
