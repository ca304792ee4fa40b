"""Writes of the merchant app itself: the users behind Shopify staff members, the console's chosen shop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from vitrine.platform.models import Provider, Shop, ShopMembership
from vitrine.platform.roles import ROLE_ACTIONS, Action, Role


def embedded_username(*, shop: Shop, shopify_user_id: str) -> str:
    return f"shopify:{shop.external_id}:{shopify_user_id}"[:150]


def embedded_user_ensure(*, shop: Shop, shopify_user_id: str) -> AbstractBaseUser:
    """The user that stands for a Shopify staff member of ``shop`` (made on their first visit).

    Shopify decides which staff may open the app; the shop's first member becomes its owner, later ones
    editors, and an owner changes their roles on the Team page. A staff member never logs in with a password.
    """
    user_model = get_user_model()
    username = embedded_username(shop=shop, shopify_user_id=shopify_user_id)
    user = user_model.objects.filter(username=username).first()
    if user is None:
        try:
            with transaction.atomic():
                user = user_model(username=username)
                user.set_unusable_password()
                user.save()
        except IntegrityError:  # the same member's second tab got there first
            user = user_model.objects.get(username=username)
    if not ShopMembership.objects.filter(user=user, shop=shop).exists():
        role = Role.EDITOR if ShopMembership.objects.filter(shop=shop, role=Role.OWNER).exists() else Role.OWNER
        ShopMembership.objects.get_or_create(user=user, shop=shop, defaults={"role": role})
    return user


# --- onboarding -----------------------------------------------------------------------------------
ONBOARDED_KEY = "onboarded_at"


def is_onboarded(shop: Shop) -> bool:
    return bool(shop.settings.get(ONBOARDED_KEY))


def onboarding_complete(*, shop: Shop, actor: str) -> Shop:
    """Record that the merchant went through markets, templates and policy once (the overview stops asking)."""
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        locked.settings = {**locked.settings, ONBOARDED_KEY: timezone.now().isoformat(),
                           "onboarded_by": actor}
        locked.save(update_fields=["settings"])
    shop.settings = locked.settings
    return locked


# --- store connection -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Connection:
    provider: str
    provider_label: str
    external_id: str
    installed: bool
    installed_at: datetime | None
    uninstalled_at: datetime | None
    token_usable: bool | None  # None: the store needs no token (CSV / folder)
    token_expires_at: datetime | None
    reconnect_url: str
    details: dict[str, str]


def connection_of(shop: Shop) -> Connection:
    """How the shop is connected, and where the merchant goes to connect it again."""
    from urllib.parse import urlencode

    from vitrine.connectors.models import Credential

    credential = Credential.objects.filter(shop=shop).first()
    usable: bool | None = None if shop.provider == Provider.CSVFILE else bool(credential and credential.is_usable)
    if shop.provider == Provider.SHOPIFY:
        reconnect = reverse("connectors:shopify-oauth-install") + "?" + urlencode({"shop": shop.external_id})
    elif shop.provider == Provider.TAOBAO:
        reconnect = reverse("connectors:taobao-authorize")
    else:
        reconnect = ""
    details = {key: str(shop.settings[key]) for key in ("csv_path", "images_dir", "export_dir")
               if shop.settings.get(key)}
    return Connection(
        provider=shop.provider, provider_label=Provider(shop.provider).label, external_id=shop.external_id,
        installed=shop.is_installed, installed_at=shop.installed_at, uninstalled_at=shop.uninstalled_at,
        token_usable=usable, token_expires_at=credential.access_expires_at if credential else None,
        reconnect_url=reconnect, details=details,
    )


def role_table() -> list[tuple[str, str, list[str]]]:
    """(role, label, actions it allows) for the Team page's explanation."""
    return [(role, label, [a for a in Action.values if a in ROLE_ACTIONS[role]]) for role, label in Role.choices]
