"""Seller authorisation endpoints: start (redirect to Taobao) and the callback."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from vitrine.connectors.errors import ApiError
from vitrine.connectors.taobao import services
from vitrine.platform.auth import SHOP_SESSION_KEY

logger = logging.getLogger(__name__)


@login_required
@require_GET
def authorize(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(services.oauth_start(user=request.user))


@login_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    query = request.GET
    try:
        shop = services.oauth_complete(
            user=request.user, state=query.get("state", ""), code=query.get("code", ""),
            error=query.get("error", ""), error_description=query.get("error_description", ""),
        )
    except services.AuthorisationFailed as exc:
        logger.info("Taobao authorisation refused: %s", exc.message)
        return HttpResponse(f"Taobao authorisation failed: {exc.message}", status=400,
                            content_type="text/plain")
    except ApiError as exc:
        logger.warning("Taobao authorisation could not be completed: %s", exc.message)
        return HttpResponse(f"Taobao authorisation could not be completed: {exc.message}", status=502,
                            content_type="text/plain")
    logger.info("Taobao seller %s connected as shop %s", shop.external_id, shop.pk)
    # On to the merchant app, on this shop, at its first setup step.
    request.session[SHOP_SESSION_KEY] = shop.pk
    return HttpResponseRedirect(reverse("console:onboarding"))
