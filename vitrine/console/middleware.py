"""The merchant app's request plumbing: Shopify session tokens for the embedded app, and the language.

Inside the Shopify admin the app lives in a third-party iframe, where cookies cannot be relied on: every request
proves who sends it with an App Bridge session token instead, the first document load as the ``id_token`` query
parameter, every later (htmx) request as ``Authorization: Bearer``. The token names the shop and the staff
member; the request then runs as that member's user, with the role their membership gives them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from vitrine.connectors.errors import ApiError
from vitrine.connectors.shopify import auth as shopify_auth
from vitrine.connectors.shopify import services as shopify_services
from vitrine.console import services
from vitrine.platform.models import Provider, Shop

logger = logging.getLogger(__name__)

CONSOLE_PREFIX = "/app/"
# htmx sends the page's language with every request (the embedded app has no language cookie).
LOCALE_HEADER = "X-Vitrine-Locale"


def embedded_policy(shop_domain: str) -> dict[str, list[str]]:
    """What an embedded page adds to the Content-Security-Policy: who may frame it, and App Bridge."""
    app_bridge = urlsplit(settings.SHOPIFY_APP_BRIDGE_URL)
    return {
        "frame-ancestors": [f"https://{shop_domain}", "https://admin.shopify.com"],
        "script-src": [f"{app_bridge.scheme}://{app_bridge.netloc}"],
        "connect-src": [f"{app_bridge.scheme}://{app_bridge.netloc}"],
    }


def is_embedded_request(request: HttpRequest) -> bool:
    """A request from the Shopify admin: it carries a session token, or App Bridge's ``embedded``/``host``."""
    return bool(
        request.headers.get("Authorization", "").startswith("Bearer ")
        or request.GET.get("id_token")
        or request.GET.get("embedded") == "1"
        or (request.GET.get("host") and request.GET.get("shop"))
    )


class EmbeddedSessionMiddleware:
    """Authenticate console requests from the Shopify admin by their session token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.embedded = False  # type: ignore[attr-defined]
        if not request.path.startswith(CONSOLE_PREFIX) or not is_embedded_request(request):
            return self.get_response(request)
        document_load = not request.headers.get("Authorization")
        try:
            token = shopify_auth.session_token_verify(shopify_auth.shopify_app_request(request))
        except shopify_auth.SessionTokenInvalid as exc:
            logger.info("console: session token refused: %s", exc.message)
            return shopify_auth.shopify_app_response(exc.response)  # to the page that fetches a fresh token, or 401
        shop = Shop.objects.filter(provider=Provider.SHOPIFY, external_id=token.shop_domain).first()
        if document_load or shop is None or not shop.is_installed:
            try:
                shop = shopify_services.install_by_session_token(session=token)
            except ApiError as exc:
                logger.warning("console: install by session token failed: %s", exc.message)
                return JsonResponse({"error": exc.message}, status=401 if exc.status == 401 else 502)
        request.user = services.embedded_user_ensure(shop=shop, shopify_user_id=token.user_id)
        request.embedded = True  # type: ignore[attr-defined]
        request.console_shop_id = shop.pk  # type: ignore[attr-defined]
        request.shopify_host = request.GET.get("host", "")  # type: ignore[attr-defined]
        # The token came in a header (or a one-minute query token): nothing a forged cross-site form can send.
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        response = self.get_response(request)
        # django-csp (outside this middleware) merges these into the site's policy.
        response._csp_update = embedded_policy(shop.external_id)  # type: ignore[attr-defined]
        # The admin frames the app: the framing policy above replaces X-Frame-Options (set further in).
        if response.has_header("X-Frame-Options"):
            del response["X-Frame-Options"]
        return response


def shopify_language(locale: str) -> str | None:
    """Django's language for a Shopify ``locale`` (``zh-CN``, ``en``, ``de``), or None when unsupported."""
    try:
        return translation.get_supported_language_variant(locale.strip().lower())
    except LookupError:
        return None


class ConsoleLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the user's choice in a cookie, then Accept-Language), with Shopify's
    ``locale`` parameter, and the language htmx sends along, taking precedence."""

    def process_request(self, request: HttpRequest) -> None:
        wanted = request.GET.get("locale") or request.headers.get(LOCALE_HEADER) or ""
        language = shopify_language(wanted) if wanted else None
        if language is None:
            super().process_request(request)
            return
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
