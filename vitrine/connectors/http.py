"""One HTTP layer for every store call: the retry loop, the error taxonomy of HTTP answers, image downloads.

Store clients (Shopify's GraphQL Admin API, Taobao's TOP gateway) keep what is their store's own -- the cost
bucket and GraphQL errors, request signing and error codes -- and hand each call to :meth:`Transport.call`,
which owns what is the same for every store (the loop is tenacity's; the rules are these):

* **Sent or lost.** A request that provably never left (:class:`NotSent`: no connection) and one the store
  refused before running it (:class:`~vitrine.connectors.errors.ApiRateLimited`) are sent again, writes
  included. A write whose answer went missing (:class:`ResponseLost`) may have taken effect: it is never sent
  again here, nor is any other failed write -- the caller, who can look at the store through the publish
  ledger, decides. Reads are sent again after any transient failure.
* **Backoff.** Transient failures wait ``backoff_delay(n)`` (exponential, full jitter, so retrying workers
  spread out), up to the store's attempt count.
* **Throttling.** A store's ``Retry-After`` (or the ban length it names) is waited exactly; so is our own pacing
  (:class:`Paced`). Those waits are not attempts.
* **Deadline.** One call never waits longer than its ``max_wait`` in all: a wait that would pass it ends the
  call (throttled: :class:`~vitrine.connectors.errors.ApiRateLimited`, saying so; otherwise the last error).
* **Refresh once.** A refused access token (:class:`TokenRefused`) gets one refresh and one more try; refused
  again, the seller must authorise the app again.

Image files are not API calls but downloads from a store's CDN or a catalogue's URLs: :func:`image_download`
sends them through the guarded fetcher (:mod:`vitrine.platform.fetcher`) with the same backoff, and maps its
failures onto the taxonomy in one place.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from vitrine.connectors import errors
from vitrine.platform.fetcher import FetchFailed, fetch

logger = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
# Gateways answering these did not pass the request on (or were told to refuse it): a write did not happen.
_NOT_FORWARDED = frozenset({502, 503})


class NotSent(errors.ApiUnavailable):
    """The request never reached the store (no connection): safe to send again, writes included."""


class ResponseLost(errors.ApiUnavailable):
    """Transient for the caller, but never resent by the transport: the write may have taken effect, so only
    the caller (which can look at the store, e.g. through the publish ledger) may try again."""


class Paced(errors.ApiRateLimited):
    """Our own limiter (not the store) says to wait ``retry_after`` seconds before sending."""


class TokenRefused(errors.ApiUnauthorized):
    """The store refused the access token (expired, revoked): one refresh may cure it."""


@dataclass
class CallStats:
    """What one client spent: for logs, sync runs and the benchmarks."""

    requests: int = 0
    retries: int = 0  # sends after a transient failure
    throttled: int = 0  # the store refused a call for its rate limit
    waited_seconds: float = 0.0  # waiting for the rate limit (the store's or our own pacing)
    requested_cost: float = 0.0  # Shopify's query-cost points
    actual_cost: float = 0.0


def backoff_delay(attempt: int) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)], so retrying workers spread out."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


def retry_after(response: httpx.Response, default: float = 1.0) -> float:
    """The ``Retry-After`` header in seconds (delta or HTTP date); ``default`` when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def raise_for_status(response: httpx.Response, *, write: bool, what: str) -> None:
    """Map a non-2xx answer onto the taxonomy (``what`` names the store and the call, for the message)."""
    status = response.status_code
    if status < 400:
        return
    text = response.text[:500]
    if status == 429:
        raise errors.ApiRateLimited(f"{what}: the store answered 429", status=429,
                                    retry_after=retry_after(response))
    if status >= 500:
        cls = ResponseLost if write and status not in _NOT_FORWARDED else errors.ApiUnavailable
        raise cls(f"{what}: the store answered {status}: {text}", status=status)
    if status == 401:
        raise TokenRefused(f"{what}: the store refused the access token: {text}", status=401)
    if status in (402, 403, 423):
        raise errors.ApiForbidden(f"{what}: the store answered {status}: {text}", status=status)
    if status in (404, 410):
        raise errors.ApiNotFound(f"{what}: the store answered {status}: {text}", status=status)
    raise errors.ApiBadRequest(f"{what}: the store answered {status}: {text}", status=status)


@dataclass
class _Step:
    """What the loop does after a failed attempt: wait ``delay`` seconds, then ``kind`` (see ``_step``)."""

    kind: str  # "throttled", "paced", "refresh" or "backoff"
    delay: float


class Transport:
    """Sends one client's requests and runs its calls through the rules of the module doc.

    ``outlasted`` says, in the store's words, that a rate limit outlasted the call's deadline; it is formatted
    with ``seconds`` (the deadline).
    """

    def __init__(self, *, http: httpx.Client, outlasted: str, sleep: Callable[[float], None] = time.sleep,
                 stats: CallStats | None = None) -> None:
        self.http = http
        self.stats = stats or CallStats()
        self._outlasted = outlasted
        self._sleep = sleep

    def send(self, method: str, url: str, *, write: bool, what: str, **kwargs: Any) -> httpx.Response:
        """One HTTP request; a connection that never opened is :class:`NotSent`, a write's lost answer
        :class:`ResponseLost`, a read's :class:`~vitrine.connectors.errors.ApiUnavailable`."""
        self.stats.requests += 1
        try:
            return self.http.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NotSent(f"{what}: cannot reach the store: {exc!r}") from exc
        except httpx.TransportError as exc:
            if write:
                lost = ResponseLost(f"{what}: the answer was lost ({exc!r}); it may have been applied")
                raise lost from exc
            raise errors.ApiUnavailable(f"{what}: the connection failed: {exc!r}") from exc

    def call(self, attempt: Callable[[], T], *, write: bool, attempts: int, max_wait: float,
             refresh: Callable[[], object] | None = None, what: str = "") -> T:
        """Run ``attempt`` (one request and its decoding) until it returns or the rules say to stop.

        ``attempts``: sends after transient failures, the first included; ``max_wait``: the call's deadline
        for waiting, in seconds; ``refresh``: renews the access token (None: a refused token is final).
        """
        deadline = time.monotonic() + max_wait
        failures = 0
        refreshed = False
        step: _Step | None = None

        def retry(state: RetryCallState) -> bool:
            nonlocal failures, step
            exc = state.outcome.exception() if state.outcome else None
            if not isinstance(exc, errors.ApiError):
                return False
            step = self._step(exc, write=write, can_refresh=refresh is not None and not refreshed)
            if step is not None and step.kind == "backoff":
                failures += 1
                step = _Step("backoff", backoff_delay(failures)) if failures < attempts else None
            return step is not None

        def wait(_state: RetryCallState) -> float:
            assert step is not None
            return step.delay

        def stop(_state: RetryCallState) -> bool:
            assert step is not None
            return time.monotonic() + step.delay > deadline

        def before_sleep(_state: RetryCallState) -> None:
            nonlocal refreshed
            assert step is not None
            if step.kind == "refresh":
                logger.info("%s: the store refused the access token; refreshing it once", what)
                refreshed = True
                assert refresh is not None
                refresh()
                return
            if step.kind == "backoff":
                self.stats.retries += 1
                logger.info("%s: transient failure; retry %d in %.1f s", what, failures, step.delay)
                return
            if step.kind == "throttled":
                self.stats.throttled += 1
            self.stats.waited_seconds += step.delay

        def give_up(state: RetryCallState) -> T:
            exc = state.outcome.exception() if state.outcome else None
            assert isinstance(exc, errors.ApiError)
            if isinstance(exc, errors.ApiRateLimited):
                wait_for = exc.retry_after or 1.0
                outlasted = self._outlasted.format(seconds=max_wait)
                raise errors.ApiRateLimited(f"{exc.message}; {outlasted}", code=exc.code, status=exc.status,
                                            retry_after=wait_for) from exc
            raise exc

        retrying = Retrying(retry=retry, wait=wait, stop=stop, before_sleep=before_sleep,
                            retry_error_callback=give_up, sleep=self._sleep, reraise=True)
        try:
            return retrying(attempt)
        except TokenRefused as exc:
            if not refreshed:
                raise
            raise errors.ApiUnauthorized(f"{exc.message}; refused again right after a token refresh: the seller "
                                         f"must authorise the app again", code=exc.code, status=exc.status) from exc

    @staticmethod
    def _step(exc: errors.ApiError, *, write: bool, can_refresh: bool) -> _Step | None:
        if isinstance(exc, TokenRefused):
            return _Step("refresh", 0.0) if can_refresh else None
        if isinstance(exc, errors.ApiRateLimited):  # refused before it ran: writes too
            return _Step("paced" if isinstance(exc, Paced) else "throttled", exc.retry_after or 1.0)
        if not exc.retryable or isinstance(exc, ResponseLost):
            return None
        if write and not isinstance(exc, NotSent):
            return None  # it may have run: the caller checks the store before trying again
        return _Step("backoff", 0.0)  # the delay grows with the failures: see ``call``


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at call time, so a test's stand-in for time.sleep applies


def image_download(url: str, *, allowed_hosts: Sequence[str] | None, attempts: int, remote_id: str = "") -> bytes:
    """An image file through the guarded fetcher, transient failures retried with backoff up to ``attempts``.

    The one mapping of download failures: gone (404, 410) is :class:`~vitrine.connectors.errors.ApiNotFound`;
    any other refusal (a 4xx) is terminal, :class:`~vitrine.connectors.errors.ApiBadRequest`; what outlasts
    the attempts (429, 5xx, network, deadline) is :class:`~vitrine.connectors.errors.ApiUnavailable`. An
    address the fetcher refuses raises its ``FetchRefused`` (the intake's rejection) unchanged. Messages name
    the image by ``remote_id`` when the store has one (the fetcher's words already name the URL).
    """
    what = f"image {remote_id}:" if remote_id else "image"
    retrying = Retrying(
        retry=retry_if_exception(lambda exc: isinstance(exc, FetchFailed) and exc.transient),
        stop=stop_after_attempt(max(attempts, 1)),
        wait=lambda state: backoff_delay(state.attempt_number),
        sleep=_sleep,
        reraise=True,
    )
    try:
        return retrying(fetch, url, allowed_hosts=allowed_hosts)
    except FetchFailed as exc:
        if exc.status in (404, 410):
            raise errors.ApiNotFound(f"{what} {exc.message}", status=exc.status) from None
        cls = errors.ApiUnavailable if exc.transient else errors.ApiBadRequest
        raise cls(f"{what} {exc.message}", status=exc.status) from None
