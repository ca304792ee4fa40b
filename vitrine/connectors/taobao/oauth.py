"""Seller authorisation through oauth.taobao.com: the authorize address and the token endpoint.

The access token is the ``session`` of every seller call; it lasts ``expires_in`` seconds. The refresh token
lasts ``re_expires_in`` seconds (0: it cannot be used); after that only a new authorisation by the seller
gives the app access again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from vitrine.connectors.errors import ApiBadRequest, ApiUnauthorized, ApiUnavailable
from vitrine.connectors.taobao.client import http_client


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user_id: str
    user_nick: str


def _app_credentials() -> tuple[str, str]:
    if not settings.TAOBAO_APP_KEY or not settings.TAOBAO_APP_SECRET:
        raise ImproperlyConfigured("TAOBAO_APP_KEY and TAOBAO_APP_SECRET must be set to authorise sellers")
    return settings.TAOBAO_APP_KEY, settings.TAOBAO_APP_SECRET


def authorize_url(*, state: str, redirect_uri: str) -> str:
    """Where to send the seller to grant the app access (web view)."""
    app_key, _ = _app_credentials()
    query = urlencode({"response_type": "code", "client_id": app_key, "redirect_uri": redirect_uri,
                       "state": state, "view": "web"})
    return f"{settings.TAOBAO_OAUTH_URL.rstrip('/')}/authorize?{query}"


def token_for_code(*, code: str, redirect_uri: str, http: httpx.Client | None = None) -> TokenSet:
    app_key, secret = _app_credentials()
    return _token_request({"grant_type": "authorization_code", "code": code, "client_id": app_key,
                           "client_secret": secret, "redirect_uri": redirect_uri, "view": "web"},
                          action="authorisation", http=http)


def token_refresh(*, refresh_token: str, http: httpx.Client | None = None) -> TokenSet:
    app_key, secret = _app_credentials()
    return _token_request({"grant_type": "refresh_token", "refresh_token": refresh_token,
                           "client_id": app_key, "client_secret": secret, "view": "web"},
                          action="token refresh", http=http)


def _token_request(form: dict[str, str], *, action: str, http: httpx.Client | None) -> TokenSet:
    url = f"{settings.TAOBAO_OAUTH_URL.rstrip('/')}/token"
    client = http or http_client()
    try:
        response = client.post(url, data=form)
    except httpx.TransportError as exc:
        raise ApiUnavailable(f"Taobao {action}: cannot reach {url}: {exc!r}") from exc
    finally:
        if http is None:
            client.close()
    text = response.text[:300]
    if response.status_code >= 500:
        raise ApiUnavailable(f"Taobao {action}: the token endpoint answered {response.status_code}: {text}",
                             status=response.status_code)
    try:
        body = json.loads(response.content)
    except ValueError:
        raise ApiUnavailable(f"Taobao {action}: the token endpoint sent a body that is not JSON: {text!r}",
                             status=response.status_code) from None
    if not isinstance(body, dict):
        raise ApiUnavailable(f"Taobao {action}: unexpected answer from the token endpoint: {text}")
    if response.status_code >= 400 or "error" in body:
        error = str(body.get("error") or response.status_code)
        description = str(body.get("error_description") or "")
        cls = ApiUnauthorized if error in ("invalid_grant", "invalid_client", "unauthorized_client") \
            else ApiBadRequest
        raise cls(f"Taobao {action} refused: {error} {description}".strip(), status=response.status_code,
                  code=error)
    return _token_set(body, action=action)


def _token_set(body: dict[str, Any], *, action: str) -> TokenSet:
    missing = [name for name in ("access_token", "expires_in", "taobao_user_id") if not body.get(name)]
    if missing:
        raise ApiUnavailable(f"Taobao {action}: the token answer lacks {', '.join(missing)}")
    now = timezone.now()
    try:
        expires_in = int(body["expires_in"])
        re_expires_in = int(body.get("re_expires_in") or 0)
    except (TypeError, ValueError):
        raise ApiUnavailable(f"Taobao {action}: the token answer has non-numeric lifetimes") from None
    return TokenSet(
        access_token=str(body["access_token"]),
        access_expires_at=now + timedelta(seconds=expires_in),
        refresh_token=str(body.get("refresh_token") or ""),
        refresh_expires_at=now + timedelta(seconds=max(re_expires_in, 0)),
        user_id=str(body["taobao_user_id"]),
        user_nick=unquote(str(body.get("taobao_user_nick") or "")),
    )
