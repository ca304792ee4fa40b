"""Which shop a console request works on, and the decorator every console page goes through."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from vitrine.console import selectors
from vitrine.platform.auth import SHOP_SESSION_KEY
from vitrine.platform.models import Shop
from vitrine.platform.roles import Action, role_allows, role_in

View = Callable[..., HttpResponse]


def current_shop(request: HttpRequest) -> Shop | None:
    """The embedded app's shop (from the session token), else the console's chosen shop, else the first one."""
    shops = selectors.console_shops(request.user)
    if getattr(request, "embedded", False):
        return shops.filter(pk=request.console_shop_id).first()  # type: ignore[attr-defined]
    chosen = request.session.get(SHOP_SESSION_KEY)
    shop = shops.filter(pk=chosen).first() if chosen else None
    # An operator sees every shop; their own memberships come first.
    return shop or shops.filter(memberships__user=request.user).first() or shops.first()


def actor_of(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


def console_page(action: str = Action.VIEW) -> Callable[[View], View]:
    """Log in (or a Shopify session token), pick the shop, and require ``action`` there (403 otherwise)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                if getattr(request, "embedded", False):
                    return HttpResponse(status=401)
                return redirect_to_login(request.get_full_path(), reverse("console:login"))
            shop = current_shop(request)
            if shop is None:
                return render(request, "console/no_shop.html", {"page": "none"}, status=200)
            role = role_in(request.user, shop)  # looked up once per request; ``can`` reads it from here
            if not role_allows(role, action):
                raise PermissionDenied
            request.shop = shop  # type: ignore[attr-defined]
            request.shop_role = role  # type: ignore[attr-defined]
            return view(request, shop, *args, **kwargs)

        return wrapper

    return decorate


def can(request: HttpRequest, action: str) -> bool:
    """Whether the user may do ``action`` in the request's shop, from the role ``console_page`` looked up."""
    return role_allows(getattr(request, "shop_role", None), action)
