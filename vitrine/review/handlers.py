"""Review event handlers: a generated variant is scored and queued for review."""

from __future__ import annotations

from django.db import transaction

from vitrine.platform import events
from vitrine.platform.models import Event
from vitrine.review.services import rewritten_text_boxes

ESTIMATED_MASK_METHODS = ("classical", "grabcut", "segmentation")


@events.handles(events.VARIANT_GENERATED)
def assess_generated_variant(event: Event) -> None:
    # Scoring takes a few hundred milliseconds (alignment, OCR): it runs as a task once this commits.
    from vitrine.review.tasks import assess_variant

    payload = event.payload
    variant_id = int(payload["variant_id"])
    offset = [int(v) for v in payload.get("offset", (0, 0))]
    details = payload.get("details", {})
    boxes = [list(box) for box in rewritten_text_boxes(details, offset)]
    # An outline the renderer estimated carries its confidence; supplied masks and alpha are certain.
    method = str(details.get("mask_method") or "given")
    confidence = details.get("mask_confidence") if method in ESTIMATED_MASK_METHODS else None
    transaction.on_commit(
        lambda: assess_variant.apply_async(args=[variant_id, offset, boxes, confidence, method], queue="default")
    )
