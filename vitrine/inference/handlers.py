"""Inference event handlers: a requested variant is rendered on the ``gpu`` queue."""

from __future__ import annotations

from django.db import transaction

from vitrine.platform import events
from vitrine.platform.models import Event


@events.handles(events.VARIANT_REQUESTED)
def render_requested_variant(event: Event) -> None:
    from vitrine.inference.tasks import render_variants

    variant_id = int(event.payload["variant_id"])
    transaction.on_commit(lambda: render_variants.delay([variant_id]))
