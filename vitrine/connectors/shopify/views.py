"""Shopify endpoints: webhooks, the embedded app's session-token install, and the OAuth install."""

from __future__ import annotations

import logging

import shopify_app
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from vitrine.connectors.errors import ApiError
from vitrine.connectors.shopify import auth, config, services
from vitrine.connectors.shopify.webhooks import WebhookRejected, delivery_verify, webhook_body

logger = logging.getLogger(__name__)

_OAUTH_STATE_SESSION_KEY = "shopify_oauth_state"


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Every Shopify webhook: verified on the raw body, stored once per delivery id, answered at once."""
    try:
        body = webhook_body(request)
        delivery = delivery_verify(headers=request.headers, body=body, url=request.build_absolute_uri())
    except WebhookRejected as exc:
        logger.info("webhook refused (%s): %s", exc.status, exc.reason)
        return HttpResponse(exc.reason, status=exc.status, content_type="text/plain")
    services.webhook_accept(delivery=delivery)
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def session(request: HttpRequest) -> JsonResponse | HttpResponse:
    """The embedded app's first call (``Authorization: Bearer <session token>``): installs the shop with an
    expiring offline token unless it holds a usable one already."""
    try:
        token = auth.session_token_verify(auth.shopify_app_request(request))
        shop = services.install_by_session_token(session=token)
    except auth.SessionTokenInvalid as exc:
        logger.info("session token refused: %s", exc.message)
        return auth.shopify_app_response(exc.response)
    except ApiError as exc:
        logger.warning("install by session token failed: %s", exc.message)
        return JsonResponse({"error": exc.message}, status=401 if exc.status == 401 else 502)
    return JsonResponse({"shop": shop.external_id, "name": shop.name, "installed": shop.is_installed})


@require_GET
def app_home(request: HttpRequest) -> HttpResponse:
    """The page the Shopify admin loads in its iframe (with ``id_token`` in the query): installs the shop if
    needed, then opens the merchant app with the same query (shop, host, locale and the token)."""
    try:
        token = auth.session_token_verify(auth.shopify_app_request(request))
        services.install_by_session_token(session=token)
    except auth.SessionTokenInvalid as exc:
        return auth.shopify_app_response(exc.response)  # to the page that fetches a fresh token, or 401
    except ApiError as exc:
        logger.warning("install from the app home failed: %s", exc.message)
        return HttpResponse("Vitrine could not connect to your shop; reload to try again.", status=502,
                            content_type="text/plain")
    response = HttpResponseRedirect(reverse("console:overview") + "?" + request.META.get("QUERY_STRING", ""))
    for name, value in token.response_headers.items():
        response[name] = value
    return response


@require_GET
def patch_id_token(request: HttpRequest) -> HttpResponse:
    """The App Bridge page that obtains a fresh session token and reloads the app home."""
    result = shopify_app.app_home_patch_id_token(auth.shopify_app_request(request),
                                                 config.app_credentials().as_library_config())
    return auth.shopify_app_response(result.response)


@require_GET
def oauth_install(request: HttpRequest) -> HttpResponse:
    """Start a non-embedded install: send the merchant to Shopify to approve the app."""
    try:
        shop_domain = config.shop_domain_clean(request.GET.get("shop", ""))
    except config.InvalidShopDomain as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    state = services.oauth_state_create(shop_domain=shop_domain)
    request.session[_OAUTH_STATE_SESSION_KEY] = state
    redirect_uri = request.build_absolute_uri(reverse("connectors:shopify-oauth-callback"))
    return HttpResponseRedirect(auth.oauth_authorize_url(shop_domain=shop_domain, state=state,
                                                         redirect_uri=redirect_uri))


@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Shopify's redirect back: verified, the code traded for tokens, the shop installed."""
    try:
        shop = services.install_by_oauth_callback(query=request.GET.dict(),
                                                  session_state=request.session.pop(_OAUTH_STATE_SESSION_KEY, None))
    except auth.OAuthCallbackInvalid as exc:
        logger.info("OAuth callback refused: %s", exc.message)
        return HttpResponse(f"Install refused: {exc.message}", status=403, content_type="text/plain")
    except ApiError as exc:
        logger.warning("OAuth install failed: %s", exc.message)
        return HttpResponse(f"Install failed: {exc.message}", status=502, content_type="text/plain")
    return HttpResponseRedirect(f"https://{shop.external_id}/admin/apps/{config.app_credentials().client_id}")
