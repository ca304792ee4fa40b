"""Review writes: opening items, claims, decisions, bulk approval, regeneration. Scoring a generated variant
(the fidelity gate) is in :mod:`vitrine.review.scoring`."""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from vitrine.inference.errors import InferenceError
from vitrine.inference.kinds import RECIPES
from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Shop, Variant
from vitrine.platform.roles import Action, shops_where
from vitrine.platform.services import VariantActionRefused, variant_transition
from vitrine.review import selectors
from vitrine.review.models import Decision, ReviewItem
from vitrine.review.selectors import QueueFilters

# Longest a seconds-spent figure may be: anything above is a tab left open, not review work.
MAX_SECONDS_SPENT = 24 * 3600


def claim_duration() -> timedelta:
    """How long a claim holds an item for its reviewer (REVIEW_CLAIM_SECONDS, default 15 minutes)."""
    return timedelta(seconds=settings.REVIEW_CLAIM_SECONDS)


# --- errors ---------------------------------------------------------------------------------------
class ReviewError(Exception):
    """A decision or claim that cannot be taken; the message says why in the reviewer's words."""


class ItemNotFound(ReviewError):
    pass


class ItemClaimedByOther(ReviewError):
    pass


class ItemAlreadyDecided(ReviewError):
    pass


class VariantNotInReview(ReviewError):
    pass


class InvalidDecision(ReviewError, ValueError):
    pass


# --- opening items --------------------------------------------------------------------------------
def review_item_open(*, variant: Variant) -> ReviewItem:
    """The variant's review item, created on first call. A regenerated variant keeps its predecessor's
    due time and priority so a second attempt does not go to the back of the queue."""
    existing = ReviewItem.objects.filter(variant=variant).first()
    if existing is not None:
        return existing
    previous = ReviewItem.objects.filter(variant_id=variant.supersedes_id).first() if variant.supersedes_id else None
    if previous is not None:
        due_at, priority = previous.due_at, previous.priority
    else:
        due_at = timezone.now() + timedelta(hours=_shop_setting(variant.shop, "review_due_hours",
                                                                settings.REVIEW_DUE_HOURS))
        priority = _shop_setting(variant.shop, "review_priority", 0)
    item, _ = ReviewItem.objects.get_or_create(
        variant=variant, defaults={"shop_id": variant.shop_id, "due_at": due_at, "priority": priority}
    )
    return item


def _shop_setting(shop: Shop, name: str, default: int) -> int:
    value = shop.settings.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"shop {shop.pk} setting {name!r} must be a whole number, got {value!r}")
    return value


# --- claims ---------------------------------------------------------------------------------------
def review_item_claim_next(*, reviewer: AbstractBaseUser, filters: QueueFilters | None = None) -> ReviewItem | None:
    """Claim the next item for ``reviewer`` and return it; None when nothing is left to review.

    The reviewer's own unexpired claim comes back first, so reloading never loses an item. Otherwise the
    first item in queue order (earliest due, then highest priority) among the reviewer's shops and the
    given filters that is open or whose claim has expired. Rows locked by a concurrent claim are skipped
    (``SKIP LOCKED``), so two reviewers never receive the same item; a claim ends by itself at
    ``claim_expires_at`` because every query compares it with the current time.
    """
    filters = filters or QueueFilters()
    now = timezone.now()
    with transaction.atomic():
        # Viewers see the queue; only a role allowing review claims from it.
        queue = selectors.pending_items(reviewer, filters).filter(shop__in=shops_where(reviewer, Action.REVIEW))
        item = (
            queue.filter(state=ReviewItem.State.CLAIMED, claimed_by_id=reviewer.pk, claim_expires_at__gt=now)
            .select_for_update(of=("self",))
            .first()
        )
        if item is None:
            item = queue.filter(selectors.available_to(reviewer, now)).select_for_update(
                skip_locked=True, of=("self",)
            ).first()
        if item is None:
            return None
        renewing = item.state == ReviewItem.State.CLAIMED and item.claimed_by_id == reviewer.pk
        if not renewing or item.claimed_at is None:
            item.claimed_at = now
        item.state = ReviewItem.State.CLAIMED
        item.claimed_by = reviewer
        item.claim_expires_at = now + claim_duration()
        item.save(update_fields=["state", "claimed_by", "claimed_at", "claim_expires_at"])
        return item


# --- decisions ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DecisionInput:
    action: str
    reason_code: str = ""
    note: str = ""
    seconds_spent: float | None = None  # None: measured from the claim
    params_adjust: Mapping[str, Any] = field(default_factory=dict)  # regenerate only

    def validated(self) -> DecisionInput:
        action, reason = self.action, self.reason_code
        if action not in Decision.Action.values:
            raise InvalidDecision(f"unknown action {action!r}; expected one of {', '.join(Decision.Action.values)}")
        if action == Decision.Action.APPROVE and reason:
            raise InvalidDecision("an approval takes no reason code")
        if action != Decision.Action.APPROVE:
            if reason not in Decision.Reason.values:
                raise InvalidDecision(
                    f"a {action} decision needs a reason code, one of {', '.join(Decision.Reason.values)}; "
                    f"got {reason!r}"
                )
            if reason == Decision.Reason.OTHER and not self.note.strip():
                raise InvalidDecision("the reason 'other' needs a note saying what is wrong")
        if self.params_adjust and action != Decision.Action.REGENERATE:
            raise InvalidDecision("parameter changes only apply to a regenerate decision")
        if not isinstance(self.params_adjust, Mapping) or not all(isinstance(k, str) for k in self.params_adjust):
            raise InvalidDecision("parameter changes must be an object of parameter names and values")
        seconds = self.seconds_spent
        if seconds is not None and not (math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS_SPENT):
            raise InvalidDecision(f"seconds spent must lie between 0 and {MAX_SECONDS_SPENT}; got {seconds}")
        return self


def review_item_decide(*, item_id: int, reviewer: AbstractBaseUser, decision: DecisionInput) -> Decision:
    """Record a decision on one item and its effects on the variant, all in one transaction.

    approve: in_review -> approved, emits variant.approved. reject: -> rejected, emits variant.rejected.
    regenerate: the variant is superseded by a new requested one (new seed, adjusted parameters), emits
    variant.regenerate_requested and variant.requested. Refused (ReviewError) when the item is decided,
    claimed by someone else, or its variant left review.
    """
    decision = decision.validated()
    with transaction.atomic():
        item = _locked_item(item_id, reviewer, skip_locked=False)
        if item is None:
            raise ItemNotFound(f"review item {item_id} does not exist or belongs to a shop you cannot see "
                               "(or may not review in)")
        return _decide(item, reviewer, decision, bulk=False)


def _locked_item(item_id: int, reviewer: AbstractBaseUser, *, skip_locked: bool) -> ReviewItem | None:
    return (
        ReviewItem.objects.filter(pk=item_id, shop__in=shops_where(reviewer, Action.REVIEW))
        .select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("variant", "claimed_by")
        .first()
    )


def _decide(item: ReviewItem, reviewer: AbstractBaseUser, decision: DecisionInput, *, bulk: bool) -> Decision:
    now = timezone.now()
    _check_decidable(item, reviewer, now)
    variant = item.variant
    seconds = decision.seconds_spent
    if seconds is None:
        mine = item.claimed_by_id == reviewer.pk and item.claimed_at is not None
        seconds = min(MAX_SECONDS_SPENT, (now - item.claimed_at).total_seconds()) if mine else 0.0
    if decision.action == Decision.Action.REGENERATE:
        _params_adjust_check(variant, decision.params_adjust)
    record = Decision.objects.create(
        item=item, variant=variant, action=decision.action, reason_code=decision.reason_code,
        note=decision.note.strip(), reviewer=reviewer, seconds_spent=round(seconds, 2), bulk=bulk,
    )
    actor = f"user:{reviewer.pk}"
    payload: dict[str, Any] = {"variant_id": variant.pk, "decision_id": record.pk, "reviewer_id": reviewer.pk}
    if decision.action == Decision.Action.APPROVE:
        variant_transition(variant_id=variant.pk, to=VariantState.APPROVED, actor=actor,
                           expected_from=VariantState.IN_REVIEW)
        events.emit(events.VARIANT_APPROVED, payload, shop=item.shop)
    elif decision.action == Decision.Action.REJECT:
        variant_transition(variant_id=variant.pk, to=VariantState.REJECTED, actor=actor,
                           expected_from=VariantState.IN_REVIEW, reason=_reason_text(decision))
        events.emit(events.VARIANT_REJECTED,
                    {**payload, "reason_code": decision.reason_code, "note": record.note}, shop=item.shop)
    else:
        replacement = _replacement_request(variant, actor=actor, why=f"regenerate requested: {_reason_text(decision)}",
                                           params_adjust=decision.params_adjust)
        events.emit(events.VARIANT_REGENERATE_REQUESTED,
                    {**payload, "new_variant_id": replacement.pk, "reason_code": decision.reason_code,
                     "note": record.note}, shop=item.shop)
    item.state = ReviewItem.State.DECIDED
    item.decided_at = now
    item.claim_expires_at = None
    item.save(update_fields=["state", "decided_at", "claim_expires_at"])
    return record


def _check_decidable(item: ReviewItem, reviewer: AbstractBaseUser, now: datetime) -> None:
    if item.state == ReviewItem.State.DECIDED:
        last = item.decisions.select_related("reviewer").last()
        by = f" ({last.get_action_display().lower()} by {last.reviewer})" if last else ""
        raise ItemAlreadyDecided(f"review item {item.pk} was already decided{by}")
    if selectors.claim_is_live(item, now) and item.claimed_by_id != reviewer.pk:
        assert item.claim_expires_at is not None
        raise ItemClaimedByOther(
            f"review item {item.pk} is claimed by {item.claimed_by} until "
            f"{item.claim_expires_at:%Y-%m-%d %H:%M:%S} UTC; only they can decide it until then"
        )
    if item.variant.state != VariantState.IN_REVIEW:
        raise VariantNotInReview(
            f"variant {item.variant_id} is {item.variant.get_state_display().lower()}, no longer in review; "
            "there is nothing left to decide"
        )


def _reason_text(decision: DecisionInput) -> str:
    label = Decision.Reason(decision.reason_code).label
    return f"{label}: {decision.note.strip()}" if decision.note.strip() else label


def _params_adjust_check(variant: Variant, params_adjust: Mapping[str, Any]) -> None:
    """A regenerate may change the recipe's generation parameters, nothing else: fidelity thresholds belong
    to templates and settings, and unknown keys would ride along into the new variant."""
    if "fidelity_thresholds" in params_adjust:
        raise InvalidDecision("fidelity thresholds are not a generation parameter: they are set on the template "
                              "(or in settings), not on a regenerate")
    recipe = RECIPES.get(variant.kind)
    if recipe is None:
        raise InvalidDecision(f"variants of kind {variant.kind!r} take no parameter changes")
    try:
        recipe.parameters.resolve(dict(params_adjust))
    except (InferenceError, ValueError, TypeError) as exc:
        raise InvalidDecision(f"parameter changes refused: {exc}") from None


def _replacement_request(variant: Variant, *, actor: str, why: str, params_adjust: Mapping[str, Any]) -> Variant:
    """Supersede ``variant`` (a rejected one stays rejected) with a new requested variant of the same plan: a
    fresh seed, the adjusted parameters, the variant's fidelity thresholds and alt text. The one place a
    regenerate, from a reviewer or from the merchant, makes its replacement."""
    if variant.state != VariantState.REJECTED:
        variant_transition(variant_id=variant.pk, to=VariantState.SUPERSEDED, actor=actor, reason=why,
                           expected_from=variant.state)
    seed = variant.seed
    while seed == variant.seed:
        seed = secrets.randbelow(2**31 - 1) + 1
    replacement = Variant.objects.create(
        shop_id=variant.shop_id, source_image_id=variant.source_image_id, market_id=variant.market_id,
        kind=variant.kind, template_slug=variant.template_slug, template_version=variant.template_version,
        source_sha256=variant.source_sha256, seed=seed, params={**variant.params, **params_adjust},
        fidelity_thresholds=variant.fidelity_thresholds, alt_text=variant.alt_text, supersedes=variant,
    )
    events.emit(events.VARIANT_REQUESTED, {"variant_id": replacement.pk}, shop=variant.shop)
    return replacement


# --- bulk approval --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BulkApproval:
    approved: list[int]  # item ids
    skipped: dict[int, str]  # item id -> why it was left alone


def review_items_bulk_approve(*, reviewer: AbstractBaseUser, item_ids: Sequence[int], min_score: float,
                              seconds_spent: float) -> BulkApproval:
    """Approve each listed item that still has verdict pass and a score of at least ``min_score``.

    Every item gets its own Decision row and its own transaction; an item claimed by someone else,
    decided meanwhile or no longer qualifying is skipped with the reason. The seconds spent on the
    confirmation are shared out evenly over the items.
    """
    if not (isinstance(min_score, int | float) and 0.0 <= min_score <= 1.0):
        raise InvalidDecision(f"the score threshold must lie between 0 and 1; got {min_score!r}")
    if not item_ids:
        raise InvalidDecision("no items were selected for bulk approval")
    unique_ids = list(dict.fromkeys(item_ids))
    per_item = DecisionInput(action=Decision.Action.APPROVE,
                             seconds_spent=seconds_spent / len(unique_ids)).validated()
    approved: list[int] = []
    skipped: dict[int, str] = {}
    for item_id in unique_ids:
        try:
            with transaction.atomic():
                item = _locked_item(item_id, reviewer, skip_locked=True)
                if item is None:
                    raise ItemNotFound(f"review item {item_id} is being decided by someone else or is not yours")
                score = item.variant.fidelity_score
                if item.variant.fidelity_verdict != "pass" or score is None or score < min_score:
                    raise InvalidDecision(
                        f"review item {item_id} no longer qualifies (verdict {item.variant.fidelity_verdict or '-'}, "
                        f"score {score if score is not None else '-'})"
                    )
                _decide(item, reviewer, per_item, bulk=True)
        except ReviewError as exc:
            skipped[item_id] = str(exc)
            continue
        approved.append(item_id)
    return BulkApproval(approved=approved, skipped=skipped)


# --- merchant regenerate ----------------------------------------------------------------------------
REGENERATABLE = frozenset({VariantState.GENERATED, VariantState.IN_REVIEW, VariantState.APPROVED,
                           VariantState.FAILED, VariantState.REJECTED})


def variant_regenerate(*, variant_id: int, actor: str, reason: str = "",
                       params_adjust: Mapping[str, Any] | None = None) -> Variant:
    """Replace a variant with a new requested one of the same plan (fresh seed, adjusted parameters).

    The old one is superseded (a rejected one stays rejected); one in review leaves the queue. A published
    variant must be reverted first; one still being rendered or published cannot be replaced yet.
    """
    if params_adjust is not None and (not isinstance(params_adjust, Mapping)
                                      or not all(isinstance(k, str) for k in params_adjust)):
        raise VariantActionRefused({"params_adjust": "must be an object of parameter names and values"})
    with transaction.atomic():
        variant = Variant.objects.select_for_update().get(pk=variant_id)
        if variant.state == VariantState.PUBLISHED:
            raise VariantActionRefused(f"variant {variant_id} is published; revert it before regenerating",
                                       code="published")
        if variant.state not in REGENERATABLE:
            raise VariantActionRefused(
                f"variant {variant_id} is {variant.state}; wait until it is generated or has failed",
                code="busy")
        if params_adjust:
            try:
                _params_adjust_check(variant, params_adjust)
            except InvalidDecision as exc:
                raise VariantActionRefused({"params_adjust": str(exc)}) from None
        why = f"regenerate requested: {reason}" if reason else "regenerate requested"
        ReviewItem.objects.filter(variant=variant).exclude(state=ReviewItem.State.DECIDED).update(
            state=ReviewItem.State.DECIDED, decided_at=timezone.now(), claim_expires_at=None)
        return _replacement_request(variant, actor=actor, why=why, params_adjust=params_adjust or {})
