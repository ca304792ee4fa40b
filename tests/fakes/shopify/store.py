"""The fake shop's data and the GraphQL resolvers over it (only the fields the connector uses hold data).

Resolvers follow graphql-core's default rules: a dict key or attribute named like the field, called with
``(info, **arguments)`` when it is callable. Abstract types (``Media``, ``File``, ``Node``) resolve through
a ``__typename`` entry.
"""

from __future__ import annotations

import base64
import io
import itertools
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError
from PIL import Image

MAX_IMAGE_SIDE = 4472
MAX_IMAGE_PIXELS = 20_000_000
ACCEPTED_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def gid_number(value: str, kind: str) -> int:
    match = re.fullmatch(rf"gid://shopify/{kind}/(\d+)", value or "")
    if not match:
        raise GraphQLError(f"Invalid global id '{value}'")
    return int(match.group(1))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tiny_png(number: int) -> bytes:
    """A small distinct image per number (the sync tests stub real photos with these)."""
    colour = ((number * 37) % 256, (number * 91) % 256, (number * 53 + number // 256) % 256)
    image = Image.new("RGB", (32, 32), colour)
    image.putpixel((number % 32, (number // 32) % 32), (255 - colour[0], 255 - colour[1], 255 - colour[2]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Media:
    number: int
    filename: str
    content_type: str
    alt: str = ""
    product_number: int | None = None
    data: bytes | None = None  # None: generated on demand with tiny_png(number)
    status: str = "READY"
    polls_left: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    version: int = 1
    width: int | None = None
    height: int | None = None
    previous: tuple[bytes | None, str] | None = None  # file and name before a fileUpdate, until it is READY
    doomed: bool = False  # processing will fail (fault injection)

    @property
    def id(self) -> str:
        return gid("MediaImage", self.number)

    def content(self) -> bytes:
        return self.data if self.data is not None else tiny_png(self.number)

    def start_processing(self, data: bytes | None, polls: int, *, doomed: bool = False) -> None:
        """New bytes arrived (attach or replace): UPLOADED now, READY or FAILED after ``polls`` reads."""
        self.previous = (self.data, self.filename) if self.status == "READY" else None
        self.doomed = doomed
        self.data = data
        self.version += 1
        self.status = "UPLOADED"
        self.polls_left = polls
        self.errors = []

    def observe_status(self) -> str:
        """One status read; processing moves on with every read, as a poll loop sees it on Shopify."""
        current = self.status
        if self.status in ("UPLOADED", "PROCESSING"):
            if self.polls_left <= 0:
                self._finish_processing()
            else:
                self.polls_left -= 1
                self.status = "PROCESSING"
        return current

    def _fail(self, code: str, message: str) -> None:
        self.status, self.errors = "FAILED", [{"code": code, "message": message, "details": ""}]

    def _finish_processing(self) -> None:
        if self.data is None:
            self._fail("IMAGE_DOWNLOAD_FAILURE", "Image could not be downloaded")
            return
        if self.doomed:
            self._fail("IMAGE_PROCESSING_FAILURE", "Image processing failed")
            return
        try:
            with Image.open(io.BytesIO(self.data)) as image:
                width, height = image.size
                kind = image.format
        except Exception:
            self._fail("UNSUPPORTED_IMAGE_FILE_TYPE", "Image file type is not supported")
            return
        if kind not in ("PNG", "JPEG", "GIF"):
            self._fail("UNSUPPORTED_IMAGE_FILE_TYPE", f"{kind} images are not supported")
        elif max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
            self._fail("INVALID_IMAGE_RESOLUTION", f"Image resolution {width}x{height} is too large")
        else:
            self.status, self.width, self.height, self.previous = "READY", width, height, None

    def acknowledge_failure(self) -> bool:
        """fileAcknowledgeUpdateFailed: a failed replacement falls back to the previous file, READY."""
        if self.status != "FAILED" or self.previous is None:
            return False
        (self.data, self.filename), self.previous = self.previous, None
        self.status, self.errors = "READY", []
        self.version += 1
        return True


@dataclass
class Product:
    number: int
    title: str
    handle: str
    product_type: str = ""
    vendor: str = ""
    tags: list[str] = field(default_factory=list)
    options: list[tuple[str, list[str]]] = field(default_factory=list)
    status: str = "ACTIVE"
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    media_numbers: list[int] = field(default_factory=list)
    metafields: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return gid("Product", self.number)


@dataclass
class StagedTarget:
    token: str
    filename: str
    mime_type: str
    http_method: str
    file_size: int | None
    parameters: list[dict[str, str]]
    uploaded: bytes | None = None


@dataclass
class BulkOperation:
    number: int
    query: str
    status: str = "CREATED"
    polls_left: int = 2
    jsonl: bytes | None = None
    object_count: int = 0
    root_object_count: int = 0
    error_code: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    completed_at: datetime | None = None

    @property
    def id(self) -> str:
        return gid("BulkOperation", self.number)


@dataclass
class Bucket:
    maximum: float = 2000.0
    restore_rate: float = 100.0
    available: float = 2000.0
    at: float = 0.0


@dataclass
class ShopData:
    domain: str
    name: str
    bucket: Bucket
    products: dict[int, Product] = field(default_factory=dict)
    media: dict[int, Media] = field(default_factory=dict)
    staged: dict[str, StagedTarget] = field(default_factory=dict)
    bulk_operations: dict[int, BulkOperation] = field(default_factory=dict)
    subscriptions: list[dict[str, str]] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1001))

    def next_id(self) -> int:
        return next(self.ids)

    def product(self, product_id: str) -> Product | None:
        return self.products.get(gid_number(product_id, "Product"))

    def media_of(self, product: Product) -> list[Media]:
        return [self.media[number] for number in product.media_numbers]

    def product_of_media(self, media: Media) -> Product | None:
        return self.products.get(media.product_number) if media.product_number is not None else None


# --- resolvers ------------------------------------------------------------------------------------
def _cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def _position(cursor: str | None) -> int:
    if not cursor:
        return -1
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise GraphQLError(f"Invalid cursor '{cursor}'") from None


def connection(items: list[Any], *, first: int | None, after: str | None, last: int | None = None,
               bulk: bool = False, keys: list[int] | None = None) -> dict[str, Any]:
    """A Relay connection over ``items``; ``keys`` (sortable, unique) give stable cursors across pages."""
    keys = keys if keys is not None else list(range(len(items)))
    if first is None and last is None and not bulk:
        raise GraphQLError("you must provide one of first or last")
    if (first or 0) > 250 or (last or 0) > 250:
        raise GraphQLError("The maximum number of items per page is 250")
    start = _position(after)
    window = [(key, item) for key, item in zip(keys, items, strict=True) if key > start]
    has_next = False
    if first is not None:
        has_next = len(window) > first
        window = window[:first]
    elif last is not None:
        window = window[-last:]
    return {
        "edges": [{"cursor": _cursor(key), "node": item} for key, item in window],
        "nodes": [item for _, item in window],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": start >= 0,
            "startCursor": _cursor(window[0][0]) if window else None,
            "endCursor": _cursor(window[-1][0]) if window else None,
        },
    }


_UPDATED_AT_FILTER = re.compile(r"updated_at:(>=|>|<=|<)'?([0-9T:\-.+Z]+)'?")


def products_matching(shop: ShopData, query: str | None) -> list[Product]:
    products = [shop.products[key] for key in sorted(shop.products)]
    for operator, value in _UPDATED_AT_FILTER.findall(query or ""):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        compare = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
                   "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}[operator]
        products = [product for product in products if compare(product.updated_at, moment)]
    return products


class MediaView:
    __typename = "MediaImage"

    def __init__(self, context: ResolverContext, media: Media) -> None:
        self._context, self._media = context, media
        self.id = media.id
        self.alt = media.alt
        self.mediaContentType = "IMAGE"
        self.mimeType = media.content_type
        self.createdAt = self.updatedAt = iso(datetime.now(UTC))

    def _status(self) -> str:
        return self._context.media_status(self._media)

    def status(self, info: Any) -> str:
        return self._status()

    def fileStatus(self, info: Any) -> str:
        return self._status()

    def mediaErrors(self, info: Any) -> list[dict[str, str]]:
        return self._media.errors if self._media.status == "FAILED" else []

    def fileErrors(self, info: Any) -> list[dict[str, str]]:
        return self.mediaErrors(info)

    def image(self, info: Any) -> dict[str, Any] | None:
        if self._media.status != "READY":
            return None
        return {"url": self._context.media_url(self._media), "width": self._media.width or 32,
                "height": self._media.height or 32, "altText": self._media.alt, "id": gid("ImageSource",
                                                                                         self._media.number)}

    def originalSource(self, info: Any) -> dict[str, Any]:
        return {"url": self._context.media_url(self._media), "fileSize": len(self._media.content())}

    def preview(self, info: Any) -> dict[str, Any]:
        return {"image": self.image(info), "status": self._media.status}


class ProductView:
    __typename = "Product"

    def __init__(self, context: ResolverContext, product: Product) -> None:
        self._context, self._product = context, product
        self.id = product.id
        self.legacyResourceId = str(product.number)
        self.title = product.title
        self.handle = product.handle
        self.productType = product.product_type
        self.vendor = product.vendor
        self.tags = product.tags
        self.options = [{"name": name, "values": values} for name, values in product.options]
        self.status = product.status
        self.updatedAt = iso(product.updated_at)

    def media(self, info: Any, first: int | None = None, after: str | None = None, last: int | None = None,
              **_: Any) -> dict[str, Any]:
        items = self._context.shop.media_of(self._product)
        return connection([MediaView(self._context, media) for media in items], first=first, after=after,
                          last=last, bulk=self._context.bulk)

    def metafield(self, info: Any, key: str, namespace: str | None = None) -> dict[str, str] | None:
        value = self._product.metafields.get((namespace or "$app", key))
        return {**value, "key": key, "namespace": namespace or "$app"} if value else None


class ResolverContext:
    """Per-request view of one shop for the resolvers; ``bulk`` lifts the page-size requirement."""

    def __init__(self, fake: Any, shop: ShopData, *, bulk: bool = False) -> None:
        self.fake, self.shop, self.bulk = fake, shop, bulk

    def media_status(self, media: Media) -> str:
        return media.observe_status()

    def media_url(self, media: Media) -> str:
        return f"{self.fake.base_url}/cdn/{self.shop.domain}/{media.number}/{media.version}/{media.filename}"

    def product_view(self, product: Product | None) -> ProductView | None:
        return ProductView(self, product) if product is not None else None


class QueryRoot:
    def __init__(self, context: ResolverContext) -> None:
        self._context = context
        self._shop = context.shop

    def products(self, info: Any, first: int | None = None, after: str | None = None, last: int | None = None,
                 query: str | None = None, **_: Any) -> dict[str, Any]:
        matching = products_matching(self._shop, query)
        return connection([ProductView(self._context, product) for product in matching], first=first,
                          after=after, last=last, bulk=self._context.bulk,
                          keys=[product.number for product in matching])

    def product(self, info: Any, id: str) -> ProductView | None:
        return self._context.product_view(self._shop.product(id))

    def productsCount(self, info: Any, query: str | None = None, limit: int | None = 10000,
                      **_: Any) -> dict[str, Any]:
        count = len(products_matching(self._shop, query))
        if limit is not None and count > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": count, "precision": "EXACT"}

    def node(self, info: Any, id: str) -> Any:
        kind = id.split("/")[3] if id.count("/") >= 4 else ""
        if kind == "MediaImage":
            media = self._shop.media.get(gid_number(id, "MediaImage"))
            return MediaView(self._context, media) if media else None
        if kind == "Product":
            return self._context.product_view(self._shop.product(id))
        return None

    def bulkOperation(self, info: Any, id: str) -> dict[str, Any] | None:
        operation = self._shop.bulk_operations.get(gid_number(id, "BulkOperation"))
        return self._context.fake.bulk_operation_view(self._shop, operation) if operation else None

    def currentBulkOperation(self, info: Any, **_: Any) -> dict[str, Any] | None:
        if not self._shop.bulk_operations:
            return None
        latest = self._shop.bulk_operations[max(self._shop.bulk_operations)]
        return self._context.fake.bulk_operation_view(self._shop, latest)

    def shop(self, info: Any) -> dict[str, Any]:
        return {"id": gid("Shop", 1), "name": self._shop.name, "myshopifyDomain": self._shop.domain}

    def webhookSubscriptions(self, info: Any, first: int | None = None, after: str | None = None,
                             **_: Any) -> dict[str, Any]:
        return connection(list(self._shop.subscriptions), first=first, after=after)


def _user_error(message: str, field_path: list[str] | None = None, code: str | None = None) -> dict[str, Any]:
    return {"field": field_path, "message": message, "code": code}


class MutationRoot:
    def __init__(self, context: ResolverContext) -> None:
        self._context = context
        self._shop = context.shop
        self._fake = context.fake

    def stagedUploadsCreate(self, info: Any, input: list[dict[str, Any]]) -> dict[str, Any]:
        targets, errors = [], []
        for index, item in enumerate(input):
            if item["resource"] != "IMAGE" or item["mimeType"] not in ACCEPTED_IMAGE_TYPES:
                errors.append(_user_error(f"{item['mimeType']} is not an accepted image type",
                                          ["input", str(index), "mimeType"]))
                continue
            token = secrets.token_hex(8)
            method = item.get("httpMethod") or "PUT"
            parameters = (
                [{"name": "key", "value": f"tmp/{token}/{item['filename']}"},
                 {"name": "Content-Type", "value": item["mimeType"]},
                 {"name": "success_action_status", "value": "201"},
                 {"name": "policy", "value": base64.b64encode(token.encode()).decode()},
                 {"name": "x-goog-signature", "value": secrets.token_hex(16)}]
                if method == "POST"
                else [{"name": "content_type", "value": item["mimeType"]},
                      {"name": "acl", "value": "private"}]
            )
            size = item.get("fileSize")
            target = StagedTarget(token=token, filename=item["filename"], mime_type=item["mimeType"],
                                  http_method=method, file_size=int(size) if size is not None else None,
                                  parameters=parameters)
            self._shop.staged[token] = target
            targets.append({"url": f"{self._fake.base_url}/staged/{token}",
                            "resourceUrl": f"{self._fake.base_url}/staged-files/{token}/{item['filename']}",
                            "parameters": parameters})
        return {"stagedTargets": targets, "userErrors": errors}

    def _staged_bytes(self, source: str) -> tuple[StagedTarget | None, bytes | None]:
        match = re.search(r"/staged-files/([0-9a-f]+)/", source or "")
        target = self._shop.staged.get(match.group(1)) if match else None
        return target, target.uploaded if target else None

    def productUpdate(self, info: Any, product: dict[str, Any] | None = None,
                      media: list[dict[str, Any]] | None = None, **_: Any) -> dict[str, Any]:
        record = self._shop.product(product["id"]) if product and product.get("id") else None
        if record is None:
            return {"product": None, "userErrors": [_user_error("Product does not exist", ["id"])]}
        for metafield in product.get("metafields") or []:
            record.metafields[(metafield.get("namespace") or "$app", metafield["key"])] = {
                "value": metafield["value"], "type": metafield.get("type") or "single_line_text_field"}
        for item in media or []:
            target, data = self._staged_bytes(item["originalSource"])
            filename = target.filename if target else item["originalSource"].rsplit("/", 1)[-1]
            new = Media(number=self._shop.next_id(), filename=filename,
                        content_type=target.mime_type if target else "image/png", alt=item.get("alt") or "",
                        product_number=record.number, status="UPLOADED")
            new.start_processing(data, self._fake.media_processing_polls, doomed=self._fake.take_media_failure())
            self._shop.media[new.number] = new
            record.media_numbers.append(new.number)
        self._fake.product_changed(self._shop, record)
        return {"product": self._context.product_view(record), "userErrors": []}

    def fileUpdate(self, info: Any, files: list[dict[str, Any]]) -> dict[str, Any]:
        updated, errors = [], []
        for index, item in enumerate(files):
            media = self._shop.media.get(gid_number(item["id"], "MediaImage"))
            if media is None:
                errors.append(_user_error("File does not exist", ["files", str(index), "id"],
                                          "FILE_DOES_NOT_EXIST"))
                continue
            if media.status != "READY":
                errors.append(_user_error("Non-ready files cannot be updated.", ["files", str(index), "id"],
                                          "NON_READY_STATE"))
                continue
            if item.get("alt") is not None:
                media.alt = item["alt"]
            if item.get("originalSource"):
                target, data = self._staged_bytes(item["originalSource"])
                if target is not None:
                    media.filename = target.filename
                media.start_processing(data, self._fake.media_processing_polls,
                                       doomed=self._fake.take_media_failure())
            updated.append(MediaView(self._context, media))
            product = self._shop.product_of_media(media)
            if product is not None:
                self._fake.product_changed(self._shop, product)
        return {"files": updated, "userErrors": errors}

    def fileDelete(self, info: Any, fileIds: list[str]) -> dict[str, Any]:
        deleted, errors = [], []
        for index, file_id in enumerate(fileIds):
            media = self._shop.media.pop(gid_number(file_id, "MediaImage"), None)
            if media is None:
                errors.append(_user_error("File does not exist", ["fileIds", str(index)],
                                          "FILE_DOES_NOT_EXIST"))
                continue
            product = self._shop.product_of_media(media)
            if product is not None:
                product.media_numbers.remove(media.number)
                self._fake.product_changed(self._shop, product)
            deleted.append(file_id)
        return {"deletedFileIds": deleted, "userErrors": errors}

    def fileAcknowledgeUpdateFailed(self, info: Any, fileIds: list[str]) -> dict[str, Any]:
        files, errors = [], []
        for index, file_id in enumerate(fileIds):
            media = self._shop.media.get(gid_number(file_id, "MediaImage"))
            if media is None or not media.acknowledge_failure():
                errors.append(_user_error("File is not in a failed update state", ["fileIds", str(index)],
                                          "INVALID"))
                continue
            files.append(MediaView(self._context, media))
        return {"files": files, "userErrors": errors}

    def metafieldsSet(self, info: Any, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        written, errors = [], []
        for index, item in enumerate(metafields):
            product = self._shop.product(item["ownerId"])
            if product is None:
                errors.append(_user_error("Owner does not exist", ["metafields", str(index), "ownerId"],
                                          "INVALID"))
                continue
            namespace = item.get("namespace") or "$app"
            product.metafields[(namespace, item["key"])] = {
                "value": item["value"], "type": item.get("type") or "single_line_text_field"}
            written.append({"namespace": namespace, "key": item["key"], "value": item["value"]})
        return {"metafields": written, "userErrors": errors}

    def metafieldsDelete(self, info: Any, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        deleted = []
        for item in metafields:
            product = self._shop.product(item["ownerId"])
            if product is not None and product.metafields.pop((item["namespace"], item["key"]), None):
                deleted.append(dict(item))
            else:
                deleted.append(None)
        return {"deletedMetafields": deleted, "userErrors": []}

    def bulkOperationRunQuery(self, info: Any, query: str, groupObjects: bool = False
                              ) -> dict[str, Any]:
        return self._fake.bulk_operation_start(self._shop, query)

    def webhookSubscriptionCreate(self, info: Any, topic: str,
                                  webhookSubscription: dict[str, Any]) -> dict[str, Any]:
        uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
        if any(s["topic"] == topic and s["uri"] == uri for s in self._shop.subscriptions):
            return {"webhookSubscription": None,
                    "userErrors": [_user_error("Address for this topic has already been taken",
                                               ["webhookSubscription", "callbackUrl"])]}
        subscription = {"id": gid("WebhookSubscription", self._shop.next_id()), "topic": topic, "uri": uri}
        self._shop.subscriptions.append(subscription)
        return {"webhookSubscription": subscription, "userErrors": []}
