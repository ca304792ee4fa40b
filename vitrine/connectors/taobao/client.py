"""Our TOP API client: httpx with explicit timeouts, signed requests, and the shared error taxonomy.

Retry rules:

* call limit (code 7): wait for the ban to lift (the gateway says for how long), then send again -- the call
  was refused before it ran, so this holds for writes too;
* ``isp.*`` sub-codes, platform-side codes (1, 2, 10, 15 without ``isv.``), 5xx, timeouts, dropped
  connections, malformed answers: retry with exponential backoff and full jitter -- for reads always, for
  writes only when the request provably never left (:class:`NotSent`); otherwise a write's error goes to
  the caller, who can check the store (publish ledger) before trying again; a write whose answer was lost
  is :class:`ResponseLost`;
* invalid or missing session (codes 26, 27): refresh the seller's token once and send again, then give up
  with :class:`ApiUnauthorized`;
* ``isv.*`` business errors and argument errors: terminal, the platform's message kept.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from vitrine.connectors.errors import (
    ApiBadRequest,
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiUnauthorized,
    ApiUnavailable,
)
from vitrine.connectors.taobao.signing import SIGN_METHODS, gateway_timestamp, sign

logger = logging.getLogger(__name__)

API_VERSION = "2.0"
CALL_LIMITED = 7
SESSION_CODES = frozenset({26, 27})  # missing session, invalid session (expired or revoked)
CREDENTIAL_CODES = frozenset({25, 28, 29})  # signature, app key missing or invalid
TIMESTAMP_CODES = frozenset({30, 31})  # missing or invalid timestamp (more than 10 minutes off)
PERMISSION_CODES = frozenset({11, 12, 13})  # the app, the seller or the partner lacks the API permission
PLATFORM_CODES = frozenset({1, 2, 10, 15})  # unknown error, service unavailable, remote service error
_NOT_FOUND_MARKERS = ("not-exist", "not-found", "notexist", "is-delete", "item-not-found")
_BAN_SECONDS_RE = re.compile(r"(\d+)\s*more\s*seconds?", re.IGNORECASE)
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 30.0


@dataclass(frozen=True)
class UploadFile:
    """File bytes sent as a multipart part; never part of the signature."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass
class CallStats:
    """What one client spent: for logs and the sync benchmark."""

    requests: int = 0
    call_limited: int = 0
    retries: int = 0
    waited_seconds: float = 0.0


class SessionInvalid(ApiUnauthorized):
    """The seller's session (access token) is missing, expired or revoked: a refresh may cure it."""


class NotSent(ApiUnavailable):
    """The request never reached the gateway (no connection): safe to send again, writes included."""


class ResponseLost(ApiUnavailable):
    """Transient for the caller, but never resent by this client: the write may have taken effect, so only
    the caller (which can look at the store through the publish ledger's facts) may try again."""


def response_key(method: str) -> str:
    """``taobao.items.onsale.get`` answers under ``items_onsale_get_response``."""
    name = method.removeprefix("taobao.")
    return name.replace(".", "_") + "_response"


def backoff_delay(attempt: int) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)], so retrying workers spread out."""
    return random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt))


def http_client() -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(settings.TAOBAO_READ_TIMEOUT, connect=settings.TAOBAO_CONNECT_TIMEOUT),
        follow_redirects=False,
    )


def error_from_response(method: str, error: Any) -> ApiError:
    """Map one ``error_response`` onto the shared taxonomy, keeping the platform's words."""
    if not isinstance(error, dict) or "code" not in error:
        return ApiUnavailable(f"TOP sent a malformed error_response for {method}: {str(error)[:300]}")
    try:
        code = int(error["code"])
    except (TypeError, ValueError):
        return ApiUnavailable(f"TOP sent a malformed error_response for {method}: code {error['code']!r}")
    msg = str(error.get("msg") or "")
    sub_code = str(error.get("sub_code") or "")
    sub_msg = str(error.get("sub_msg") or "")
    sub_detail = ": ".join(part for part in (sub_code, sub_msg) if part)
    detail = f"{msg} ({sub_detail})" if sub_detail else msg
    message = f"TOP refused {method}: code {code} {detail}".strip()
    tag = sub_code or str(code)
    if code == CALL_LIMITED:
        ban = _BAN_SECONDS_RE.search(sub_msg)
        return ApiRateLimited(message, code=tag, retry_after=float(ban.group(1)) if ban else 1.0)
    if sub_code.startswith("isp."):
        return ApiUnavailable(message, code=tag)
    if code in SESSION_CODES:
        return SessionInvalid(message, code=tag)
    if code in CREDENTIAL_CODES:
        return ApiUnauthorized(f"{message}; check TAOBAO_APP_KEY, TAOBAO_APP_SECRET and TAOBAO_SIGN_METHOD",
                               code=tag)
    if code in TIMESTAMP_CODES:
        return ApiBadRequest(f"{message}; check this server's clock (the gateway allows 10 minutes)",
                             code=tag)
    if code in PERMISSION_CODES or "permission" in sub_code:
        return ApiForbidden(message, code=tag)
    if any(marker in sub_code.lower() for marker in _NOT_FOUND_MARKERS):
        return ApiNotFound(message, code=tag)
    if code in PLATFORM_CODES and not sub_code.startswith("isv."):
        return ApiUnavailable(message, code=tag)
    return ApiBadRequest(message, code=tag)


class TopClient:
    """Calls the TOP gateway for one app, and for one seller when ``session`` is given.

    ``session`` is asked for the seller's access token before each request (it may refresh it);
    ``on_invalid_session`` is called once when the gateway says the token is invalid and returns a new one.
    """

    def __init__(
        self,
        *,
        app_key: str | None = None,
        app_secret: str | None = None,
        gateway_url: str | None = None,
        sign_method: str | None = None,
        session: Callable[[], str] | None = None,
        on_invalid_session: Callable[[], str] | None = None,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = timezone.now,
    ) -> None:
        self.app_key = app_key if app_key is not None else settings.TAOBAO_APP_KEY
        self._secret = app_secret if app_secret is not None else settings.TAOBAO_APP_SECRET
        if not self.app_key or not self._secret:
            raise ImproperlyConfigured("TAOBAO_APP_KEY and TAOBAO_APP_SECRET must be set to call Taobao")
        self.sign_method = sign_method or settings.TAOBAO_SIGN_METHOD
        if self.sign_method not in SIGN_METHODS:
            raise ImproperlyConfigured(
                f"TAOBAO_SIGN_METHOD={self.sign_method!r}; use one of {', '.join(SIGN_METHODS)}"
            )
        self.gateway_url = gateway_url or settings.TAOBAO_GATEWAY_URL
        self._session = session
        self._on_invalid_session = on_invalid_session
        self._http = http or http_client()
        self._sleep = sleep
        self._clock = clock
        self.stats = CallStats()

    def close(self) -> None:
        self._http.close()

    def signed_params(self, method: str, params: Mapping[str, object] | None = None, *,
                      with_session: bool = True) -> dict[str, str]:
        """Common and API parameters with ``sign``, as they go on the wire (files excluded)."""
        values: dict[str, str] = {
            "method": method,
            "app_key": self.app_key,
            "timestamp": gateway_timestamp(self._clock()),
            "v": API_VERSION,
            "format": "json",
            "sign_method": self.sign_method,
        }
        if with_session:
            if self._session is None:
                raise ImproperlyConfigured(f"{method} needs a seller session; this client has none")
            values["session"] = self._session()
        for name, value in (params or {}).items():
            if value is None:
                continue
            values[name] = _wire_value(value)
        values["sign"] = sign(values, self._secret, self.sign_method)
        return values

    def call(
        self,
        method: str,
        params: Mapping[str, object] | None = None,
        *,
        files: Mapping[str, UploadFile] | None = None,
        with_session: bool = True,
        write: bool = False,
    ) -> dict[str, Any]:
        """Run one API method and return the object under its ``*_response`` key.

        ``write``: the call changes the store; an answer lost in transit is then not resent (see module doc).
        """
        deadline = time.monotonic() + settings.TAOBAO_CALL_LIMIT_MAX_WAIT
        attempt = 0
        refreshed = False
        while True:
            try:
                return self._send(method, params, files=files, with_session=with_session, write=write)
            except SessionInvalid as exc:
                if refreshed:
                    raise ApiUnauthorized(f"{exc.message}; refused again right after a token refresh: the "
                                          f"seller must authorise the app again", code=exc.code) from exc
                if self._on_invalid_session is None or not with_session:
                    raise
                logger.info("TOP said the session is invalid for %s; refreshing the token once", method)
                self._on_invalid_session()
                refreshed = True
            except ApiRateLimited as exc:
                wait = exc.retry_after or 1.0
                if time.monotonic() + wait > deadline:
                    raise ApiRateLimited(
                        f"{exc.message}; the ban outlasts {settings.TAOBAO_CALL_LIMIT_MAX_WAIT:.0f} s",
                        code=exc.code, retry_after=wait,
                    ) from exc
                self.stats.call_limited += 1
                self.stats.waited_seconds += wait
                self._sleep(wait)
            except ApiError as exc:
                attempt += 1
                # A write is resent only when it provably never reached the gateway.
                resendable = exc.retryable and (not write or isinstance(exc, NotSent))
                if not resendable or attempt >= settings.TAOBAO_MAX_ATTEMPTS:
                    raise
                self.stats.retries += 1
                delay = backoff_delay(attempt)
                logger.info("%s failed (%s); retry %d in %.1f s", method, exc.message, attempt, delay)
                self._sleep(delay)

    def _send(self, method: str, params: Mapping[str, object] | None, *,
              files: Mapping[str, UploadFile] | None, with_session: bool, write: bool) -> dict[str, Any]:
        values = self.signed_params(method, params, with_session=with_session)
        self.stats.requests += 1
        try:
            if files:
                parts = {name: (upload.filename, upload.data, upload.content_type)
                         for name, upload in files.items()}
                upload_timeout = httpx.Timeout(settings.TAOBAO_UPLOAD_TIMEOUT,
                                               connect=settings.TAOBAO_CONNECT_TIMEOUT)
                response = self._http.post(self.gateway_url, data=values, files=parts, timeout=upload_timeout)
            else:
                response = self._http.post(self.gateway_url, data=values)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NotSent(f"cannot reach the TOP gateway for {method}: {exc!r}") from exc
        except httpx.TransportError as exc:
            if write:
                lost = ResponseLost(f"the answer to {method} was lost ({exc!r}); it may have been applied")
                raise lost from exc
            raise ApiUnavailable(f"TOP connection failed during {method}: {exc!r}") from exc
        return self._decode(method, response, write=write)

    def _decode(self, method: str, response: httpx.Response, *, write: bool) -> dict[str, Any]:
        text = response.text[:300]
        if response.status_code >= 500:
            cls = ResponseLost if write and response.status_code not in (502, 503) else ApiUnavailable
            raise cls(f"TOP answered HTTP {response.status_code} for {method}: {text}",
                      status=response.status_code)
        try:
            body = json.loads(response.content)
        except ValueError as exc:
            cls = ResponseLost if write else ApiUnavailable
            raise cls(f"TOP sent a body that is not JSON for {method} (HTTP {response.status_code}): "
                      f"{text!r}", status=response.status_code) from exc
        if not isinstance(body, dict):
            raise ApiUnavailable(f"TOP sent an unexpected JSON body for {method}: {text}")
        if "error_response" in body:
            raise error_from_response(method, body["error_response"])
        key = response_key(method)
        inner = body.get(key)
        if not isinstance(inner, dict):
            cls = ResponseLost if write else ApiUnavailable
            raise cls(f"TOP answered {method} without {key}: {text}", status=response.status_code)
        return inner


def _wire_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return gateway_timestamp(value)
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)
