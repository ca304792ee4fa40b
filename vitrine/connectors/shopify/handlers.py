"""Shopify's event handlers: redacting our records."""

from __future__ import annotations

from vitrine.connectors.shopify.publishing import PROVIDER
from vitrine.connectors.shopify.services import shop_records_purge
from vitrine.platform import events
from vitrine.platform.models import Event, Shop


@events.handles(events.SHOP_REDACT_REQUESTED)
def purge_shopify_records(event: Event) -> None:
    shop = Shop.objects.filter(pk=event.payload["shop_id"], provider=PROVIDER).first()
    if shop is not None:
        shop_records_purge(shop=shop)
