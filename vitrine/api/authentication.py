"""Who is calling: a personal API token, a Shopify session token (embedded app), or the console's session.

Both tokens arrive as ``Authorization: Bearer``; personal tokens start with ``vit_``, anything else is
verified as an App Bridge session token. ``request.auth`` is a :class:`Caller`: the shop the credentials
are bound to (None for a session) and the role a token caps the user to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from vitrine.api import selectors
from vitrine.api.services import TOKEN_PREFIX, api_token_touch
from vitrine.platform.models import Provider, Shop


@dataclass(frozen=True)
class Caller:
    kind: str  # "token", "shopify" or "session"
    shop: Shop | None  # the shop the credentials are bound to (a session may act in several)
    role_cap: str | None = None  # a personal token's role: the most it may do, whatever the user's role
    token_id: int | None = None

    def key(self, user: AbstractBaseUser) -> str:
        """Whose idempotency keys and throttle budget a request uses."""
        return f"token:{self.token_id}" if self.token_id is not None else f"user:{user.pk}"


def _bearer(request: Request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    credentials = credentials.strip()
    if not credentials or " " in credentials:
        raise exceptions.AuthenticationFailed("the Authorization header must be 'Bearer <token>'")
    return credentials


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer vit_…``: a personal API token (compared by its sha256)."""

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, Caller] | None:
        raw = _bearer(request)
        if raw is None or not raw.startswith(TOKEN_PREFIX):
            return None
        token = selectors.api_token_for(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("the API token is unknown or was revoked")
        api_token_touch(token=token)
        return token.user, Caller(kind="token", shop=token.shop, role_cap=token.role, token_id=token.pk)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ShopifySessionTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <JWT>`` from App Bridge: verified with the app's secret by ``shopify_app``."""

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, Caller] | None:
        raw = _bearer(request)
        if raw is None or raw.startswith(TOKEN_PREFIX):
            return None
        from django.conf import settings

        from vitrine.connectors.shopify import auth as shopify_auth
        from vitrine.console.services import embedded_user_ensure

        if not (settings.SHOPIFY_API_KEY and settings.SHOPIFY_API_SECRET):
            raise exceptions.AuthenticationFailed("the token is neither a personal API token (vit_…) nor, on this "
                                                  "server, a Shopify session token (no Shopify app is configured)")

        try:
            session = shopify_auth.session_token_verify(shopify_auth.shopify_app_request(request))  # type: ignore[arg-type]
        except shopify_auth.SessionTokenInvalid as exc:
            raise exceptions.AuthenticationFailed(f"the Shopify session token was refused ({exc.code})") from None
        shop = Shop.objects.filter(provider=Provider.SHOPIFY, external_id=session.shop_domain).first()
        if shop is None or not shop.is_installed:
            raise exceptions.AuthenticationFailed(f"{session.shop_domain} has not installed the app; open it from "
                                                  "the Shopify admin first")
        user = embedded_user_ensure(shop=shop, shopify_user_id=session.user_id)
        return user, Caller(kind="shopify", shop=shop)


class ConsoleSessionAuthentication(authentication.SessionAuthentication):
    """The console's Django session (with CSRF checks on writes)."""

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, Caller] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        return result[0], Caller(kind="session", shop=None)
