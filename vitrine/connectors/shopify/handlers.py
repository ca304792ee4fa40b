"""Shopify's event handlers: publishing and reverting approved variants, redacting our records."""

from __future__ import annotations

from django.db import transaction

from vitrine.connectors.shopify.publishing import PROVIDER
from vitrine.connectors.shopify.services import shop_records_purge
from vitrine.platform import events
from vitrine.platform.models import Event, Shop


def _for_shopify(event: Event) -> bool:
    return event.shop is not None and event.shop.provider == PROVIDER


@events.handles(events.VARIANT_APPROVED)
def publish_approved_variant(event: Event) -> None:
    from vitrine.connectors.tasks import publish_variant

    if _for_shopify(event):
        variant_id = event.payload["variant_id"]
        transaction.on_commit(lambda: publish_variant.delay(variant_id))


@events.handles(events.VARIANT_REVERT_REQUESTED)
def revert_published_variant(event: Event) -> None:
    from vitrine.connectors.tasks import revert_variant

    if _for_shopify(event):
        variant_id, actor = event.payload["variant_id"], event.payload.get("actor", "system")
        transaction.on_commit(lambda: revert_variant.delay(variant_id, actor))


@events.handles(events.SHOP_REDACT_REQUESTED)
def purge_shopify_records(event: Event) -> None:
    shop = Shop.objects.filter(pk=event.payload["shop_id"], provider=PROVIDER).first()
    if shop is not None:
        shop_records_purge(shop=shop)
