"""The fake platform's data: sellers, items with their main images, picture space, sessions, TMC queue."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

GMT8 = timezone(timedelta(hours=8))
MAX_ITEM_IMAGES = 5  # main images per item: position 0 (major) to 4


def gateway_time(moment: datetime) -> str:
    return moment.astimezone(GMT8).strftime("%Y-%m-%d %H:%M:%S")


def top_escape(text: str) -> str:
    """A name as TOP writes it inside ``props_name``: colons and semicolons would break the format."""
    return text.replace(":", "#cln#").replace(";", "#scln#")


def now_seconds() -> datetime:
    """Now in GMT+8, to the second (the platform's resolution for modified times)."""
    return datetime.now(GMT8).replace(microsecond=0)


@dataclass
class Seller:
    user_id: int
    nick: str


@dataclass
class Picture:
    """One file in a seller's picture space."""

    picture_id: int
    seller_id: int
    path: str  # relative picture-space path, e.g. "i1/1001/TB17.jpg"
    title: str
    data: bytes
    content_type: str
    api: str  # the method that created it
    aigc: bool | None = None
    tool: str | None = None
    created: datetime = field(default_factory=now_seconds)

    def as_json(self) -> dict[str, Any]:
        return {"picture_id": self.picture_id, "picture_path": self.path, "title": self.title,
                "sizes": str(len(self.data)), "created": gateway_time(self.created),
                "modified": gateway_time(self.created), "status": "pass", "deleted": "unfroze",
                "picture_category_id": 0}


@dataclass
class ItemImage:
    id: int
    path: str
    position: int


@dataclass
class Item:
    num_iid: int
    seller_id: int
    title: str
    modified: datetime
    approve_status: str = "onsale"
    images: list[ItemImage] = field(default_factory=list)
    cid: int = 50010850  # 连衣裙 (dresses)
    # (pid, vid, property name, value name), one per value as props_name lists them: a sale property such as
    # 颜色分类 repeats its pid once per value
    props: list[tuple[int, int, str, str]] = field(default_factory=list)
    aliases: dict[tuple[int, int], str] = field(default_factory=dict)  # (pid, vid) -> the seller's own name
    raw_overrides: dict[str, Any] = field(default_factory=dict)  # fields sent as given (malformed data tests)


@dataclass(frozen=True)
class Category:
    cid: int
    parent_cid: int
    name: str
    is_parent: bool


# A slice of Taobao's category tree as taobao.itemcats.get names it (names as delivered, in Chinese).
CATEGORIES = {category.cid: category for category in (
    Category(16, 0, "女装/女士精品", True),
    Category(50010850, 16, "连衣裙", False),
    Category(50000671, 16, "T恤", False),
    Category(50006842, 0, "箱包皮具/热销女包/男包", True),
    Category(50012010, 50006842, "女士包袋", False),
    Category(50016349, 0, "厨房/烹饪用具", True),
    Category(50016434, 50016349, "杯子/水杯/水壶", True),
    Category(50016436, 50016434, "马克杯", False),
)}


@dataclass
class Session:
    token: str
    seller_id: int
    expires_at: datetime


@dataclass
class RefreshGrant:
    token: str
    seller_id: int
    expires_at: datetime


@dataclass
class QueuedMessage:
    id: int
    topic: str
    seller: Seller
    content: dict[str, Any]
    pub_time: datetime
    state: str = "queued"  # queued -> delivered -> confirmed; delivered ones come back on redeliver()
    raw_overrides: dict[str, Any] = field(default_factory=dict)  # a malformed message, as fault tests need


class Ids:
    """Distinct number ranges per kind, so an item id never looks like an image id."""

    def __init__(self) -> None:
        self.sellers = itertools.count(2200000001)
        self.items = itertools.count(600000000001)
        self.images = itertools.count(900000001)
        self.pictures = itertools.count(10000000001)
        self.messages = itertools.count(7000000000000000001)
