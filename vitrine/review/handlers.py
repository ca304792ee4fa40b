"""Review event handlers: a generated variant is scored and queued for review."""

from __future__ import annotations

from django.db import transaction

from vitrine.platform import events
from vitrine.platform.models import Event


@events.handles(events.VARIANT_GENERATED)
def assess_generated_variant(event: Event) -> None:
    # Scoring takes a few hundred milliseconds (alignment, OCR): it runs as a task once this commits.
    from vitrine.review.tasks import assess_variant

    # The offset, text boxes and review reasons are read from Variant.render_details by the task.
    variant_id = int(event.payload["variant_id"])
    transaction.on_commit(lambda: assess_variant.apply_async(args=[variant_id], queue="default"))
