"""Who may do what in a shop: one table of roles and actions.

The admin, the REST API and the merchant app all ask :func:`user_can` / :func:`shops_where`, so a rule changes in
one place. A role belongs to a :class:`~vitrine.platform.models.ShopMembership`; superusers (operators) may do
everything everywhere. Another shop's objects are not "forbidden" but invisible: callers filter querysets with
:func:`shops_where` and answer 404 for anything outside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

    from vitrine.platform.models import Shop


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


class Action(models.TextChoices):
    """One permission per kind of action (reads are ``VIEW``; every write names its own)."""

    VIEW = "view", "See the shop's catalogue, variants, activity and usage"
    REVIEW = "review", "Claim review items and decide them (approve, reject, regenerate)"
    REQUEST_VARIANTS = "request_variants", "Request, regenerate and retry variants"
    PUBLISH = "publish", "Publish approved variants and revert published ones"
    EDIT_SETTINGS = "edit_settings", "Change markets, template rules, glossary, review policy and cap"
    MANAGE_TEAM = "manage_team", "Invite members, change roles, manage other members' API tokens"
    MANAGE_CONNECTION = "manage_connection", "Reconnect or uninstall the store, set data retention"


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Action.values),
    Role.EDITOR: frozenset(
        {Action.VIEW, Action.REVIEW, Action.REQUEST_VARIANTS, Action.PUBLISH, Action.EDIT_SETTINGS}
    ),
    Role.REVIEWER: frozenset({Action.VIEW, Action.REVIEW}),
    Role.VIEWER: frozenset({Action.VIEW}),
}


def role_allows(role: str | None, action: str) -> bool:
    return role is not None and action in ROLE_ACTIONS.get(role, frozenset())


def roles_allowing(action: str) -> list[str]:
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def role_in(user: AbstractBaseUser | AnonymousUser, shop: Shop | int) -> str | None:
    """The user's role in ``shop`` (``owner`` for superusers), or None when they are not a member."""
    from vitrine.platform.models import ShopMembership

    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.OWNER
    shop_id = shop if isinstance(shop, int) else shop.pk
    return ShopMembership.objects.filter(user=user, shop_id=shop_id).values_list("role", flat=True).first()


def user_can(user: AbstractBaseUser | AnonymousUser, shop: Shop | int, action: str) -> bool:
    return role_allows(role_in(user, shop), action)


def require(user: AbstractBaseUser | AnonymousUser, shop: Shop | int, action: str) -> None:
    """Raise ``PermissionDenied`` unless the user may do ``action`` in ``shop``."""
    if not user_can(user, shop, action):
        raise PermissionDenied(f"Your role in this shop does not allow this ({Action(action).label.lower()}).")


def shops_where(user: AbstractBaseUser | AnonymousUser, action: str = Action.VIEW) -> QuerySet[Shop]:
    """The shops in which the user may do ``action``: the scope of every queryset the user reaches."""
    from vitrine.platform.models import Shop

    if not user.is_authenticated or not user.is_active:
        return Shop.objects.none()
    if user.is_superuser:
        return Shop.objects.all()
    return Shop.objects.filter(
        memberships__user=user, memberships__role__in=roles_allowing(action)
    ).distinct()
