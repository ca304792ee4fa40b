"""Review reads, always scoped to the shops the asking user may see."""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, QuerySet, Sum
from django.utils import timezone

from vitrine.fidelity import FidelityReport
from vitrine.fidelity.report import VERDICTS
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import EditKind, Variant
from vitrine.platform.selectors import shops_visible_to
from vitrine.review.models import Decision, ReviewArtefact, ReviewItem

User = AbstractBaseUser | AnonymousUser

# The queue's one order: earliest due first, then higher priority, then the older item.
QUEUE_ORDER = ("due_at", "-priority", "id")
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")


@dataclass(frozen=True)
class QueueFilters:
    """What a reviewer narrowed the queue to; empty fields do not filter."""

    shop_id: int | None = None
    kind: str = ""
    market_id: int | None = None
    verdict: str = ""
    template: str = ""

    def apply(self, items: QuerySet[ReviewItem], *, skip: str = "") -> QuerySet[ReviewItem]:
        """``items`` narrowed by every filter except the one named ``skip`` (used for facet counts)."""
        lookups = {
            "shop": ("shop_id", self.shop_id),
            "kind": ("variant__kind", self.kind),
            "market": ("variant__market_id", self.market_id),
            "verdict": ("variant__fidelity_verdict", self.verdict),
            "template": ("variant__template_slug", self.template),
        }
        for name, (lookup, value) in lookups.items():
            if name != skip and value not in (None, ""):
                items = items.filter(**{lookup: value})
        return items

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> QueueFilters:
        """Filters from URL parameters the review pages wrote themselves; malformed values filter nothing
        (the queue page's form reports them)."""
        def number(name: str) -> int | None:
            value = query.get(name, "")
            return int(value) if value.isdigit() else None

        def choice(name: str, allowed: Collection[str]) -> str:
            value = query.get(name, "")
            return value if value in allowed else ""

        template = query.get("template", "")
        return cls(
            shop_id=number("shop"), kind=choice("kind", EditKind.values), market_id=number("market"),
            verdict=choice("verdict", VERDICTS), template=template if SLUG.fullmatch(template) else "",
        )

    def as_query(self) -> dict[str, str]:
        """The filters as URL query parameters (the names the filter form reads)."""
        values = {"shop": self.shop_id, "kind": self.kind, "market": self.market_id, "verdict": self.verdict,
                  "template": self.template}
        return {name: str(value) for name, value in values.items() if value not in (None, "")}


def review_items_visible_to(user: User) -> QuerySet[ReviewItem]:
    return ReviewItem.objects.filter(shop__in=shops_visible_to(user))


def pending_items(user: User, filters: QueueFilters | None = None) -> QuerySet[ReviewItem]:
    """Undecided items whose variant still waits in review, in queue order.

    A variant superseded while in review (its source image changed) drops out of the queue here.
    """
    items = review_items_visible_to(user).exclude(state=ReviewItem.State.DECIDED)
    items = items.filter(variant__state=VariantState.IN_REVIEW)
    return (filters or QueueFilters()).apply(items).order_by(*QUEUE_ORDER)


def available_to(user: User, now: datetime) -> Q:
    """Items ``user`` may take: open ones, ones whose claim has run out, and the user's own claims."""
    return (
        Q(state=ReviewItem.State.OPEN)
        | Q(state=ReviewItem.State.CLAIMED, claim_expires_at__lte=now)
        | Q(state=ReviewItem.State.CLAIMED, claimed_by_id=user.pk)
    )


def claim_is_live(item: ReviewItem, now: datetime) -> bool:
    return (
        item.state == ReviewItem.State.CLAIMED
        and item.claim_expires_at is not None
        and item.claim_expires_at > now
    )


def next_item_peek(user: User, filters: QueueFilters, *, exclude_ids: tuple[int, ...] = ()) -> ReviewItem | None:
    """The item ``review_item_claim_next`` would most likely hand out next, without claiming it (prefetch)."""
    now = timezone.now()
    items = pending_items(user, filters).filter(available_to(user, now)).exclude(pk__in=exclude_ids)
    return items.only("pk").first()


def item_neighbours(user: User, item: ReviewItem, filters: QueueFilters) -> tuple[int | None, int | None]:
    """The ids of the items just before and just after ``item`` in queue order (for j/k)."""
    queue = pending_items(user, filters).exclude(pk=item.pk)
    due, priority, pk = item.due_at, item.priority, item.pk
    # The plain due_at bounds let the database start its index scan at the item instead of an end.
    after = Q(due_at__gte=due) & (
        Q(due_at__gt=due) | Q(priority__lt=priority) | Q(priority=priority, pk__gt=pk)
    )
    before = Q(due_at__lte=due) & (
        Q(due_at__lt=due) | Q(priority__gt=priority) | Q(priority=priority, pk__lt=pk)
    )
    following = queue.filter(after).values_list("pk", flat=True).first()
    previous = queue.filter(before).order_by("-due_at", "priority", "-id").values_list("pk", flat=True).first()
    return previous, following


@dataclass(frozen=True)
class QueueCounts:
    pending: int
    available: int
    mine: int
    claimed_by_others: int
    overdue: int
    # facet name -> [(value, label, count)], each counted under every other filter
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)


def queue_counts(user: User, filters: QueueFilters) -> QueueCounts:
    now = timezone.now()
    items = pending_items(user, filters).order_by()
    live_claim = Q(state=ReviewItem.State.CLAIMED, claim_expires_at__gt=now)
    totals = items.aggregate(
        pending=Count("id"),
        available=Count("id", filter=available_to(user, now)),
        mine=Count("id", filter=live_claim & Q(claimed_by_id=user.pk)),
        claimed_by_others=Count("id", filter=live_claim & ~Q(claimed_by_id=user.pk)),
        overdue=Count("id", filter=Q(due_at__lte=now)),
    )
    unfiltered = pending_items(user).order_by()
    facet_fields = {
        "shop": ("shop_id", "shop__name"),
        "kind": ("variant__kind", "variant__kind"),
        "market": ("variant__market_id", "variant__market__name"),
        "verdict": ("variant__fidelity_verdict", "variant__fidelity_verdict"),
        "template": ("variant__template_slug", "variant__template_slug"),
    }
    facets: dict[str, list[tuple[str, str, int]]] = {}
    for name, (value_field, label_field) in facet_fields.items():
        rows = (
            filters.apply(unfiltered, skip=name).values(value_field, label_field).annotate(n=Count("id"))
            .order_by(label_field)
        )
        facets[name] = [(str(row[value_field]), str(row[label_field] or "-"), row["n"]) for row in rows]
    return QueueCounts(facets=facets, **totals)


def bulk_approve_candidates(user: User, filters: QueueFilters, min_score: float) -> QuerySet[ReviewItem]:
    """Items a bulk approval at ``min_score`` would take: verdict pass, score at or above it, not claimed by
    anyone else."""
    now = timezone.now()
    return (
        pending_items(user, filters)
        .filter(available_to(user, now))
        .filter(variant__fidelity_verdict="pass", variant__fidelity_score__gte=min_score)
        .select_related("variant__market", "variant__source_image__product", "shop")
    )


def report_of(variant: Variant) -> FidelityReport | None:
    """The variant's stored fidelity report; None when none was made or the check could not run."""
    if not variant.fidelity or "error" in variant.fidelity:
        return None
    return FidelityReport.from_dict(variant.fidelity)


def artefacts_of(variant_id: int) -> dict[str, str]:
    """Diff image name (without ``.png``) -> blob sha256."""
    rows = ReviewArtefact.objects.filter(variant_id=variant_id).values_list("name", "blob_id")
    return {name.removesuffix(".png"): sha for name, sha in rows}


def render_details_of(variant: Variant) -> dict[str, Any]:
    """What the renderer reported about this variant (text lines, mask method, offset...)."""
    details = variant.render_details
    return details if isinstance(details, dict) else {}


def rewritten_lines_of(variant: Variant) -> list[dict[str, Any]]:
    """A text variant's rewritten lines: source, target, origin, read_back, similarity."""
    lines = render_details_of(variant).get("lines", [])
    return [line for line in lines if isinstance(line, dict)]


def skipped_lines_of(variant: Variant) -> list[dict[str, Any]]:
    """Printed lines a text variant left as they were, with the reason (no translation, reads the same)."""
    skipped = render_details_of(variant).get("skipped", [])
    return [line for line in skipped if isinstance(line, dict)]


def thumbnail_jpeg(blob_id: str, side: int) -> bytes:
    """A blob's image reduced to ``side`` px on its long side, as JPEG bytes."""
    from PIL import Image

    from vitrine.platform.models import Blob
    from vitrine.platform.services import blob_read

    with Image.open(io.BytesIO(blob_read(Blob.objects.get(pk=blob_id)))) as image:
        image.draft("RGB", (side, side))
        small = image.convert("RGB")
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


# --- metrics --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewMetrics:
    since: datetime
    backlog: list[dict[str, Any]]  # shop, kind, pending, overdue, oldest_due
    decisions: int
    time_to_decision_p50: float | None  # seconds from opening to decision
    time_to_decision_p95: float | None
    rates: list[dict[str, Any]]  # template, kind, total, approve / reject / regenerate shares
    reviewers: list[dict[str, Any]]  # reviewer, decisions, bulk, hours, per_hour
    reasons: list[tuple[str, int]]  # reason label, count


def review_metrics(user: User, *, days: int = 30) -> ReviewMetrics:
    """Backlog now; decision speed, outcome rates and throughput over the last ``days`` days."""
    now = timezone.now()
    since = now - timedelta(days=days)
    backlog = [
        {"shop": row["shop__name"] or f"shop {row['shop_id']}", "kind": row["variant__kind"],
         "pending": row["pending"], "overdue": row["overdue"], "oldest_due": row["oldest_due"]}
        for row in pending_items(user).order_by()
        .values("shop_id", "shop__name", "variant__kind")
        .annotate(pending=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)), oldest_due=Min("due_at"))
        .order_by("shop__name", "variant__kind")
    ]
    decisions = Decision.objects.filter(item__shop__in=shops_visible_to(user), created_at__gte=since)
    waits = [
        wait.total_seconds()
        for wait in decisions.annotate(
            wait=ExpressionWrapper(F("created_at") - F("item__opened_at"), output_field=DurationField())
        ).values_list("wait", flat=True)
    ]
    p50, p95 = (float(v) for v in np.percentile(waits, [50, 95])) if waits else (None, None)

    outcome_rows = decisions.values("variant__template_slug", "variant__kind", "action").annotate(n=Count("id"))
    outcomes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in outcome_rows:
        outcomes[(row["variant__template_slug"], row["variant__kind"])][row["action"]] += row["n"]
    rates = []
    for (template, kind), counts in sorted(outcomes.items()):
        total = sum(counts.values())
        rates.append({"template": template or "-", "kind": kind, "total": total,
                      **{action: counts[action] / total for action in Decision.Action.values}})

    reviewers = []
    for row in decisions.values("reviewer__username").annotate(
        n=Count("id"), bulk=Count("id", filter=Q(bulk=True)), seconds=Sum("seconds_spent")
    ).order_by("reviewer__username"):
        hours = (row["seconds"] or 0.0) / 3600
        reviewers.append({"reviewer": row["reviewer__username"], "decisions": row["n"], "bulk": row["bulk"],
                          "hours": hours, "per_hour": row["n"] / hours if hours > 0 else None})

    labels = dict(Decision.Reason.choices)
    reasons = [
        (labels.get(row["reason_code"], row["reason_code"]), row["n"])
        for row in decisions.exclude(reason_code="").values("reason_code").annotate(n=Count("id")).order_by("-n")
    ]
    return ReviewMetrics(since=since, backlog=backlog, decisions=len(waits), time_to_decision_p50=p50,
                         time_to_decision_p95=p95, rates=rates, reviewers=reviewers, reasons=reasons)
