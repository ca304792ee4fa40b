"""Review event handlers: a generated variant is scored and queued for review."""

from __future__ import annotations

from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Variant
from vitrine.platform.outbox import task_enqueue
from vitrine.review.services import rewritten_text_boxes


@events.handles(events.VARIANT_GENERATED)
def assess_generated_variant(event: Event) -> None:
    # Scoring takes a few hundred milliseconds (alignment, OCR): it runs as a task once this commits.
    from vitrine.review.tasks import assess_variant

    payload = event.payload
    variant_id = int(payload["variant_id"])
    offset = [int(v) for v in payload.get("offset", (0, 0))]
    boxes = [list(box) for box in rewritten_text_boxes(payload.get("details", {}), offset)]
    task_enqueue(assess_variant, args=[variant_id, offset, boxes], queue="default")


@events.redrives(VariantState.GENERATED)
def reassess_stuck_variant(variant: Variant) -> None:
    from vitrine.review.tasks import assess_variant

    # The render's facts (offset, rewritten text) travel in its event; the latest one describes this output.
    generated = (Event.objects.filter(type=events.VARIANT_GENERATED, payload__variant_id=variant.pk)
                 .order_by("-pk").first())
    payload = generated.payload if generated is not None else {}
    offset = [int(v) for v in payload.get("offset", (0, 0))]
    boxes = [list(box) for box in rewritten_text_boxes(payload.get("details", {}), offset)]
    task_enqueue(assess_variant, args=[variant.pk, offset, boxes], queue="default")
