"""Our GraphQL Admin API client: the shared cost bucket, GraphQL errors and ``userErrors``, on the one HTTP layer.

The retry loop, backoff, deadline, token refresh and the sent-vs-lost rules are :mod:`vitrine.connectors.http`'s;
what is Shopify's own is here:

* the cost bucket: before each send the call's cost is taken from the shop's bucket (we wait for points instead
  of being throttled); ``THROTTLED`` answers update the bucket from Shopify's figures and wait;
* GraphQL ``errors`` (``ACCESS_DENIED`` terminal, ``INTERNAL_SERVER_ERROR`` transient -- lost for a
  mutation) and mutations' ``userErrors``: terminal, with Shopify's message kept.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings

from vitrine.connectors.errors import ApiBadRequest, ApiForbidden, ApiRateLimited, ApiUnavailable
from vitrine.connectors.http import Paced, ResponseLost, Transport, raise_for_status
from vitrine.connectors.shopify import config
from vitrine.connectors.shopify.ratelimit import CostBucket, ThrottleStatus, shared_bucket

logger = logging.getLogger(__name__)

# Before a document's real cost is known (Shopify reports it with the first answer).
DEFAULT_QUERY_COST = 50.0
DEFAULT_MUTATION_COST = 10.0
# After THROTTLED the bucket holds Shopify's figures; this short pause keeps a bucket that disagrees with
# Shopify from spinning until the deadline.
THROTTLED_PAUSE = 0.05

_learned_costs: dict[str, float] = {}
_learned_costs_lock = threading.Lock()


def _document_key(document: str) -> str:
    return hashlib.sha1(document.encode(), usedforsecurity=False).hexdigest()


def _is_mutation(document: str) -> bool:
    return document.lstrip().startswith("mutation")


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
        self._url = config.graphql_url(shop_domain)
        self._transport = Transport(http=http or config.http_client(), sleep=sleep,
                                    outlasted="no points within {seconds:.0f} s")
        self.stats = self._transport.stats

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one query or mutation and return its ``data``; raises the ``ApiError`` family."""
        mutation = _is_mutation(document)
        key = _document_key(document)
        with _learned_costs_lock:
            cost = _learned_costs.get(key, DEFAULT_MUTATION_COST if mutation else DEFAULT_QUERY_COST)
        return self._transport.call(
            lambda: self._attempt(document, variables, key=key, cost=cost, mutation=mutation),
            write=mutation, attempts=settings.SHOPIFY_MAX_ATTEMPTS, max_wait=settings.SHOPIFY_THROTTLE_MAX_WAIT,
            refresh=self._on_unauthorized, what=f"Shopify for {self.shop_domain}",
        )

    def _attempt(self, document: str, variables: dict[str, Any] | None, *, key: str, cost: float,
                 mutation: bool) -> dict[str, Any]:
        with _learned_costs_lock:
            cost = _learned_costs.get(key, cost)
        wait = self._bucket.reserve(self.shop_domain, cost)
        if wait > 0:
            raise Paced(f"Shopify rate limit for {self.shop_domain}", retry_after=wait)
        body = self._post(document, variables, mutation=mutation)
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
            if status is not None and cost > status.maximum:
                raise ApiBadRequest(f"a query costing {cost:.0f} points can never run in the "
                                    f"{status.maximum:.0f}-point bucket of {self.shop_domain}",
                                    code="MAX_COST_EXCEEDED")
            # Not executed: refused before it ran, so the transport sends it again once the bucket allows.
            raise ApiRateLimited(f"Shopify throttled a call for {self.shop_domain}", code="THROTTLED",
                                 retry_after=THROTTLED_PAUSE)
        self.stats.requested_cost += float(cost_info.get("requestedQueryCost") or 0)
        self.stats.actual_cost += float(cost_info.get("actualQueryCost") or 0)
        if errors:
            self._raise_for_errors(errors, mutation=mutation)
        return body.get("data") or {}

    def _post(self, document: str, variables: dict[str, Any] | None, *, mutation: bool) -> dict[str, Any]:
        headers = {"X-Shopify-Access-Token": self._access_token(), "Accept": "application/json"}
        what = f"Shopify for {self.shop_domain}"
        response = self._transport.send("POST", self._url, write=mutation, what=what,
                                        json={"query": document, "variables": variables or {}}, headers=headers)
        raise_for_status(response, write=mutation, what=what)
        text = response.text[:500]
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiUnavailable(f"Shopify sent a body that is not JSON for {self.shop_domain}: {text}",
                                 status=response.status_code) from exc
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
