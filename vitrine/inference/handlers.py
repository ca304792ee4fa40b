"""Inference event handlers: a requested variant is rendered on the ``gpu`` queue."""

from __future__ import annotations

from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Variant
from vitrine.platform.outbox import task_enqueue


@events.handles(events.VARIANT_REQUESTED)
def render_requested_variant(event: Event) -> None:
    from vitrine.inference.tasks import render_variants

    variant_id = int(event.payload["variant_id"])
    task_enqueue(render_variants, args=[[variant_id]])


@events.redrives(VariantState.REQUESTED, VariantState.GENERATING)
def rerender_stuck_variant(variant: Variant) -> None:
    # The render claims the variant itself: a requested one, or a generating one whose worker died.
    from vitrine.inference.tasks import render_variants

    task_enqueue(render_variants, args=[[variant.pk]])
