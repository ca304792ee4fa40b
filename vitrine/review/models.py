"""The review queue: one item per variant in review, the decisions taken on it, and its diff images."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q

from vitrine.platform.models import Blob, Shop, Variant
from vitrine.platform.selectors import register_blob_owner


class ReviewItem(models.Model):
    """A variant waiting for (or given) a human decision.

    ``claimed`` items belong to ``claimed_by`` until ``claim_expires_at``; after that they count as open
    again in every query, so nothing has to sweep stale claims.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        DECIDED = "decided", "Decided"

    variant = models.OneToOneField(Variant, on_delete=models.CASCADE, related_name="review_item")
    # Copied from the variant so the queue filters by tenant without a join.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="review_items")
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    priority = models.SmallIntegerField(default=0, help_text="Higher is reviewed first among items due together.")
    due_at = models.DateTimeField(help_text="When the decision is due; the queue serves the earliest first.")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "review item"
        verbose_name_plural = "review queue"
        permissions = [
            ("decide_reviewitem", "Can take review decisions"),
            ("bulk_approve_reviewitem", "Can bulk approve passing review items"),
            ("view_review_metrics", "Can see review metrics"),
        ]
        indexes = [
            # The next-item query walks this index in order and stops at the first item it may take.
            models.Index(
                fields=["due_at", "-priority", "id"], condition=~Q(state="decided"), name="review_item_queue"
            ),
            models.Index(fields=["shop", "state"], name="review_item_shop_state"),
        ]

    def __str__(self) -> str:
        return f"Review of variant {self.variant_id}"


class DecisionQuerySet(models.QuerySet["Decision"]):
    """Decisions are an audit log: rows are only ever added."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise DecisionImmutable("review decisions are an audit log and cannot be edited")

    def delete(self) -> NoReturn:
        raise DecisionImmutable("review decisions are an audit log and cannot be deleted")


class DecisionImmutable(Exception):
    pass


class Decision(models.Model):
    """One reviewer's decision on one item, written once and never changed.

    Rows only disappear together with their shop's data when the shop asks to be redacted.
    """

    class Action(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        REGENERATE = "regenerate", "Regenerate"

    class Reason(models.TextChoices):
        # The order is the reviewer's key: 1 = product changed ... 6 = other.
        PRODUCT_CHANGED = "product_changed", "Product changed"
        COLOUR_OFF = "colour_off", "Colour off"
        TEXT_WRONG = "text_wrong", "Text wrong"
        ANATOMY = "anatomy", "Anatomy"
        BACKGROUND_WRONG = "background_wrong", "Background wrong"
        OTHER = "other", "Other"

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="decisions")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="review_decisions")
    action = models.CharField(max_length=16, choices=Action.choices)
    reason_code = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    note = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_decisions")
    seconds_spent = models.FloatField(help_text="Time the reviewer spent on the item before deciding.")
    bulk = models.BooleanField(default=False, help_text="Taken as part of a bulk approval.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["created_at"], name="review_decision_created")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} of variant {self.variant_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise DecisionImmutable("review decisions are an audit log and cannot be edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise DecisionImmutable("review decisions are an audit log and cannot be deleted")


class ReviewArtefact(models.Model):
    """A diff image drawn for a variant's fidelity report (heatmap, outlines, pair, aligned)."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="review_artefacts")
    name = models.CharField(max_length=32)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["variant", "name"], name="review_artefact_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} of variant {self.variant_id}"


# Reviewers of a shop may download its diff images through the kernel's access-checked blob view.
register_blob_owner(ReviewArtefact, ("blob",), "variant__shop")
