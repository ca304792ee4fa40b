"""One permission class for the whole API: the caller's role in the current shop allows the view's action.

The current shop is the one a token is bound to, or for a console session the ``X-Shop`` header (a shop id
or domain) or the user's only shop. A shop the caller is no member of is answered 404, like any object of
another shop: querysets are always filtered to ``request.shop``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from vitrine.api.authentication import Caller
from vitrine.platform.models import Shop
from vitrine.platform.roles import Action, role_allows, role_in, shops_where

SHOP_HEADER = "X-Shop"


class ShopRequired(exceptions.APIException):
    status_code = 400
    default_code = "shop_required"
    default_detail = "You belong to several shops: name one with the X-Shop header (its id or domain)."


def current_shop(request: Request) -> Shop:
    caller: Caller | None = request.auth if isinstance(request.auth, Caller) else None
    if caller is not None and caller.shop is not None:
        return caller.shop
    visible = shops_where(request.user, Action.VIEW)
    wanted = request.headers.get(SHOP_HEADER, "").strip()
    if wanted:
        lookup = Q(external_id=wanted) | (Q(pk=int(wanted)) if wanted.isdigit() else Q(pk__in=[]))
        shop = visible.filter(lookup).first()
        if shop is None:
            raise Http404(f"there is no shop {wanted!r} you are a member of")
        return shop
    shops = list(visible.order_by("pk")[:2])
    if len(shops) == 1:
        return shops[0]
    if not shops:
        raise Http404("you are not a member of any shop")
    raise ShopRequired()


def caller_can(request: Request, shop: Shop, action: str) -> bool:
    """The user's role allows ``action``, and so does the token's role when a token is used."""
    caller: Caller | None = request.auth if isinstance(request.auth, Caller) else None
    if not role_allows(role_in(request.user, shop), action):
        return False
    return caller is None or caller.role_cap is None or role_allows(caller.role_cap, action)


class ShopRolePermission(permissions.BasePermission):
    """Authenticated, in a shop the user belongs to, with a role that allows the view's ``action_for``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        shop = current_shop(request)
        request.shop = shop  # type: ignore[attr-defined]
        action = view.required_action(request)
        if not caller_can(request, shop, action):
            self.message = (f"Your role in this shop does not allow this ({Action(action).label.lower()}).")
            return False
        return True
