"""Our GraphQL Admin API client: httpx with explicit timeouts, the shared cost bucket, and one error taxonomy.

Retry rules:

* throttled (``THROTTLED`` or HTTP 429): wait for the bucket to hold the call's cost, then send again;
* 5xx, timeouts and dropped connections: retry with exponential backoff and full jitter -- for queries
  always, for mutations only when the request provably never reached Shopify (connection refused);
  a mutation whose answer was lost raises :class:`ApiUnavailable` for the caller's idempotent retry;
* 4xx, GraphQL errors and ``userErrors``: terminal, with Shopify's message kept.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from vitrine.connectors.errors import (
    ApiBadRequest,
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiUnauthorized,
    ApiUnavailable,
)
from vitrine.connectors.shopify import config
from vitrine.connectors.shopify.ratelimit import CostBucket, ThrottleStatus, shared_bucket

logger = logging.getLogger(__name__)

# Before a document's real cost is known (Shopify reports it with the first answer).
DEFAULT_QUERY_COST = 50.0
DEFAULT_MUTATION_COST = 10.0
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 30.0

_learned_costs: dict[str, float] = {}
_learned_costs_lock = threading.Lock()


@dataclass
class CallStats:
    """What one client spent: for logs and the sync benchmark."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0
    requested_cost: float = 0.0
    actual_cost: float = 0.0
    waited_seconds: float = 0.0


def _document_key(document: str) -> str:
    return hashlib.sha1(document.encode(), usedforsecurity=False).hexdigest()


def _is_mutation(document: str) -> bool:
    return document.lstrip().startswith("mutation")


def backoff_delay(attempt: int) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)], so retrying workers spread out."""
    return random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt))


def user_errors_raise(payload: dict[str, Any] | None, *, operation: str, field: str = "userErrors") -> None:
    """Raise :class:`ApiBadRequest` with Shopify's own words when a mutation answered with user errors."""
    if payload is None:
        raise ApiBadRequest(f"{operation}: Shopify returned no payload")
    errors = payload.get(field) or []
    if errors:
        message = "; ".join(
            f"{'.'.join(error.get('field') or []) or operation}: {error.get('message')}" for error in errors
        )
        raise ApiBadRequest(f"{operation} refused: {message}", code=errors[0].get("code"))


class ResponseLost(ApiUnavailable):
    """Transient for the caller, but never resent by this client: the mutation may have taken effect, so
    only the caller (which can check what happened, e.g. through the publish ledger) may try again."""


class AdminClient:
    """GraphQL Admin API for one shop. ``access_token`` is asked for before each request (it may refresh)."""

    def __init__(
        self,
        *,
        shop_domain: str,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[], str] | None = None,
        bucket: CostBucket | None = None,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.shop_domain = shop_domain
        self._access_token = access_token
        self._on_unauthorized = on_unauthorized
        self._bucket = bucket or shared_bucket()
        self._http = http or config.http_client()
        self._sleep = sleep
        self._url = config.graphql_url(shop_domain)
        self.stats = CallStats()

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one query or mutation and return its ``data``; raises the ``ApiError`` family."""
        mutation = _is_mutation(document)
        key = _document_key(document)
        with _learned_costs_lock:
            cost = _learned_costs.get(key, DEFAULT_MUTATION_COST if mutation else DEFAULT_QUERY_COST)
        deadline = time.monotonic() + settings.SHOPIFY_THROTTLE_MAX_WAIT
        attempt = 0
        refreshed = False
        while True:
            self._wait_for_points(cost, deadline)
            try:
                body = self._post(document, variables, mutation=mutation)
            except ApiUnauthorized:
                if refreshed or self._on_unauthorized is None:
                    raise
                self._on_unauthorized()
                refreshed = True
                continue
            except ApiError as exc:
                attempt += 1
                resendable = exc.retryable and not isinstance(exc, ResponseLost)
                if not resendable or attempt >= settings.SHOPIFY_MAX_ATTEMPTS:
                    raise
                if isinstance(exc, ApiRateLimited):
                    self._wait(exc.retry_after or 1.0, deadline)
                else:
                    self.stats.retries += 1
                    self._sleep(backoff_delay(attempt))
                continue
            cost_info = (body.get("extensions") or {}).get("cost") or {}
            status = ThrottleStatus.from_extensions(body.get("extensions"))
            if status is not None:
                self._bucket.observe(self.shop_domain, status)
            if "requestedQueryCost" in cost_info:
                cost = float(cost_info["requestedQueryCost"])
                with _learned_costs_lock:
                    _learned_costs[key] = cost
            errors = body.get("errors") or []
            if any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors):
                self.stats.throttled += 1
                if status is not None and cost > status.maximum:
                    raise ApiBadRequest(f"a query costing {cost:.0f} points can never run in the "
                                        f"{status.maximum:.0f}-point bucket of {self.shop_domain}",
                                        code="MAX_COST_EXCEEDED")
                # Not executed: the bucket now holds Shopify's figures, so the next wait is exact. The short
                # pause keeps a bucket that disagrees with Shopify from spinning past the deadline.
                self._wait(0.05, deadline)
                continue
            self.stats.requested_cost += float(cost_info.get("requestedQueryCost") or 0)
            self.stats.actual_cost += float(cost_info.get("actualQueryCost") or 0)
            if errors:
                self._raise_for_errors(errors, mutation=mutation)
            return body.get("data") or {}

    def _wait_for_points(self, cost: float, deadline: float) -> None:
        while (wait := self._bucket.reserve(self.shop_domain, cost)) > 0:
            self._wait(wait, deadline)

    def _wait(self, seconds: float, deadline: float) -> None:
        if time.monotonic() + seconds > deadline:
            raise ApiRateLimited(
                f"Shopify rate limit for {self.shop_domain}: no points within "
                f"{settings.SHOPIFY_THROTTLE_MAX_WAIT:.0f} s", retry_after=seconds,
            )
        self.stats.waited_seconds += seconds
        self._sleep(seconds)

    def _post(self, document: str, variables: dict[str, Any] | None, *, mutation: bool) -> dict[str, Any]:
        headers = {"X-Shopify-Access-Token": self._access_token(), "Accept": "application/json"}
        self.stats.requests += 1
        try:
            response = self._http.post(self._url, json={"query": document, "variables": variables or {}},
                                       headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ApiUnavailable(f"cannot reach Shopify for {self.shop_domain}: {exc!r}") from exc
        except httpx.TransportError as exc:
            if mutation:
                lost = ResponseLost(f"the answer to a mutation for {self.shop_domain} was lost ({exc!r}); "
                                   f"it may have been applied")
                raise lost from exc
            raise ApiUnavailable(f"Shopify connection failed for {self.shop_domain}: {exc!r}") from exc
        return self._decode(response, mutation=mutation)

    def _decode(self, response: httpx.Response, *, mutation: bool) -> dict[str, Any]:
        status = response.status_code
        text = response.text[:500]
        if status == 429:
            retry_after = float(response.headers.get("Retry-After") or 1.0)
            raise ApiRateLimited(f"Shopify answered 429 for {self.shop_domain}", status=429,
                                 retry_after=retry_after)
        if status >= 500:
            cls = ResponseLost if mutation and status not in (502, 503) else ApiUnavailable
            raise cls(f"Shopify answered {status} for {self.shop_domain}: {text}", status=status)
        if status == 401:
            raise ApiUnauthorized(f"Shopify refused the access token for {self.shop_domain}: {text}",
                                  status=401)
        if status in (402, 403, 423):
            raise ApiForbidden(f"Shopify answered {status} for {self.shop_domain}: {text}", status=status)
        if status == 404:
            raise ApiNotFound(f"Shopify has no Admin API at {self._url}: {text}", status=404)
        if status >= 400:
            raise ApiBadRequest(f"Shopify answered {status} for {self.shop_domain}: {text}", status=status)
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiUnavailable(f"Shopify sent a body that is not JSON for {self.shop_domain}: {text}",
                                 status=status) from exc
        if not isinstance(body, dict):
            raise ApiUnavailable(f"Shopify sent an unexpected JSON body for {self.shop_domain}: {text}")
        return body

    def _raise_for_errors(self, errors: list[dict[str, Any]], *, mutation: bool) -> None:
        codes = {(error.get("extensions") or {}).get("code") for error in errors}
        message = "; ".join(str(error.get("message")) for error in errors)
        if "ACCESS_DENIED" in codes:
            raise ApiForbidden(f"Shopify denied access for {self.shop_domain}: {message}",
                               code="ACCESS_DENIED")
        if "INTERNAL_SERVER_ERROR" in codes:
            cls = ResponseLost if mutation else ApiUnavailable
            raise cls(f"Shopify failed internally for {self.shop_domain}: {message}",
                      code="INTERNAL_SERVER_ERROR")
        code = next((code for code in codes if code), None)
        raise ApiBadRequest(f"Shopify refused the request for {self.shop_domain}: {message}", code=code)
