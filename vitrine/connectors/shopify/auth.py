"""Shopify authentication: session tokens, token exchange and refresh (through ``shopify_app``), and the
OAuth authorization-code grant for installs outside the Shopify admin.

The ``shopify_app`` library builds its token endpoint addresses itself (``https://<shop>/admin/oauth/
access_token``); we hand it our pooled httpx client, whose transport routes shop hosts to
``SHOPIFY_SHOP_URL`` (see :class:`~vitrine.connectors.shopify.config.ShopRoutingTransport`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import shopify_app
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from vitrine.connectors.errors import (
    ApiBadRequest,
    ApiError,
    ApiRateLimited,
    ApiUnauthorized,
    ApiUnavailable,
)
from vitrine.connectors.shopify import config

# The page that fetches a fresh session token for a document request that came without one.
PATCH_ID_TOKEN_PATH = "/connectors/shopify/patch-id-token"
# Claims every App Bridge session token carries; a token without one of them is refused.
SESSION_TOKEN_CLAIMS = ("iss", "dest", "aud", "sub", "exp", "nbf", "iat", "jti", "sid")


class SessionTokenInvalid(ApiUnauthorized):
    """The session token is missing, forged, expired, for another app, or malformed. ``response`` is the
    answer Shopify's embedded-app contract expects (401 with a retry header, or a redirect to the page
    that fetches a fresh token)."""

    def __init__(self, message: str, *, code: str, response: shopify_app.Res | None = None) -> None:
        super().__init__(message, status=401, code=code)
        self.response = response or shopify_app.Res(status=401, body="Unauthorized", headers={})


class OAuthCallbackInvalid(ApiUnauthorized):
    """An OAuth callback failed verification (HMAC, shop domain, state nonce)."""


@dataclass(frozen=True)
class SessionToken:
    shop_domain: str
    user_id: str
    token: str
    claims: dict[str, Any]
    response_headers: dict[str, str]  # what an embedded page must send back (frame-ancestors policy)


@dataclass(frozen=True)
class TokenSet:
    """An offline access token and, for expiring tokens, its refresh token."""

    access_token: str
    scope: str
    access_expires_at: datetime | None
    refresh_token: str
    refresh_expires_at: datetime | None


def shopify_app_request(request: HttpRequest) -> shopify_app.RequestInput:
    """A Django (or DRF) request as ``shopify_app`` reads it. Session tokens travel in a header or the query,
    never in the body, which is left out (DRF may have read its stream already)."""
    return {"method": request.method or "GET", "headers": dict(request.headers),
            "url": request.build_absolute_uri(), "body": ""}


def shopify_app_response(res: shopify_app.Res) -> HttpResponse:
    """``shopify_app``'s answer (a redirect to the token page, a 401 with a retry header) as a Django response."""
    response = HttpResponse(res.body, status=res.status)
    for name, value in res.headers.items():
        response[name] = value
    return response


def session_token_verify(request: shopify_app.RequestInput) -> SessionToken:
    """Check the App Bridge session token of an embedded-app request (``Authorization: Bearer`` on fetch
    requests, ``id_token`` in the query of document requests): HS256 with the client secret, audience =
    client id, ~10 s clock skew.

    ``shopify_app.verify_app_home_req`` checks signature, time claims and audience (trying the previous
    secret during a rotation); we add what it leaves out: every claim present and ``iss``/``dest`` naming the
    same ``*.myshopify.com`` shop.
    """
    result = shopify_app.verify_app_home_req(request, config.app_credentials().as_library_config(),
                                             PATCH_ID_TOKEN_PATH)
    if not result.ok or result.id_token is None:
        raise SessionTokenInvalid(f"session token refused: {result.log.detail}", code=result.log.code,
                                  response=result.response)
    claims = dict(result.id_token.claims)
    missing = [claim for claim in SESSION_TOKEN_CLAIMS if claim not in claims]
    if missing:
        raise SessionTokenInvalid(f"session token lacks the claims {', '.join(missing)}",
                                  code="missing_claims", response=result.invalid_token_response)
    dest = str(claims["dest"]).removeprefix("https://")
    try:
        shop_domain = config.shop_domain_clean(dest)
    except config.InvalidShopDomain as exc:
        raise SessionTokenInvalid(f"session token names no shop: {exc}", code="invalid_dest",
                                  response=result.invalid_token_response) from exc
    if str(claims["iss"]).rstrip("/") != f"https://{dest}/admin":
        raise SessionTokenInvalid("session token issuer and destination name different shops",
                                  code="invalid_iss", response=result.invalid_token_response)
    return SessionToken(shop_domain=shop_domain, user_id=str(claims["sub"]), token=result.id_token.token,
                        claims=claims, response_headers=dict(result.response.headers))


def _parse_expiry(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _raise_for_exchange(result: shopify_app.TokenExchangeResult, *, action: str) -> None:
    code, detail = result.log.code, result.log.detail
    if code in ("invalid_subject_token",):
        raise SessionTokenInvalid(f"{action} refused the session token: {detail}", code=code)
    if code in ("invalid_grant", "refresh_token_expired", "invalid_client"):
        raise ApiUnauthorized(f"{action} refused: {detail}", code=code)
    if code == "network_error" or code.startswith("server_error"):
        raise ApiUnavailable(f"{action} could not reach Shopify: {detail}", code=code)
    if code == "rate_limit_exceeded":
        raise ApiRateLimited(f"{action} was rate limited: {detail}", code=code, retry_after=5.0)
    raise ApiBadRequest(f"{action} failed: {detail}", code=code)


def _token_set(token: shopify_app.TokenExchangeAccessToken) -> TokenSet:
    return TokenSet(
        access_token=token.token,
        scope=token.scope or "",
        access_expires_at=_parse_expiry(token.expires),
        refresh_token=token.refresh_token or "",
        refresh_expires_at=_parse_expiry(token.refresh_token_expires),
    )


def token_exchange(session: SessionToken) -> TokenSet:
    """Trade a verified session token for an expiring offline token (1 h access, 90 day refresh)."""
    result = shopify_app.token_exchange(
        "offline",
        config.app_credentials().as_library_config(),
        id_token={"exchangeable": True, "token": session.token, "claims": session.claims},
        expiring=True,
        http_client=config.http_client(),
    )
    if not result.ok or result.access_token is None:
        _raise_for_exchange(result, action=f"token exchange for {session.shop_domain}")
    assert result.access_token is not None
    return _token_set(result.access_token)


def token_refresh(*, shop_domain: str, refresh_token: str) -> TokenSet:
    """Refresh an expiring offline token. Shopify rotates the refresh token: store the new one at once."""
    result = shopify_app.refresh_access_token(
        # No "expires": we decided to refresh; the library would otherwise skip a token it thinks is fresh.
        {"shop": shop_domain.removesuffix(".myshopify.com"), "refresh_token": refresh_token, "expires": None,
         "refresh_token_expires": None, "access_mode": "offline"},
        config.app_credentials().as_library_config(),
        config.http_client(),
    )
    if not result.ok or result.access_token is None:
        _raise_for_exchange(result, action=f"token refresh for {shop_domain}")
    assert result.access_token is not None
    return _token_set(result.access_token)


# --- OAuth authorization-code grant ---------------------------------------------------------------
def oauth_query_hmac_valid(query: Mapping[str, str]) -> bool:
    """Shopify's query signature: drop ``hmac`` (and the legacy ``signature``), sort, join ``k=v`` with
    ``&``, hex HMAC-SHA256 with the client secret; compared in constant time, old secret too in rotation."""
    received = query.get("hmac", "")
    if not received:
        return False
    signed = sorted((key, value) for key, value in query.items() if key not in ("hmac", "signature"))
    message = "&".join(f"{key}={value}" for key, value in signed)
    return any(
        hmac.compare_digest(hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest(), received)
        for secret in config.app_credentials().secrets
    )


def oauth_callback_fresh(query: Mapping[str, str], *, now: datetime | None = None) -> bool:
    """The callback's signed ``timestamp`` is recent (a replayed old callback is refused)."""
    try:
        issued = datetime.fromtimestamp(int(query.get("timestamp", "")), tz=timezone.get_current_timezone())
    except ValueError:
        return False
    return abs((now or timezone.now()) - issued) <= timedelta(seconds=settings.SHOPIFY_OAUTH_CALLBACK_MAX_AGE)


def oauth_authorize_url(*, shop_domain: str, state: str, redirect_uri: str) -> str:
    """Where to send the merchant to approve the install (offline access: no per-user grant options)."""
    query = urlencode({
        "client_id": config.app_credentials().client_id, "scope": ",".join(settings.SHOPIFY_SCOPES),
        "redirect_uri": redirect_uri, "state": state,
    })
    return f"https://{shop_domain}/admin/oauth/authorize?{query}"


def authorization_code_exchange(*, shop_domain: str, code: str) -> TokenSet:
    """Trade the callback's one-time ``code`` for an expiring offline token (``shopify_app`` has no call
    for this grant)."""
    credentials = config.app_credentials()
    try:
        response = config.http_client().post(config.token_url(shop_domain), json={
            "client_id": credentials.client_id, "client_secret": credentials.secret, "code": code,
            "expiring": 1,
        })
    except httpx.TransportError as exc:
        raise ApiUnavailable(f"authorization code exchange for {shop_domain} failed: {exc!r}") from exc
    if response.status_code >= 500:
        raise ApiUnavailable(f"authorization code exchange for {shop_domain}: Shopify answered "
                             f"{response.status_code}", status=response.status_code)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or "access_token" not in body:
        error = body.get("error_description") or body.get("error") or response.text[:200]
        cls: type[ApiError] = ApiUnauthorized if response.status_code in (400, 401) else ApiBadRequest
        raise cls(f"authorization code exchange for {shop_domain} refused: {error}",
                  status=response.status_code)
    now = timezone.now()
    expires_in, refresh_expires_in = body.get("expires_in"), body.get("refresh_token_expires_in")
    return TokenSet(
        access_token=body["access_token"], scope=body.get("scope", ""),
        access_expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
        refresh_token=body.get("refresh_token", ""),
        refresh_expires_at=now + timedelta(seconds=refresh_expires_in) if refresh_expires_in else None,
    )
