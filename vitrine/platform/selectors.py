"""Kernel reads, always scoped to what the asking user may see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Product, Shop, SourceImage, SyncRun, Variant
from vitrine.platform.roles import Action, shops_where


def shops_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Shop]:
    """Superusers see every shop; everyone else sees the shops they are a member of (any role may view)."""
    return shops_where(user, Action.VIEW)


def products_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Product]:
    return (
        Product.objects.filter(shop__in=shops_visible_to(user), deleted_at__isnull=True)
        .select_related("shop")
        .annotate(image_count=Count("images"))
    )


def variants_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Variant]:
    return Variant.objects.filter(shop__in=shops_visible_to(user)).select_related(
        "shop", "market", "source_image__product"
    )


def variant_state_counts(shop: Shop) -> dict[str, int]:
    rows = Variant.objects.filter(shop=shop).values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


class BlobOwner(NamedTuple):
    """A model whose rows reference blobs: its blob foreign keys and the lookup from a row to its shop."""

    model: type[Model]
    blob_fields: tuple[str, ...]
    shop_lookup: str


# The one registry of blob references: access checks (who may see a file), shop purges (which files a shop
# holds) and the deletion of unreferenced files all read it. Apps register their models (review artefacts,
# the publish ledger); the system check ``vitrine.E010`` refuses a blob foreign key missing from it.
_blob_owners: list[BlobOwner] = [
    BlobOwner(SourceImage, ("original", "image", "protect_mask"), "product__shop"),
    BlobOwner(Variant, ("output", "used_mask"), "shop"),
]


def register_blob_owner(model: type[Model], blob_fields: tuple[str, ...], shop_lookup: str) -> None:
    _blob_owners.append(BlobOwner(model, blob_fields, shop_lookup))


def blob_owners() -> list[BlobOwner]:
    """Every model that references blobs: (model, blob fields, lookup from the model to its shop)."""
    return list(_blob_owners)


def _blob_referenced(sha256: str, shop_condition: str, shops: object) -> bool:
    """Whether any registered owner row of the given shop(s) references the file."""
    for model, fields, shop_lookup in blob_owners():
        for field in fields:
            if model.objects.filter(**{f"{field}_id": sha256, f"{shop_lookup}{shop_condition}": shops}).exists():
                return True
    return False


def blob_visible_to(user: AbstractBaseUser | AnonymousUser, sha256: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return _blob_referenced(sha256, "__in", shops_visible_to(user))


# --- merchant overview: usage against the cap, activity -------------------------------------------
def usage_by_day(shop: Shop, *, days: int = 14) -> list[dict[str, object]]:
    """Variants created per day (the daily cap counts these) for the last ``days`` days, newest first,
    with the split by market locale: ``[{"date": date, "total": n, "by_market": {"de-DE": n}}]``."""
    from datetime import timedelta

    from django.db.models.functions import TruncDate
    from django.utils import timezone

    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        Variant.objects.filter(shop=shop, created_at__date__gte=first)
        .annotate(day=TruncDate("created_at"))
        .values("day", "market__locale")
        .annotate(n=Count("id"))
    )
    by_day: dict[object, dict[str, int]] = {}
    for row in rows:
        by_day.setdefault(row["day"], {})[row["market__locale"]] = row["n"]
    return [
        {"date": day, "total": sum(by_day.get(day, {}).values()),
         "by_market": dict(sorted(by_day.get(day, {}).items()))}
        for day in (today - timedelta(days=offset) for offset in range(days))
    ]


def events_of(shop: Shop) -> QuerySet[Event]:
    """The shop's events (what happened, newest first in callers' pagination)."""
    return Event.objects.filter(shop=shop)


def failed_variants(shop: Shop) -> QuerySet[Variant]:
    """Variants that failed and were not replaced since: each needs the merchant (retry or regenerate)."""
    return Variant.objects.filter(shop=shop, state="failed").select_related("market", "source_image__product")


def blob_in_shop(shop: Shop | int, sha256: str) -> bool:
    """Whether a file belongs to the shop (a source image, a variant, a diff image, a published file)."""
    return _blob_referenced(sha256, "", shop)


def event_abandoned() -> Q:
    """An event the relay gave up on: undelivered after ``EVENT_MAX_ATTEMPTS`` (re-driven by an operator)."""
    return Q(delivered_at__isnull=True, attempts__gte=settings.EVENT_MAX_ATTEMPTS)


def stuck_cutoffs(now: datetime) -> dict[str, datetime]:
    """Per non-terminal state, the last ``updated_at`` a variant may have before it counts as stuck."""
    return {state: now - timedelta(seconds=seconds) for state, seconds in settings.VARIANT_STUCK_AFTER.items()}


def waiting_for_merchant_publish() -> Q:
    """Approved variants of a shop that publishes by hand wait for the merchant: never stuck."""
    # Through the shops, not a JSON key lookup on the join: a shop without the key (the default, publish at
    # once) must give "false", not NULL, or excluding this would drop its variants too.
    return Q(state=VariantState.APPROVED, shop__in=Shop.objects.filter(settings__publish_on_approve=False))


def reliability_counts() -> dict[str, int]:
    """What the health check reports about work at risk: events the relay gave up on, tasks the broker has
    not taken yet past their grace period, and variants stuck in a non-terminal state past their deadline."""
    from vitrine.platform.outbox import outbox_backlog

    stuck = Q(pk__in=[])
    for state, cutoff in stuck_cutoffs(timezone.now()).items():
        stuck |= Q(state=state, updated_at__lte=cutoff)
    return {
        "events_dead": Event.objects.filter(event_abandoned()).count(),
        "tasks_unsent": outbox_backlog(),
        "variants_stuck": Variant.objects.filter(stuck).exclude(waiting_for_merchant_publish()).count(),
    }


def sync_last_succeeded(*, shop: Shop, full: bool = False) -> SyncRun | None:
    """The shop's latest successful catalogue read (a full one, with ``full``); incremental reads start there."""
    runs = SyncRun.objects.filter(shop=shop, status=SyncRun.Status.SUCCEEDED)
    return (runs.filter(full=True) if full else runs).order_by("-started_at").first()
