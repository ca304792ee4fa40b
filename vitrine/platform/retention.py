"""A shop's data-retention policy: what happens to its data when the store uninstalls Vitrine.

``purge``: everything is deleted at once. ``keep``: it is kept for a reinstall for ``keep_days`` days, then
deleted; a store's own redaction request (Shopify's ``shop/redact``, 48 hours after an uninstall) is always
honoured whatever the policy says.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from vitrine.platform.models import Shop

SETTINGS_KEY = "retention"
PURGE = "purge"
KEEP = "keep"
POLICIES = (PURGE, KEEP)
DEFAULT_POLICY = KEEP
DEFAULT_KEEP_DAYS = 3
MAX_KEEP_DAYS = 365


def retention_of(shop: Shop) -> dict[str, object]:
    stored = shop.settings.get(SETTINGS_KEY) or {}
    policy = stored.get("on_uninstall", DEFAULT_POLICY)
    days = stored.get("keep_days", DEFAULT_KEEP_DAYS)
    valid_days = isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_KEEP_DAYS
    return {"on_uninstall": policy if policy in POLICIES else DEFAULT_POLICY,
            "keep_days": days if valid_days else DEFAULT_KEEP_DAYS}


def purge_delay(shop: Shop, *, longest: timedelta) -> timedelta:
    """How long after an uninstall the shop's data is deleted: at once, or its days kept (``longest`` at most)."""
    policy = retention_of(shop)
    if policy["on_uninstall"] == PURGE:
        return timedelta(0)
    return min(timedelta(days=int(policy["keep_days"])), longest)  # type: ignore[call-overload]


def retention_set(*, shop: Shop, actor: str, on_uninstall: str, keep_days: int) -> Shop:
    """Store the shop's policy (checked: a known policy, 1 to 365 days)."""
    errors: dict[str, str] = {}
    if on_uninstall not in POLICIES:
        errors["on_uninstall"] = f"must be one of {', '.join(POLICIES)}"
    if isinstance(keep_days, bool) or not isinstance(keep_days, int) or not 1 <= keep_days <= MAX_KEEP_DAYS:
        errors["keep_days"] = f"must be a whole number of days between 1 and {MAX_KEEP_DAYS}"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        locked.settings = {**locked.settings,
                           SETTINGS_KEY: {"on_uninstall": on_uninstall, "keep_days": keep_days, "by": actor}}
        locked.save(update_fields=["settings"])
    shop.settings = locked.settings
    return locked
