"""The CSV store's event handlers: an approved variant is exported, a revert takes it out again."""

from __future__ import annotations

from django.db import transaction

from vitrine.connectors.csvfile.connector import PROVIDER, CsvFileConnector  # noqa: F401 (registers the provider)
from vitrine.connectors.tasks import publish_variant, revert_variant
from vitrine.platform import events
from vitrine.platform.models import Event


def _for_csvfile(event: Event) -> bool:
    return event.shop is not None and event.shop.provider == PROVIDER


@events.handles(events.VARIANT_APPROVED)
def export_approved_variant(event: Event) -> None:
    if _for_csvfile(event):
        variant_id = event.payload["variant_id"]
        transaction.on_commit(lambda: publish_variant.delay(variant_id))


@events.handles(events.VARIANT_REVERT_REQUESTED)
def remove_reverted_variant(event: Event) -> None:
    if _for_csvfile(event):
        variant_id, actor = event.payload["variant_id"], event.payload.get("actor", "system")
        transaction.on_commit(lambda: revert_variant.delay(variant_id, actor))
