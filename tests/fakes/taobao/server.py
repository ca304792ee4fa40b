"""A fake Taobao Open Platform on loopback: the TOP gateway (``/router/rest``), the OAuth endpoints
(``/oauth/authorize``, ``/oauth/token``) and an image CDN (``/imgextra/<path>``).

The gateway checks what the real one checks before running a method: the app key, the signature (md5, hmac
or hmac-sha256, computed here independently of the code under test), the timestamp (GMT+8, within 10
minutes), the session, and the app's call limit (code 7 with a ban). It then runs the method against the
in-memory store. Item image writes queue ``taobao_item_ItemUpdate`` messages for sellers who permitted
TMC, as the platform does, so our own uploads come back as echoes. Faults can be injected per method.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from tests.fakes.loopback import LoopbackServer
from tests.fakes.taobao.store import (
    CATEGORIES,
    GMT8,
    MAX_ITEM_IMAGES,
    Ids,
    Item,
    ItemImage,
    Picture,
    QueuedMessage,
    RefreshGrant,
    Seller,
    Session,
    gateway_time,
    now_seconds,
    top_escape,
)

TIMESTAMP_TOLERANCE = timedelta(minutes=10)
PICTURE_MAX_BYTES = 3 * 1024 * 1024
AIGC_TOOLS = ("model_img", "scene_img", "change_img")
APP_LEVEL_METHODS = frozenset({"taobao.tmc.messages.consume", "taobao.tmc.messages.confirm", "taobao.itemcats.get"})
ITEM_TOPICS = ("taobao_item_ItemAdd", "taobao_item_ItemUpdate", "taobao_item_ItemDelete")


class TopError(Exception):
    def __init__(self, code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(msg)
        self.body: dict[str, Any] = {"code": code, "msg": msg}
        if sub_code:
            self.body["sub_code"] = sub_code
        if sub_msg:
            self.body["sub_msg"] = sub_msg


def isv(sub_code: str, sub_msg: str) -> TopError:
    return TopError(15, "Remote service error", f"isv.{sub_code}", sub_msg)


@dataclass
class Fault:
    """One injected failure for ``method`` (a TOP method name, ``oauth.token`` or ``cdn``).

    ``kind``: ``isp`` (answer an isp.* error without doing the work), ``drop_after`` (do the work, then close
    the connection unanswered), ``not_json`` (an HTML error page), ``malformed_error`` (an error_response
    without a code), ``http_500``, ``invalid_session`` (code 27 although the session is fine).
    """

    method: str
    kind: str
    times: int = 1


@dataclass
class CallLimit:
    """More than ``calls`` accepted calls within ``per_seconds``: code 7 and a ban of ``ban_seconds``."""

    calls: int
    per_seconds: float
    ban_seconds: int = 1


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)  # accepted calls per method
    rejected: Counter[str] = field(default_factory=Counter)  # per error code


def independent_sign(params: dict[str, str], secret: str, method: str) -> str:
    """The platform's signature, written here from the definition (not imported from the code under test)."""
    text = "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign" and params[name] != "")
    key, data = secret.encode(), text.encode()
    if method == "md5":
        return hashlib.md5(key + data + key).hexdigest().upper()
    digestmod = hashlib.md5 if method == "hmac" else hashlib.sha256
    return hmac.new(key, data, digestmod).hexdigest().upper()


class FakeTop(LoopbackServer):
    def __init__(self, *, app_key: str = "23456789", app_secret: str = "fake-top-secret",
                 deep_paging_limit: int = 2000, picture_max_bytes: int = PICTURE_MAX_BYTES,
                 session_ttl: int = 86400, refresh_ttl: int = 30 * 86400) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.deep_paging_limit = deep_paging_limit
        self.picture_max_bytes = picture_max_bytes
        self.session_ttl = session_ttl
        self.refresh_ttl = refresh_ttl
        self.deny_aigc = False
        self.call_limit: CallLimit | None = None
        self.authorizing_seller: Seller | None = None  # who is "logged in" at /oauth/authorize
        self.faults: list[Fault] = []
        self.stats = Stats()
        self.lock = threading.RLock()
        self.ids = Ids()
        self.sellers: dict[int, Seller] = {}
        self.items: dict[int, Item] = {}
        self.pictures: dict[int, Picture] = {}
        self.sessions: dict[str, Session] = {}
        self.refresh_grants: dict[str, RefreshGrant] = {}
        self.codes: dict[str, tuple[int, str]] = {}
        self.permitted: dict[int, set[str]] = {}
        self.messages: list[QueuedMessage] = []
        self._call_times: list[float] = []
        self._banned_until = 0.0

    # --- lifecycle --------------------------------------------------------------------------------
    thread_name = "fake-top"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    @property
    def gateway_url(self) -> str:
        return self.base_url + "/router/rest"

    @property
    def oauth_url(self) -> str:
        return self.base_url + "/oauth"

    def image_url(self, path: str) -> str:
        return f"{self.base_url}/imgextra/{path}"

    # --- seeding ----------------------------------------------------------------------------------
    def add_seller(self, nick: str) -> Seller:
        with self.lock:
            seller = Seller(user_id=next(self.ids.sellers), nick=nick)
            self.sellers[seller.user_id] = seller
            return seller

    def add_picture(self, seller: Seller, data: bytes, *, title: str = "", api: str = "seed",
                    content_type: str = "image/png") -> Picture:
        with self.lock:
            number = next(self.ids.pictures)
            extension = "jpg" if content_type == "image/jpeg" else "png"
            picture = Picture(picture_id=number, seller_id=seller.user_id,
                              path=f"i{number % 4 + 1}/{seller.user_id}/O1CN{number}.{extension}",
                              title=title or f"photo-{number}.{extension}", data=data, content_type=content_type,
                              api=api)
            self.pictures[number] = picture
            return picture

    def add_item(self, seller: Seller, *, title: str, images: list[bytes], modified: datetime | None = None,
                 announce: bool = False, cid: int = 50010850, props: list[tuple[int, int, str, str]] | None = None,
                 aliases: dict[tuple[int, int], str] | None = None) -> Item:
        with self.lock:
            item = Item(num_iid=next(self.ids.items), seller_id=seller.user_id, title=title,
                        modified=(modified or now_seconds()).astimezone(GMT8).replace(microsecond=0), cid=cid,
                        props=list(props or []), aliases=dict(aliases or {}))
            for position, data in enumerate(images):
                picture = self.add_picture(seller, data)
                item.images.append(ItemImage(id=next(self.ids.images), path=picture.path, position=position))
            self.items[item.num_iid] = item
            if announce:
                self.announce("taobao_item_ItemAdd", item)
            return item

    def update_item(self, num_iid: int, *, title: str | None = None, image: bytes | None = None,
                    modified: datetime | None = None) -> Item:
        """A seller's own edit: new title and/or a new major image; ``modified`` moves forward."""
        with self.lock:
            item = self.items[num_iid]
            if title is not None:
                item.title = title
            if image is not None:
                item.images[0].path = self.add_picture(self.sellers[item.seller_id], image).path
            item.modified = (modified or now_seconds()).astimezone(GMT8).replace(microsecond=0)
            return item

    def add_item_photo(self, num_iid: int, data: bytes) -> ItemImage:
        """The seller adds a main image in the first free position."""
        with self.lock:
            item = self.items[num_iid]
            taken = {image.position for image in item.images}
            image = ItemImage(id=next(self.ids.images), path=self.add_picture(self.sellers[item.seller_id], data).path,
                              position=min(set(range(MAX_ITEM_IMAGES)) - taken))
            item.images.append(image)
            item.modified = now_seconds()
            return image

    def delete_item(self, num_iid: int, *, announce: bool = True) -> None:
        with self.lock:
            item = self.items.pop(num_iid)
            if announce:
                self.announce("taobao_item_ItemDelete", item)

    # --- auth helpers -----------------------------------------------------------------------------
    def grant(self, seller: Seller) -> dict[str, Any]:
        """Issue a session and refresh token as the token endpoint does; returns its JSON answer."""
        with self.lock:
            expires_in, re_expires_in = self.session_ttl, self.refresh_ttl
            now = datetime.now(GMT8)
            access = "6201" + secrets.token_hex(20)
            refresh = "6202" + secrets.token_hex(20)
            self.sessions[access] = Session(access, seller.user_id, now + timedelta(seconds=expires_in))
            self.refresh_grants[refresh] = RefreshGrant(refresh, seller.user_id, now + timedelta(seconds=re_expires_in))
            return {"access_token": access, "token_type": "Bearer", "expires_in": expires_in,
                    "refresh_token": refresh, "re_expires_in": re_expires_in, "r1_expires_in": expires_in,
                    "taobao_user_id": str(seller.user_id), "taobao_user_nick": quote(seller.nick),
                    "taobao_open_uid": "AAH" + secrets.token_hex(8)}

    def expire_sessions(self, seller: Seller) -> None:
        with self.lock:
            for session in self.sessions.values():
                if session.seller_id == seller.user_id:
                    session.expires_at = datetime.now(GMT8) - timedelta(seconds=1)

    def expire_refresh_tokens(self, seller: Seller) -> None:
        with self.lock:
            for grant in self.refresh_grants.values():
                if grant.seller_id == seller.user_id:
                    grant.expires_at = datetime.now(GMT8) - timedelta(seconds=1)

    # --- messages ---------------------------------------------------------------------------------
    def announce(self, topic: str, item: Item) -> QueuedMessage | None:
        """Queue a TMC message about ``item`` for its seller, if the seller permitted the topic."""
        with self.lock:
            seller = self.sellers[item.seller_id]
            if topic not in self.permitted.get(seller.user_id, set()):
                return None
            content: dict[str, Any] = {"num_iid": item.num_iid, "nick": seller.nick}
            if topic == "taobao_item_ItemAdd":
                content.update(title=item.title, price="99.00")
            message = QueuedMessage(id=next(self.ids.messages), topic=topic, seller=seller, content=content,
                                    pub_time=now_seconds())
            self.messages.append(message)
            return message

    def announce_malformed(self, item: Item, **raw_overrides: Any) -> QueuedMessage:
        """Queue an item message whose wire form is broken by ``raw_overrides`` (a poison message)."""
        with self.lock:
            seller = self.sellers[item.seller_id]
            message = QueuedMessage(id=next(self.ids.messages), topic="taobao_item_ItemUpdate", seller=seller,
                                    content={"num_iid": item.num_iid}, pub_time=now_seconds(),
                                    raw_overrides=raw_overrides)
            self.messages.append(message)
            return message

    def redeliver(self) -> int:
        """Unconfirmed delivered messages become consumable again (the platform's redelivery)."""
        with self.lock:
            delivered = [message for message in self.messages if message.state == "delivered"]
            for message in delivered:
                message.state = "queued"
            return len(delivered)

    def pending_messages(self) -> list[QueuedMessage]:
        return [message for message in self.messages if message.state != "confirmed"]

    # --- picture space views for assertions -------------------------------------------------------
    def pictures_of(self, seller: Seller, *, api: str | None = None) -> list[Picture]:
        return [picture for picture in self.pictures.values()
                if picture.seller_id == seller.user_id and (api is None or picture.api == api)]

    def picture_at(self, path: str) -> Picture | None:
        return next((picture for picture in self.pictures.values() if picture.path == path), None)

    # --- request handling -------------------------------------------------------------------------
    def take_fault(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def handle_gateway(self, request: _Handler) -> None:
        params, files = request.form()
        method = params.get("method", "")
        try:
            self._check_request(params)
            if self._call_limited():
                ban = max(1, round(self._banned_until - time.monotonic()))
                raise TopError(7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
                               f"This ban will last for {ban} more seconds")
            fault = self.take_fault(method)
            if fault is not None and fault.kind != "drop_after":
                request.act_out(fault)
                return
            with self.lock:
                self.stats.calls[method] += 1
                seller = self._seller_for(method, params)
                body = self._run(method, params, files, seller)
            if fault is not None:
                request.drop()
                return
        except TopError as error:
            self.stats.rejected[str(error.body["code"])] += 1
            request.reply_json(200, {"error_response": {**error.body, "request_id": secrets.token_hex(6)}})
            return
        name = method.removeprefix("taobao.").replace(".", "_") + "_response"
        request.reply_json(200, {name: {**body, "request_id": secrets.token_hex(6)}})

    def _check_request(self, params: dict[str, str]) -> None:
        for name, code, text in (("method", 21, "Missing Method"), ("app_key", 28, "Missing App Key"),
                                 ("timestamp", 30, "Missing Timestamp"), ("sign", 24, "Missing Signature"),
                                 ("v", 32, "Missing Version")):
            if not params.get(name):
                raise TopError(code, text)
        if params["app_key"] != self.app_key:
            raise TopError(29, "Invalid App Key")
        sign_method = params.get("sign_method", "md5")
        if sign_method not in ("md5", "hmac", "hmac-sha256"):
            raise TopError(25, "Invalid Signature", "isv.invalid-sign-method", f"unknown sign_method {sign_method}")
        if not hmac.compare_digest(params["sign"], independent_sign(params, self.app_secret, sign_method)):
            raise TopError(25, "Invalid Signature")
        try:
            sent = datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=GMT8)
        except ValueError:
            raise TopError(31, "Invalid Timestamp", "", "timestamp error: not yyyy-MM-dd HH:mm:ss") from None
        if abs(datetime.now(GMT8) - sent) > TIMESTAMP_TOLERANCE:
            raise TopError(31, "Invalid Timestamp", "",
                           "timestamp error: more than 10 minutes away from the platform's time (GMT+8)")
        if params["v"] != "2.0":
            raise TopError(34, "Unsupported Version")

    def _call_limited(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if now < self._banned_until:
                return True
            if self.call_limit is None:
                return False
            self._call_times = [t for t in self._call_times if now - t < self.call_limit.per_seconds]
            if len(self._call_times) >= self.call_limit.calls:
                self._banned_until = now + self.call_limit.ban_seconds
                return True
            self._call_times.append(now)
            return False

    def _seller_for(self, method: str, params: dict[str, str]) -> Seller | None:
        if method in APP_LEVEL_METHODS:
            return None
        token = params.get("session")
        if not token:
            raise TopError(26, "Missing Session")
        session = self.sessions.get(token)
        if session is None or session.expires_at <= datetime.now(GMT8):
            raise TopError(27, "Invalid session", "invalid-sessionkey", "session key is invalid or has expired")
        return self.sellers[session.seller_id]

    def _run(self, method: str, params: dict[str, str], files: dict[str, tuple[str, bytes]],
             seller: Seller | None) -> dict[str, Any]:
        handlers = {
            "taobao.items.onsale.get": self._items_onsale_get,
            "taobao.item.seller.get": self._item_seller_get,
            "taobao.picture.upload": self._picture_upload,
            "taobao.picture.qnaigc.upload": self._picture_qnaigc_upload,
            "taobao.picture.get": self._picture_get,
            "taobao.item.joint.img": self._item_joint_img,
            "taobao.item.img.delete": self._item_img_delete,
            "taobao.itemcats.get": self._itemcats_get,
            "taobao.tmc.user.permit": self._tmc_user_permit,
            "taobao.tmc.messages.consume": self._tmc_consume,
            "taobao.tmc.messages.confirm": self._tmc_confirm,
        }
        handler = handlers.get(method)
        if handler is None:
            raise TopError(22, "Invalid Method")
        return handler(params, files, seller)

    # --- items ------------------------------------------------------------------------------------
    def _items_onsale_get(self, params: dict[str, str], _files: Any, seller: Seller) -> dict[str, Any]:
        page_no = _int_param(params, "page_no", 1)
        page_size = _int_param(params, "page_size", 40)
        if not 1 <= page_size <= 200:
            raise isv("invalid-parameter:page_size", "page_size must be between 1 and 200")
        if page_no * page_size > self.deep_paging_limit:
            raise isv("invalid-parameter:page_no",
                      f"page_no*page_size may not exceed {self.deep_paging_limit}; narrow start_modified and "
                      f"end_modified")
        start = _time_param(params, "start_modified")
        end = _time_param(params, "end_modified")
        matching = sorted(
            (item for item in self.items.values()
             if item.seller_id == seller.user_id and item.approve_status == "onsale"
             and (start is None or item.modified >= start) and (end is None or item.modified <= end)),
            key=lambda item: (item.modified, item.num_iid),
        )
        page = matching[(page_no - 1) * page_size:page_no * page_size]
        answer: dict[str, Any] = {"total_results": len(matching)}
        if page:
            answer["items"] = {"item": [{"num_iid": item.num_iid, "title": item.title,
                                         "modified": gateway_time(item.modified)} for item in page]}
        return answer

    def _own_item(self, params: dict[str, str], seller: Seller) -> Item:
        item = self.items.get(_int_param(params, "num_iid", 0))
        if item is None or item.seller_id != seller.user_id:
            raise isv("item-not-exist", f"item {params.get('num_iid')} does not exist")
        return item

    def _item_json(self, item: Item, fields: set[str]) -> dict[str, Any]:
        images = [{"id": image.id, "url": self.image_url(image.path), "position": image.position}
                  for image in sorted(item.images, key=lambda image: image.position)]
        data: dict[str, Any] = {"num_iid": item.num_iid, "title": item.title, "approve_status": item.approve_status,
                                "modified": gateway_time(item.modified), "cid": item.cid, "outer_id": "",
                                "seller_cids": ""}
        if images:
            data["item_imgs"] = {"item_img": images}
            data["pic_url"] = images[0]["url"]
        # Properties only when asked for, and (as TOP does with empty fields) left out when there are none.
        if "props_name" in fields and item.props:
            data["props_name"] = ";".join(f"{pid}:{vid}:{top_escape(name)}:{top_escape(value)}"
                                          for pid, vid, name, value in item.props)
        if "property_alias" in fields and item.aliases:
            data["property_alias"] = ";".join(f"{pid}:{vid}:{top_escape(alias)}"
                                              for (pid, vid), alias in item.aliases.items())
        return data | item.raw_overrides

    def _item_seller_get(self, params: dict[str, str], _files: Any, seller: Seller) -> dict[str, Any]:
        fields = {name.strip() for name in params.get("fields", "").split(",") if name.strip()}
        return {"item": self._item_json(self._own_item(params, seller), fields)}

    def _itemcats_get(self, params: dict[str, str], _files: Any, _seller: None) -> dict[str, Any]:
        """Categories by id (``cids``) or the children of ``parent_cid``; unknown ids are left out."""
        fields = set(params.get("fields", "cid,parent_cid,name,is_parent").split(","))
        if params.get("cids"):
            try:
                wanted = [int(cid) for cid in params["cids"].split(",") if cid]
            except ValueError:
                raise isv("invalid-parameter:cids", f"cids must be numbers: {params['cids']}") from None
            found = [CATEGORIES[cid] for cid in wanted if cid in CATEGORIES]
        elif "parent_cid" in params:
            parent = _int_param(params, "parent_cid", 0)
            found = [category for category in CATEGORIES.values() if category.parent_cid == parent]
        else:
            raise isv("missing-parameter:cids", "one of cids or parent_cid is required")
        answer: dict[str, Any] = {"last_modified": "2026-01-01 00:00:00"}
        if found:
            answer["item_cats"] = {"item_cat": [
                {name: value for name, value in (("cid", c.cid), ("parent_cid", c.parent_cid), ("name", c.name),
                                                 ("is_parent", c.is_parent)) if name in fields}
                for c in found]}
        return answer

    # --- pictures ---------------------------------------------------------------------------------
    def _picture_from_upload(self, files: dict[str, tuple[str, bytes]], part: str, seller: Seller, *,
                             title: str, api: str) -> Picture:
        if part not in files:
            raise TopError(40, "Missing Required Arguments", f"isv.missing-parameter:{part}", f"{part} is required")
        filename, data = files[part]
        if len(data) > self.picture_max_bytes:
            raise isv("invalid-parameter:picture-size-exceeded",
                      f"the picture is {len(data)} bytes; at most {self.picture_max_bytes} bytes are accepted")
        if data.startswith(b"\xff\xd8"):
            content_type = "image/jpeg"
        elif data.startswith(b"\x89PNG\r\n\x1a\n"):
            content_type = "image/png"
        else:
            raise isv("invalid-parameter:picture-type", f"{filename} is not a jpg, png or gif picture")
        return self.add_picture(seller, data, title=title or filename, api=api, content_type=content_type)

    def _picture_upload(self, params: dict[str, str], files: Any, seller: Seller) -> dict[str, Any]:
        for name in ("picture_category_id", "image_input_title"):
            if name not in params:
                raise TopError(40, "Missing Required Arguments", f"isv.missing-parameter:{name}", f"{name} is required")
        picture = self._picture_from_upload(files, "img", seller, title=params["image_input_title"],
                                            api="taobao.picture.upload")
        return {"picture": picture.as_json()}

    def _picture_qnaigc_upload(self, params: dict[str, str], files: Any, seller: Seller) -> dict[str, Any]:
        if self.deny_aigc:
            raise TopError(11, "Insufficient isv permissions", "isv.permission-api-package-limit",
                           "the app has no permission to call taobao.picture.qnaigc.upload")
        if params.get("aigc") not in ("true", "false"):
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:aigc", "aigc must be true or false")
        if params.get("tool") not in AIGC_TOOLS:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:tool",
                           f"tool must be one of {', '.join(AIGC_TOOLS)}")
        answer = self._picture_upload(params, files, seller)
        picture = self.pictures[answer["picture"]["picture_id"]]
        picture.api = "taobao.picture.qnaigc.upload"
        picture.aigc, picture.tool = params["aigc"] == "true", params["tool"]
        return answer

    def _picture_get(self, params: dict[str, str], _files: Any, seller: Seller) -> dict[str, Any]:
        title = params.get("title")
        found = [picture.as_json() for picture in self.pictures.values()
                 if picture.seller_id == seller.user_id and (title is None or picture.title == title)]
        answer: dict[str, Any] = {"totalResults": len(found)}
        if found:
            answer["pictures"] = {"picture": found}
        return answer

    # --- item images ------------------------------------------------------------------------------
    def _place_image(self, item: Item, path: str, params: dict[str, str]) -> ItemImage:
        replace_id = params.get("id")
        if replace_id:
            image = next((image for image in item.images if str(image.id) == replace_id), None)
            if image is None:
                raise isv("item-img-not-exist", f"item {item.num_iid} has no image {replace_id}")
            image.path = path
        else:
            if len(item.images) >= MAX_ITEM_IMAGES:
                raise isv("item-img-count-exceeded", f"an item has at most {MAX_ITEM_IMAGES} main images")
            taken = {image.position for image in item.images}
            position = _int_param(params, "position", min(set(range(MAX_ITEM_IMAGES)) - taken))
            if position in taken or not 0 <= position < MAX_ITEM_IMAGES:
                raise isv("invalid-parameter:position", f"position {position} is taken or out of range")
            image = ItemImage(id=next(self.ids.images), path=path, position=position)
            item.images.append(image)
        item.modified = now_seconds()
        self.announce("taobao_item_ItemUpdate", item)
        return image

    def _image_json(self, image: ItemImage) -> dict[str, Any]:
        return {"id": image.id, "url": self.image_url(image.path), "position": image.position,
                "created": gateway_time(now_seconds())}

    def _item_joint_img(self, params: dict[str, str], _files: Any, seller: Seller) -> dict[str, Any]:
        item = self._own_item(params, seller)
        path = params.get("pic_path", "")
        picture = self.picture_at(path)
        if picture is None or picture.seller_id != seller.user_id:
            raise isv("invalid-parameter:pic_path", f"{path} is not a picture in the seller's picture space")
        return {"item_img": self._image_json(self._place_image(item, path, params))}

    def _item_img_delete(self, params: dict[str, str], _files: Any, seller: Seller) -> dict[str, Any]:
        item = self._own_item(params, seller)
        image = next((image for image in item.images if str(image.id) == params.get("id")), None)
        if image is None:
            raise isv("item-img-not-exist", f"item {item.num_iid} has no image {params.get('id')}")
        item.images.remove(image)
        item.modified = now_seconds()
        self.announce("taobao_item_ItemUpdate", item)
        return {"item_img": {"id": image.id, "created": gateway_time(now_seconds())}}

    # --- TMC --------------------------------------------------------------------------------------
    def _tmc_user_permit(self, params: dict[str, str], _files: Any, seller: Seller) -> dict[str, Any]:
        topics = {topic for topic in params.get("topics", "").split(",") if topic}
        unknown = topics - set(ITEM_TOPICS)
        if unknown:
            raise isv("invalid-parameter:topics", f"unknown topics {', '.join(sorted(unknown))}")
        self.permitted.setdefault(seller.user_id, set()).update(topics)
        return {"is_success": True}

    def _tmc_consume(self, params: dict[str, str], _files: Any, _seller: None) -> dict[str, Any]:
        quantity = _int_param(params, "quantity", 100)
        if not 10 <= quantity <= 200:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:quantity", "quantity must be 10..200")
        batch = [message for message in self.messages if message.state == "queued"][:quantity]
        for message in batch:
            message.state = "delivered"
        if not batch:
            return {}
        return {"messages": {"tmc_message": [
            {"id": message.id, "topic": message.topic, "user_id": message.seller.user_id,
             "user_nick": message.seller.nick, "content": json.dumps(message.content),
             "pub_time": gateway_time(message.pub_time), "pub_app_key": "12497914"} | message.raw_overrides
            for message in batch]}}

    def _tmc_confirm(self, params: dict[str, str], _files: Any, _seller: None) -> dict[str, Any]:
        ids = {int(value) for value in params.get("s_message_ids", "").split(",") if value}
        for message in self.messages:
            if message.id in ids:
                message.state = "confirmed"
        return {"is_success": True}

    # --- OAuth ------------------------------------------------------------------------------------
    def handle_authorize(self, request: _Handler) -> None:
        query = dict(parse_qsl(urlsplit(request.path).query))
        if query.get("client_id") != self.app_key or query.get("response_type") != "code":
            request.reply_json(400, {"error": "invalid_client", "error_description": "unknown client_id"})
            return
        seller = self.authorizing_seller
        if seller is None:
            target = f"{query['redirect_uri']}?" + urlencode({"error": "access_denied",
                                                              "error_description": "the seller refused",
                                                              "state": query.get("state", "")})
        else:
            code = secrets.token_hex(12)
            self.codes[code] = (seller.user_id, query["redirect_uri"])
            target = f"{query['redirect_uri']}?" + urlencode({"code": code, "state": query.get("state", "")})
        request.redirect(target)

    def handle_token(self, request: _Handler) -> None:
        form, _ = request.form()
        fault = self.take_fault("oauth.token")
        if fault is not None:
            request.act_out(fault)
            return
        if form.get("client_id") != self.app_key or form.get("client_secret") != self.app_secret:
            request.reply_json(401, {"error": "invalid_client", "error_description": "client authentication failed"})
            return
        with self.lock:
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                entry = self.codes.pop(form.get("code", ""), None)  # single use
                if entry is None or entry[1] != form.get("redirect_uri"):
                    request.reply_json(400, {"error": "invalid_grant", "error_description": "code is invalid"})
                    return
                request.reply_json(200, self.grant(self.sellers[entry[0]]))
            elif grant_type == "refresh_token":
                grant = self.refresh_grants.get(form.get("refresh_token", ""))
                if grant is None or grant.expires_at <= datetime.now(GMT8):
                    request.reply_json(400, {"error": "invalid_grant",
                                             "error_description": "refresh_token is invalid or expired"})
                    return
                del self.refresh_grants[grant.token]
                request.reply_json(200, self.grant(self.sellers[grant.seller_id]))
            else:
                request.reply_json(400, {"error": "unsupported_grant_type", "error_description": grant_type})

    def handle_cdn(self, request: _Handler, path: str) -> None:
        picture = self.picture_at(path)
        if picture is None:
            request.reply(404, b"Not Found", "text/plain")
            return
        request.reply(200, picture.data, picture.content_type)


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise TopError(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", f"{name} must be a number") from None


def _time_param(params: dict[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=GMT8)
    except ValueError:
        raise TopError(41, "Invalid Arguments", f"isv.invalid-parameter:{name}",
                       f"{name} must be yyyy-MM-dd HH:mm:ss") from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, each answer waits out a delayed ACK.
    disable_nagle_algorithm = True
    owner: FakeTop

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _route(self) -> None:
        self._body: bytes | None = None  # one handler serves every request of a kept-alive connection
        path = urlsplit(self.path).path
        if path == "/router/rest" and self.command in ("GET", "POST"):
            self.owner.handle_gateway(self)
        elif path == "/oauth/authorize" and self.command == "GET":
            self.owner.handle_authorize(self)
        elif path == "/oauth/token" and self.command == "POST":
            self.owner.handle_token(self)
        elif path.startswith("/imgextra/") and self.command == "GET":
            self.owner.handle_cdn(self, path.removeprefix("/imgextra/"))
        else:
            self.reply(404, b"Not Found", "text/plain")

    do_GET = do_POST = _route

    def read_body(self) -> bytes:
        if getattr(self, "_body", None) is None:
            self._body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return self._body

    def form(self) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
        """Query and body parameters, and uploaded files (name -> (filename, bytes))."""
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        files: dict[str, tuple[str, bytes]] = {}
        body = self.read_body()
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True) or b""
                if filename is not None:
                    files[str(name)] = (filename, payload)
                else:
                    params[str(name)] = payload.decode("utf-8")
        elif body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return params, files

    def reply(self, status: int, body: bytes, content_type: str) -> None:
        self.read_body()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status: int, body: Any) -> None:
        self.reply(status, json.dumps(body).encode(), "application/json;charset=UTF-8")

    def redirect(self, location: str) -> None:
        self.read_body()
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def drop(self) -> None:
        """Close the connection without an answer (the client sees the server disconnect)."""
        self.close_connection = True

    def act_out(self, fault: Fault) -> None:
        if fault.kind == "isp":
            self.reply_json(200, {"error_response": {
                "code": 15, "msg": "Remote service error", "sub_code": "isp.top-remote-connection-timeout",
                "sub_msg": "the backend service timed out", "request_id": secrets.token_hex(6)}})
        elif fault.kind == "not_json":
            self.reply(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        elif fault.kind == "malformed_error":
            self.reply_json(200, {"error_response": {"msg": "something went wrong"}})
        elif fault.kind == "http_500":
            self.reply(500, b"Internal Server Error", "text/plain")
        elif fault.kind == "invalid_session":
            self.reply_json(200, {"error_response": {"code": 27, "msg": "Invalid session",
                                                     "sub_code": "invalid-sessionkey"}})
        else:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
