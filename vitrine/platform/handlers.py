"""Kernel event handlers: catalogue changes, deletions, uninstall and redaction."""

from __future__ import annotations

from django.utils import timezone

from vitrine.platform import events
from vitrine.platform.catalog import product_mark_deleted
from vitrine.platform.models import Event, Shop
from vitrine.platform.outbox import task_enqueue


@events.handles(events.CATALOG_PRODUCT_CHANGED)
def sync_changed_product(event: Event) -> None:
    from vitrine.platform.tasks import sync_product

    shop_id, external_id = event.shop_id, event.payload["external_id"]
    task_enqueue(sync_product, args=[shop_id, external_id])


@events.handles(events.CATALOG_PRODUCT_DELETED)
def mark_product_deleted(event: Event) -> None:
    assert event.shop is not None
    product_mark_deleted(shop=event.shop, external_id=event.payload["external_id"])


@events.handles(events.SHOP_UNINSTALLED)
def record_uninstall(event: Event) -> None:
    Shop.objects.filter(pk=event.shop_id, uninstalled_at__isnull=True).update(uninstalled_at=timezone.now())


@events.handles(events.SHOP_REDACT_REQUESTED)
def purge_redacted_shop(event: Event) -> None:
    from vitrine.platform.tasks import purge_shop

    shop_id = event.payload["shop_id"]
    task_enqueue(purge_shop, args=[shop_id])
