"""A fake Shopify on loopback: the Admin GraphQL API, OAuth token endpoints, staged uploads, a CDN, bulk
operation results and signed webhooks, with cost accounting, throttling and fault injection.

GraphQL requests are parsed and validated against the vendored Admin 2026-07 schema and executed by
graphql-core, so a document that Shopify would refuse is refused here too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jwt
from graphql import FieldNode, execute_sync, get_operation_ast

from tests.fakes.loopback import LoopbackServer
from tests.fakes.shopify.admin_schema import API_VERSION, admin_schema, parsed_and_checked
from tests.fakes.shopify.cost import MAX_SINGLE_QUERY_COST, actual_cost, requested_cost
from tests.fakes.shopify.store import (
    Bucket,
    BulkOperation,
    Media,
    MutationRoot,
    Product,
    QueryRoot,
    ResolverContext,
    ShopData,
    gid,
    iso,
)

ACCESS_TOKEN_TTL = 3600
REFRESH_TOKEN_TTL = 90 * 24 * 3600


@dataclass
class Fault:
    """One injected failure. ``target``: graphql, token, upload, cdn or bulk; ``operation`` narrows graphql
    faults to one root field (e.g. ``productUpdate``). ``kind``: ``status`` (answer ``status``), ``slow``
    (wait ``delay`` seconds first), ``drop`` (close the connection unanswered) or ``drop_after`` (do the
    work, then close the connection unanswered: the caller cannot know it happened)."""

    target: str
    kind: str
    operation: str | None = None
    status: int = 503
    delay: float = 0.0
    times: int = 1


@dataclass
class SignedWebhook:
    """A webhook delivery as Shopify sends it: the raw body and its headers, signed with the app secret."""

    topic: str
    shop: str
    body: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    def post(self, url: str, client: httpx.Client | None = None) -> int:
        # Shopify gives a webhook endpoint 1 s to connect and 5 s in all.
        timeout = httpx.Timeout(5.0, connect=1.0)
        if client is not None:
            return client.post(url, content=self.body, headers=self.headers, timeout=timeout).status_code
        return httpx.post(url, content=self.body, headers=self.headers, timeout=timeout).status_code


@dataclass
class Stats:
    requests: dict[str, int] = field(default_factory=dict)
    operations: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    cost_charged: float = 0.0

    def count(self, route: str) -> None:
        self.requests[route] = self.requests.get(route, 0) + 1


def sign_webhook_body(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class FakeShopify(LoopbackServer):
    def __init__(self, *, client_id: str, client_secret: str, media_processing_polls: int = 2,
                 bulk_polls: int = 2, bulk_interleave: int = 16) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.media_processing_polls = media_processing_polls
        self.bulk_polls = bulk_polls
        self.bulk_interleave = bulk_interleave  # parents written before their children in the JSONL
        self.shops: dict[str, ShopData] = {}
        self.faults: list[Fault] = []
        self.media_failures = 0  # how many of the next media Shopify will fail to process
        self.outbox: list[SignedWebhook] = []
        self.stats = Stats()
        self.lock = threading.RLock()
        self._access_tokens: dict[str, tuple[str, float | None]] = {}
        self._refresh_tokens: dict[str, tuple[str, float]] = {}
        self._codes: dict[str, str] = {}

    # --- lifecycle --------------------------------------------------------------------------------
    thread_name = "fake-shopify"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    @property
    def shop_url_template(self) -> str:
        """The value for SHOPIFY_SHOP_URL that routes every shop to this fake."""
        return self.base_url + "/{shop}"

    # --- seeding ----------------------------------------------------------------------------------
    def add_shop(self, domain: str, *, name: str = "", maximum: float = 2000.0,
                 restore_rate: float = 100.0) -> ShopData:
        bucket = Bucket(maximum=maximum, restore_rate=restore_rate, available=maximum, at=time.monotonic())
        shop = ShopData(domain=domain, name=name or domain.split(".")[0], bucket=bucket)
        self.shops[domain] = shop
        return shop

    def add_product(self, domain: str, *, title: str, images: list[bytes] | int = 1, alt: str = "",
                    product_type: str = "", vendor: str = "", tags: tuple[str, ...] = (),
                    updated_at: datetime | None = None,
                    options: tuple[tuple[str, list[str]], ...] = ()) -> Product:
        shop = self.shops[domain]
        with self.lock:
            number = shop.next_id()
            product = Product(number=number, title=title, handle=f"product-{number}",
                              product_type=product_type, vendor=vendor, tags=list(tags),
                              updated_at=updated_at or datetime.now(UTC), options=list(options))
            for index, data in enumerate(images if isinstance(images, list) else [None] * images):
                media = Media(number=shop.next_id(), filename=f"photo-{number}-{index + 1}.png",
                              content_type="image/png", alt=alt, product_number=number, data=data)
                shop.media[media.number] = media
                product.media_numbers.append(media.number)
            shop.products[number] = product
            return product

    def seed_products(self, domain: str, count: int, *, images_per_product: int = 3,
                      updated_at: datetime | None = None) -> list[Product]:
        return [self.add_product(domain, title=f"Product {index}", images=images_per_product,
                                 product_type="Shirts", vendor="ACME", tags=("seed",), updated_at=updated_at)
                for index in range(count)]

    def product(self, domain: str, product_id: str) -> Product:
        product = self.shops[domain].product(product_id)
        assert product is not None, f"no product {product_id} in {domain}"
        return product

    def product_media(self, domain: str, product_id: str) -> list[Media]:
        shop = self.shops[domain]
        return shop.media_of(self.product(domain, product_id))

    # --- auth helpers -----------------------------------------------------------------------------
    def session_token(self, domain: str, *, secret: str | None = None, audience: str | None = None,
                      expires_in: int = 60, issued_offset: int = 0) -> str:
        """An App Bridge session token as the Shopify admin hands one to an embedded app."""
        now = int(time.time()) + issued_offset
        claims = {"iss": f"https://{domain}/admin", "dest": f"https://{domain}",
                  "aud": audience or self.client_id, "sub": "42", "exp": now + expires_in, "nbf": now,
                  "iat": now, "jti": str(uuid.uuid4()), "sid": secrets.token_hex(16)}
        return jwt.encode(claims, secret or self.client_secret, algorithm="HS256")

    def oauth_callback_params(self, domain: str, state: str, *, secret: str | None = None) -> dict[str, str]:
        """The query string Shopify's OAuth redirect carries back to the app, signed as Shopify signs it."""
        code = secrets.token_hex(16)
        self._codes[code] = domain
        host = base64.urlsafe_b64encode(f"admin.shopify.com/store/{domain.split('.')[0]}".encode()).decode()
        params = {"code": code, "host": host, "shop": domain, "state": state,
                  "timestamp": str(int(time.time()))}
        message = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
        params["hmac"] = hmac.new((secret or self.client_secret).encode(), message.encode(),
                                  hashlib.sha256).hexdigest()
        return params

    def mint_tokens(self, domain: str, *, expiring: bool = True) -> dict[str, Any]:
        """Issue an offline token pair directly (what a finished install leaves behind)."""
        access = "shpat_" + secrets.token_hex(16)
        answer: dict[str, Any] = {"access_token": access, "scope": "read_products,write_products,write_files"}
        if not expiring:
            self._access_tokens[access] = (domain, None)
            return answer
        refresh = "shprt_" + secrets.token_hex(16)
        self._access_tokens[access] = (domain, time.time() + ACCESS_TOKEN_TTL)
        self._refresh_tokens[refresh] = (domain, time.time() + REFRESH_TOKEN_TTL)
        return {**answer, "expires_in": ACCESS_TOKEN_TTL, "refresh_token": refresh,
                "refresh_token_expires_in": REFRESH_TOKEN_TTL}

    def expire_access_tokens(self, domain: str) -> None:
        for token, (owner, _) in list(self._access_tokens.items()):
            if owner == domain:
                self._access_tokens[token] = (owner, time.time() - 1)

    def refresh_token_valid(self, token: str) -> bool:
        return token in self._refresh_tokens

    def access_token_valid(self, token: str) -> bool:
        entry = self._access_tokens.get(token)
        return entry is not None and (entry[1] is None or entry[1] > time.time())

    # --- webhooks ---------------------------------------------------------------------------------
    def webhook(self, topic: str, payload: dict[str, Any], domain: str, *, webhook_id: str | None = None,
                secret: str | None = None) -> SignedWebhook:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign_webhook_body(body, secret or self.client_secret),
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
        }
        return SignedWebhook(topic=topic, shop=domain, body=body, headers=headers)

    def take_outbox(self, topic: str | None = None) -> list[SignedWebhook]:
        with self.lock:
            taken = [hook for hook in self.outbox if topic is None or hook.topic == topic]
            self.outbox = [hook for hook in self.outbox if hook not in taken]
            return taken

    def product_payload(self, domain: str, product: Product) -> dict[str, Any]:
        """The REST-shaped product body of products/create and products/update webhooks."""
        shop = self.shops[domain]
        context = ResolverContext(self, shop)
        media = shop.media_of(product)
        return {
            "admin_graphql_api_id": product.id, "id": product.number, "title": product.title,
            "handle": product.handle, "product_type": product.product_type, "vendor": product.vendor,
            "tags": ", ".join(product.tags), "status": product.status.lower(),
            "updated_at": iso(product.updated_at), "body_html": "",
            "images": [{"id": item.number, "admin_graphql_api_id": gid("ProductImage", item.number),
                        "product_id": product.number, "position": index + 1, "alt": item.alt or None,
                        "src": context.media_url(item), "width": item.width, "height": item.height}
                       for index, item in enumerate(media) if item.status == "READY"],
            "media": [{"id": item.number, "admin_graphql_api_id": item.id, "product_id": product.number,
                       "position": index + 1, "alt": item.alt or None, "media_content_type": "IMAGE",
                       "status": item.status.lower(),
                       "preview_image": {"src": context.media_url(item) if item.status == "READY" else None,
                                         "width": item.width, "height": item.height,
                                         "status": item.status.lower()}}
                      for index, item in enumerate(media)],
        }

    def product_changed(self, shop: ShopData, product: Product) -> None:
        product.updated_at = max(datetime.now(UTC), product.updated_at + timedelta(seconds=1))
        self.outbox.append(self.webhook("products/update", self.product_payload(shop.domain, product),
                                        shop.domain))

    # --- bulk operations --------------------------------------------------------------------------
    def bulk_operation_start(self, shop: ShopData, query: str) -> dict[str, Any]:
        _, errors = parsed_and_checked(query)
        if errors:
            return {"bulkOperation": None, "userErrors": [
                {"field": ["query"], "message": f"Invalid bulk query: {errors[0].message}",
                 "code": "INVALID"}]}
        if any(op.status in ("CREATED", "RUNNING") for op in shop.bulk_operations.values()):
            return {"bulkOperation": None, "userErrors": [
                {"field": None, "code": "OPERATION_IN_PROGRESS",
                 "message": "A bulk query operation for this app and shop is already in progress"}]}
        operation = BulkOperation(number=shop.next_id(), query=query, polls_left=self.bulk_polls)
        shop.bulk_operations[operation.number] = operation
        return {"bulkOperation": self._bulk_view(shop, operation), "userErrors": []}

    def bulk_operation_view(self, shop: ShopData, operation: BulkOperation) -> dict[str, Any]:
        """The operation as a status poll sees it; every poll moves a running operation along."""
        if operation.status == "CREATED":
            operation.status = "RUNNING"
        elif operation.status == "RUNNING":
            if operation.polls_left > 0:
                operation.polls_left -= 1
            else:
                self._bulk_complete(shop, operation)
        return self._bulk_view(shop, operation)

    def _bulk_view(self, shop: ShopData, operation: BulkOperation) -> dict[str, Any]:
        done = operation.status == "COMPLETED"
        return {
            "id": operation.id, "status": operation.status, "errorCode": operation.error_code,
            "objectCount": str(operation.object_count), "rootObjectCount": str(operation.root_object_count),
            "fileSize": str(len(operation.jsonl or b"")) if done else None,
            "url": f"{self.base_url}/bulk/{shop.domain}/{operation.number}.jsonl" if done else None,
            "partialDataUrl": None, "query": operation.query, "type": "QUERY",
            "createdAt": iso(operation.created_at),
            "completedAt": iso(operation.completed_at) if operation.completed_at else None,
        }

    def _bulk_complete(self, shop: ShopData, operation: BulkOperation) -> None:
        tree, _ = parsed_and_checked(operation.query)
        root = QueryRoot(ResolverContext(self, shop, bulk=True))
        result = execute_sync(admin_schema(), tree, root_value=root)
        assert not result.errors, result.errors
        lines: list[str] = []
        roots = 0
        for value in (result.data or {}).values():
            parents = _connection_nodes(value)
            roots += len(parents)
            for start in range(0, len(parents), self.bulk_interleave):
                block = parents[start:start + self.bulk_interleave]
                children: list[str] = []
                for parent in block:
                    parent_line, *descendants = _bulk_rows(parent, None)
                    lines.append(parent_line)
                    children.extend(descendants)
                lines.extend(children)  # children follow their parents, but not directly
        operation.jsonl = ("\n".join(lines) + "\n").encode() if lines else b""
        operation.object_count, operation.root_object_count = len(lines), roots
        operation.status, operation.completed_at = "COMPLETED", datetime.now(UTC)
        self.outbox.append(self.webhook("bulk_operations/finish", {
            "admin_graphql_api_id": operation.id, "completed_at": iso(operation.completed_at),
            "created_at": iso(operation.created_at), "error_code": None, "status": "completed",
            "type": "query",
        }, shop.domain))

    def take_media_failure(self) -> bool:
        if self.media_failures > 0:
            self.media_failures -= 1
            return True
        return False

    # --- request handling -------------------------------------------------------------------------
    def _take_fault(self, target: str, operation: str | None = None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.target == target and fault.operation in (None, operation) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _shop_for_token(self, domain: str, token: str | None) -> ShopData | None:
        entry = self._access_tokens.get(token or "")
        if entry is None or entry[0] != domain or (entry[1] is not None and entry[1] <= time.time()):
            return None
        return self.shops.get(domain)

    def handle_graphql(self, request: _Handler, domain: str) -> None:
        self.stats.count("graphql")
        shop = self._shop_for_token(domain, request.headers.get("X-Shopify-Access-Token"))
        if shop is None:
            request.reply_json(401, {"errors": "[API] Invalid API key or access token "
                                               "(unrecognized login or wrong password)"})
            return
        try:
            body = json.loads(request.read_body() or b"{}")
        except ValueError:
            request.reply_json(400, {"errors": "Body is not valid JSON"})
            return
        document, variables = body.get("query") or "", body.get("variables") or {}
        tree, errors = parsed_and_checked(document)
        if errors:
            request.reply_json(200, {"errors": [error.formatted for error in errors]})
            return
        operation = get_operation_ast(tree, body.get("operationName"))
        if operation is None:
            request.reply_json(200, {"errors": [{"message": "No operation to run in the document"}]})
            return
        roots = [node.name.value for node in operation.selection_set.selections
                 if isinstance(node, FieldNode)]
        for root in roots:
            self.stats.operations[root] = self.stats.operations.get(root, 0) + 1
        fault = self._take_fault("graphql", roots[0] if roots else None)
        if fault is not None and fault.kind != "drop_after" and not request.apply_fault(fault):
            return
        mutation = operation.operation.value == "mutation"
        cost = requested_cost(admin_schema(), tree, operation, variables)
        if cost > MAX_SINGLE_QUERY_COST:
            request.reply_json(200, {"errors": [{
                "message": f"Query cost is {cost}, which exceeds the single query max cost limit "
                           f"({MAX_SINGLE_QUERY_COST}).",
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost,
                               "maxCost": MAX_SINGLE_QUERY_COST}}]})
            return
        with self.lock:
            bucket = shop.bucket
            now = time.monotonic()
            bucket.available = min(bucket.maximum, bucket.available + (now - bucket.at) * bucket.restore_rate)
            bucket.at = now
            if bucket.available < cost:
                self.stats.throttled += 1
                request.reply_json(200, {
                    "errors": [{"message": "Throttled", "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                    "extensions": {"cost": self._cost_extension(bucket, cost, None)}})
                return
            bucket.available -= cost
            context = ResolverContext(self, shop)
            root = MutationRoot(context) if mutation else QueryRoot(context)
            result = execute_sync(admin_schema(), tree, root_value=root, variable_values=variables,
                                  operation_name=body.get("operationName"))
            spent = actual_cost(result.data, mutation=mutation)
            bucket.available = min(bucket.maximum, bucket.available + max(cost - spent, 0))
            self.stats.cost_charged += spent
            answer: dict[str, Any] = {"data": result.data,
                                      "extensions": {"cost": self._cost_extension(bucket, cost, spent)}}
            if result.errors:
                answer["errors"] = [error.formatted for error in result.errors]
        if fault is not None and fault.kind == "drop_after":
            request.drop()
            return
        request.reply_json(200, answer)

    @staticmethod
    def _cost_extension(bucket: Bucket, requested: int, actual: int | None) -> dict[str, Any]:
        return {"requestedQueryCost": requested, "actualQueryCost": actual,
                "throttleStatus": {"maximumAvailable": bucket.maximum,
                                   "currentlyAvailable": int(bucket.available),
                                   "restoreRate": bucket.restore_rate}}

    def handle_token(self, request: _Handler, domain: str) -> None:
        self.stats.count("token")
        fault = self._take_fault("token")
        if fault is not None and not request.apply_fault(fault):
            return
        raw = request.read_body()
        content_type = request.headers.get("Content-Type", "")
        body = json.loads(raw or b"{}") if "json" in content_type else dict(parse_qsl(raw.decode()))
        if body.get("client_id") != self.client_id or body.get("client_secret") != self.client_secret:
            request.reply_json(401, {"error": "invalid_client",
                                     "error_description": "Client credentials invalid"})
            return
        expiring = str(body.get("expiring", "0")) in ("1", "true", "True")
        grant = body.get("grant_type")
        with self.lock:
            if grant == "urn:ietf:params:oauth:grant-type:token-exchange":
                try:
                    claims = jwt.decode(body.get("subject_token", ""), self.client_secret,
                                        algorithms=["HS256"], audience=self.client_id, leeway=10)
                except jwt.PyJWTError:
                    request.reply_json(400, {"error": "invalid_subject_token"})
                    return
                if claims.get("dest") != f"https://{domain}":
                    request.reply_json(400, {"error": "invalid_subject_token"})
                    return
                request.reply_json(200, self.mint_tokens(domain, expiring=expiring))
            elif grant == "refresh_token":
                entry = self._refresh_tokens.pop(body.get("refresh_token", ""), None)  # single use: rotated
                if entry is None or entry[0] != domain or entry[1] <= time.time():
                    request.reply_json(400, {"error": "invalid_grant"})
                    return
                request.reply_json(200, self.mint_tokens(domain, expiring=True))
            elif grant is None and body.get("code"):
                if self._codes.pop(body["code"], None) != domain:
                    request.reply_json(400, {
                        "error": "invalid_request",
                        "error_description": "The authorization code was not found or was already used"})
                    return
                request.reply_json(200, self.mint_tokens(domain, expiring=expiring))
            else:
                request.reply_json(400, {"error": "unsupported_grant_type"})

    def handle_staged_upload(self, request: _Handler, token: str) -> None:
        self.stats.count("upload")
        fault = self._take_fault("upload")
        if fault is not None and fault.kind != "drop_after" and not request.apply_fault(fault):
            return
        target = next((shop.staged[token] for shop in self.shops.values() if token in shop.staged), None)
        if target is None:
            request.reply(404, b"<Error><Code>NoSuchUpload</Code></Error>", "application/xml")
            return
        raw = request.read_body()
        if request.command == "PUT":
            data = raw
        else:
            fields = _multipart_fields(raw, request.headers.get("Content-Type", ""))
            expected = {parameter["name"]: parameter["value"] for parameter in target.parameters}
            signed = all(fields.get(name) == value.encode() for name, value in expected.items())
            if not signed or "file" not in fields:
                request.reply(403, b"<Error><Code>AccessDenied</Code></Error>", "application/xml")
                return
            data = fields["file"]
        if target.file_size is not None and len(data) != target.file_size:
            request.reply(400, b"<Error><Code>EntityTooLarge</Code></Error>", "application/xml")
            return
        with self.lock:
            target.uploaded = data
        if fault is not None:
            request.drop()
            return
        if request.command == "PUT":
            request.reply(200, b"", "text/plain")
        else:
            key = f"tmp/{token}/{target.filename}"
            request.reply(201, f"<PostResponse><Key>{key}</Key></PostResponse>".encode(), "application/xml")

    def handle_cdn(self, request: _Handler, domain: str, number: int) -> None:
        self.stats.count("cdn")
        fault = self._take_fault("cdn")
        if fault is not None and not request.apply_fault(fault):
            return
        media = self.shops[domain].media.get(number) if domain in self.shops else None
        if media is None:
            request.reply(404, b"Not Found", "text/plain")
            return
        request.reply(200, media.content(), media.content_type)

    def handle_bulk_download(self, request: _Handler, domain: str, number: int) -> None:
        self.stats.count("bulk")
        fault = self._take_fault("bulk")
        if fault is not None and not request.apply_fault(fault):
            return
        operation = self.shops[domain].bulk_operations.get(number) if domain in self.shops else None
        if operation is None or operation.jsonl is None:
            request.reply(404, b"Not Found", "text/plain")
            return
        request.reply(200, operation.jsonl, "application/jsonl")


def _connection_nodes(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict) and "edges" in value:
        return [edge["node"] for edge in value["edges"]]
    if isinstance(value, dict) and "nodes" in value:
        return list(value["nodes"])
    return []


def _bulk_rows(node: dict[str, Any], parent_id: str | None) -> list[str]:
    """JSONL lines for ``node``: its own row first, then a row per node of its nested connections."""
    row: dict[str, Any] = {}
    nested: list[dict[str, Any]] = []
    for key, value in node.items():
        if isinstance(value, dict) and ("edges" in value or "nodes" in value):
            nested.extend(_connection_nodes(value))
        else:
            row[key] = value
    if parent_id is not None:
        row["__parentId"] = parent_id
    lines = [json.dumps(row)]
    for child in nested:
        lines.extend(_bulk_rows(child, node["id"]))
    return lines


def _multipart_fields(body: bytes, content_type: str) -> dict[str, bytes]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return {}
    fields: dict[str, bytes] = {}
    for part in body.split(b"--" + match.group(1).encode()):
        head, separator, content = part.partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head)
        if separator and name:
            fields[name.group(1).decode()] = content.removesuffix(b"\r\n")
    return fields


_ROUTES = [
    (re.compile(r"^/(?P<domain>[^/]+)/admin/api/[^/]+/graphql\.json$"), "POST", "graphql"),
    (re.compile(r"^/(?P<domain>[^/]+)/admin/oauth/access_token$"), "POST", "token"),
    (re.compile(r"^/staged/(?P<token>[0-9a-f]+)$"), "POST PUT", "upload"),
    (re.compile(r"^/cdn/(?P<domain>[^/]+)/(?P<number>\d+)/\d+/[^/]+$"), "GET", "cdn"),
    (re.compile(r"^/bulk/(?P<domain>[^/]+)/(?P<number>\d+)\.jsonl$"), "GET", "bulk"),
    (re.compile(r"^/_fake/stats$"), "GET", "stats"),
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    owner: FakeShopify

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _route(self) -> None:
        self._body: bytes | None = None  # one handler serves every request of a kept-alive connection
        path = self.path.split("?", 1)[0]
        for pattern, methods, name in _ROUTES:
            match = pattern.match(path)
            if match and self.command in methods.split():
                values = match.groupdict()
                if name == "graphql":
                    self.owner.handle_graphql(self, values["domain"])
                elif name == "token":
                    self.owner.handle_token(self, values["domain"])
                elif name == "upload":
                    self.owner.handle_staged_upload(self, values["token"])
                elif name == "cdn":
                    self.owner.handle_cdn(self, values["domain"], int(values["number"]))
                elif name == "stats":
                    self.reply_json(200, vars(self.owner.stats))
                else:
                    self.owner.handle_bulk_download(self, values["domain"], int(values["number"]))
                return
        self.read_body()
        self.reply(404, b"Not Found", "text/plain")

    do_GET = do_POST = do_PUT = _route

    def read_body(self) -> bytes:
        if self._body is None:
            self._body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return self._body

    def reply(self, status: int, body: bytes, content_type: str) -> None:
        self.read_body()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status: int, body: Any) -> None:
        self.reply(status, json.dumps(body).encode(), "application/json")

    def drop(self) -> None:
        """Close the connection without an answer (the client sees the server disconnect)."""
        self.close_connection = True

    def apply_fault(self, fault: Fault) -> bool:
        """Act out a fault before the work; False when the request is finished (answered or dropped)."""
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return True
        if fault.kind == "drop":
            self.read_body()
            self.drop()
            return False
        self.reply(fault.status, b"Service Unavailable", "text/plain")
        return False
