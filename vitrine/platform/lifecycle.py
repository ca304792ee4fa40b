"""The variant lifecycle: states and the one table of allowed moves."""

from __future__ import annotations

from django.db import models


class VariantState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    GENERATING = "generating", "Generating"
    # Lacks a resource the operator has to provide (a diffusion model); resumes by itself once it exists.
    WAITING = "waiting", "Waiting"
    GENERATED = "generated", "Generated"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    SUPERSEDED = "superseded", "Superseded"


S = VariantState

TRANSITIONS: dict[str, frozenset[str]] = {
    # A worker that died mid-render leaves "generating": a retry may pick it up again.
    S.REQUESTED: frozenset({S.GENERATING, S.FAILED, S.SUPERSEDED}),
    S.GENERATING: frozenset({S.GENERATED, S.FAILED, S.SUPERSEDED, S.REQUESTED, S.WAITING}),
    S.WAITING: frozenset({S.REQUESTED, S.SUPERSEDED}),
    S.GENERATED: frozenset({S.IN_REVIEW, S.FAILED, S.SUPERSEDED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.SUPERSEDED}),
    # An approved variant whose publish failed terminally is "failed"; a retry re-enters "publishing".
    S.APPROVED: frozenset({S.PUBLISHING, S.SUPERSEDED}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.FAILED, S.APPROVED}),
    # Reverting a published image takes it off the listing: the variant ends superseded.
    S.PUBLISHED: frozenset({S.SUPERSEDED}),
    S.REJECTED: frozenset(),
    S.FAILED: frozenset({S.REQUESTED, S.SUPERSEDED}),
    S.SUPERSEDED: frozenset(),
}

TERMINAL_STATES = frozenset(state for state, targets in TRANSITIONS.items() if not targets)
LIVE_STATES = frozenset(S) - {S.SUPERSEDED, S.FAILED, S.REJECTED}


class IllegalTransition(Exception):
    """The variant cannot move from its current state to the requested one."""

    def __init__(self, variant_id: int, current: str, target: str, expected: str | None = None) -> None:
        self.variant_id, self.current, self.target, self.expected = variant_id, current, target, expected
        if expected is not None and expected != current:
            message = (f"variant {variant_id} is {current}, not {expected}: someone else moved it first; "
                       f"cannot move it to {target}")
        else:
            message = f"variant {variant_id} is {current}; moving it to {target} is not allowed"
        super().__init__(message)


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
