"""Connector event handlers. Publishing and reverting are the same for every store: the shared tasks call
the shop's connector. Store-specific handlers (install, redaction) live in each store's package; the app's
``ready()`` loads them and registers the providers."""

from __future__ import annotations

from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Variant
from vitrine.platform.outbox import task_enqueue


@events.handles(events.VARIANT_APPROVED)
def publish_approved_variant(event: Event) -> None:
    from vitrine.connectors.services import publish_on_approve
    from vitrine.connectors.tasks import publish_variant

    variant_id = event.payload["variant_id"]
    if event.shop is not None and not publish_on_approve(event.shop):
        return  # the shop publishes approved variants itself
    task_enqueue(publish_variant, args=[variant_id])


@events.handles(events.VARIANT_REVERT_REQUESTED)
def revert_published_variant(event: Event) -> None:
    from vitrine.connectors.tasks import revert_variant

    variant_id, actor = event.payload["variant_id"], event.payload.get("actor", "system")
    task_enqueue(revert_variant, args=[variant_id, actor])


@events.redrives(VariantState.APPROVED, VariantState.PUBLISHING)
def republish_stuck_variant(variant: Variant) -> None:
    # Publishing resumes from its ledger: a step the store already took is not taken again.
    # (Approved variants that wait for the merchant's own publish are not stuck: the sweep leaves them out.)
    from vitrine.connectors.tasks import publish_variant

    task_enqueue(publish_variant, args=[variant.pk])
