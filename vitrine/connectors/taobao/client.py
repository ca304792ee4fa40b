"""Our TOP API client: signed requests and the gateway's error codes, on the one HTTP layer.

The retry loop, backoff, deadline, session refresh and the sent-vs-lost rules are :mod:`vitrine.connectors.http`'s;
what is Taobao's own is here:

* signing (:mod:`vitrine.connectors.taobao.signing`) and the ``*_response`` envelope;
* the error codes: call limit (code 7) is a rate limit whose ban length the gateway names, waited for, writes
  included (the call was refused before it ran); ``isp.*`` sub-codes and platform-side codes (1, 2, 10, 15
  without ``isv.``) and malformed answers are transient (reads are sent again; a write goes back to the caller,
  who checks the store through the publish ledger); an invalid or missing session (codes 26, 27) is a refused
  token (refreshed once); ``isv.*`` business errors and argument errors are terminal, the platform's message
  kept.
"""

from __future__ import annotations

import json
import logging
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

from vitrine.connectors import errors
from vitrine.connectors.http import ResponseLost, TokenRefused, Transport, raise_for_status
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


@dataclass(frozen=True)
class UploadFile:
    """File bytes sent as a multipart part; never part of the signature."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


class SessionInvalid(TokenRefused):
    """The seller's session (access token) is missing, expired or revoked: a refresh may cure it."""


def response_key(method: str) -> str:
    """``taobao.items.onsale.get`` answers under ``items_onsale_get_response``."""
    name = method.removeprefix("taobao.")
    return name.replace(".", "_") + "_response"


def http_client() -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(settings.TAOBAO_READ_TIMEOUT, connect=settings.TAOBAO_CONNECT_TIMEOUT),
        follow_redirects=False,
    )


def error_from_response(method: str, error: Any) -> errors.ApiError:
    """Map one ``error_response`` onto the shared taxonomy, keeping the platform's words."""
    if not isinstance(error, dict) or "code" not in error:
        return errors.ApiUnavailable(f"TOP sent a malformed error_response for {method}: {str(error)[:300]}")
    try:
        code = int(error["code"])
    except (TypeError, ValueError):
        return errors.ApiUnavailable(f"TOP sent a malformed error_response for {method}: code {error['code']!r}")
    msg = str(error.get("msg") or "")
    sub_code = str(error.get("sub_code") or "")
    sub_msg = str(error.get("sub_msg") or "")
    sub_detail = ": ".join(part for part in (sub_code, sub_msg) if part)
    detail = f"{msg} ({sub_detail})" if sub_detail else msg
    message = f"TOP refused {method}: code {code} {detail}".strip()
    tag = sub_code or str(code)
    if code == CALL_LIMITED:
        ban = _BAN_SECONDS_RE.search(sub_msg)
        return errors.ApiRateLimited(message, code=tag, retry_after=float(ban.group(1)) if ban else 1.0)
    if sub_code.startswith("isp."):
        return errors.ApiUnavailable(message, code=tag)
    if code in SESSION_CODES:
        return SessionInvalid(message, code=tag)
    if code in CREDENTIAL_CODES:
        return errors.ApiUnauthorized(f"{message}; check TAOBAO_APP_KEY, TAOBAO_APP_SECRET and TAOBAO_SIGN_METHOD",
                               code=tag)
    if code in TIMESTAMP_CODES:
        return errors.ApiBadRequest(f"{message}; check this server's clock (the gateway allows 10 minutes)",
                             code=tag)
    if code in PERMISSION_CODES or "permission" in sub_code:
        return errors.ApiForbidden(message, code=tag)
    if any(marker in sub_code.lower() for marker in _NOT_FOUND_MARKERS):
        return errors.ApiNotFound(message, code=tag)
    if code in PLATFORM_CODES and not sub_code.startswith("isv."):
        return errors.ApiUnavailable(message, code=tag)
    return errors.ApiBadRequest(message, code=tag)


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
        self._clock = clock
        self._transport = Transport(http=http or http_client(), sleep=sleep,
                                    outlasted="the ban outlasts {seconds:.0f} s")
        self.stats = self._transport.stats

    def close(self) -> None:
        self._transport.http.close()

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
        refresh = self._on_invalid_session if with_session else None
        return self._transport.call(
            lambda: self._send(method, params, files=files, with_session=with_session, write=write),
            write=write, attempts=settings.TAOBAO_MAX_ATTEMPTS, max_wait=settings.TAOBAO_CALL_LIMIT_MAX_WAIT,
            refresh=refresh, what=f"TOP {method}",
        )

    def _send(self, method: str, params: Mapping[str, object] | None, *,
              files: Mapping[str, UploadFile] | None, with_session: bool, write: bool) -> dict[str, Any]:
        values = self.signed_params(method, params, with_session=with_session)
        kwargs: dict[str, Any] = {"data": values}
        if files:
            kwargs["files"] = {name: (upload.filename, upload.data, upload.content_type)
                               for name, upload in files.items()}
            kwargs["timeout"] = httpx.Timeout(settings.TAOBAO_UPLOAD_TIMEOUT, connect=settings.TAOBAO_CONNECT_TIMEOUT)
        what = f"TOP {method}"
        response = self._transport.send("POST", self.gateway_url, write=write, what=what, **kwargs)
        raise_for_status(response, write=write, what=what)
        return self._decode(method, response, write=write)

    def _decode(self, method: str, response: httpx.Response, *, write: bool) -> dict[str, Any]:
        text = response.text[:300]
        try:
            body = json.loads(response.content)
        except ValueError as exc:
            cls = ResponseLost if write else errors.ApiUnavailable
            raise cls(f"TOP sent a body that is not JSON for {method} (HTTP {response.status_code}): "
                      f"{text!r}", status=response.status_code) from exc
        if not isinstance(body, dict):
            raise errors.ApiUnavailable(f"TOP sent an unexpected JSON body for {method}: {text}")
        if "error_response" in body:
            raise error_from_response(method, body["error_response"])
        key = response_key(method)
        inner = body.get(key)
        if not isinstance(inner, dict):
            cls = ResponseLost if write else errors.ApiUnavailable
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
