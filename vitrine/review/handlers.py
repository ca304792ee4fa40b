"""Review event handlers: a generated variant is scored and queued for review."""

from __future__ import annotations

from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Variant
from vitrine.platform.outbox import task_enqueue


@events.handles(events.VARIANT_GENERATED)
def assess_generated_variant(event: Event) -> None:
    # Scoring takes a few hundred milliseconds (alignment, OCR): it runs as a task once this commits.
    from vitrine.review.tasks import assess_variant

    # The offset, text boxes and review reasons are read from Variant.render_details by the task.
    task_enqueue(assess_variant, args=[int(event.payload["variant_id"])], queue="default")


@events.redrives(VariantState.GENERATED)
def reassess_stuck_variant(variant: Variant) -> None:
    from vitrine.review.tasks import assess_variant

    task_enqueue(assess_variant, args=[variant.pk], queue="default")
