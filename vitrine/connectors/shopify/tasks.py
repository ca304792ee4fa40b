"""Thin Shopify Celery tasks: load by id, call a service. Store errors follow the one task retry policy
(:class:`~vitrine.platform.storetask.StoreTask`)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from vitrine.connectors.shopify import services
from vitrine.platform.storetask import StoreTask


@shared_task(name="vitrine.connectors.shopify.tasks.process_webhook", acks_late=True, ignore_result=True,
             # The database restarting or unreachable: try again shortly rather than wait for the reconcile sweep.
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, retry_backoff_max=60,
             max_retries=10)
def process_webhook(message_id: int) -> None:
    # Events are written in the same transaction; a failure leaves the delivery for the reconcile sweep.
    services.webhook_process(message_id=message_id)


@shared_task(base=StoreTask, name="vitrine.connectors.shopify.tasks.complete_install", acks_late=True,
             ignore_result=True, max_retries=8)
def complete_install(shop_id: int) -> None:
    services.install_complete(shop_id=shop_id)


@shared_task(base=StoreTask, name="vitrine.connectors.shopify.tasks.sync_catalog", acks_late=True,
             ignore_result=True, max_retries=5, soft_time_limit=4 * 3600, time_limit=4 * 3600 + 60)
def sync_catalog(shop_id: int, full: bool | None) -> None:
    services.catalog_sync(shop_id=shop_id, full=full)


@shared_task(name="vitrine.connectors.shopify.tasks.reconcile_shops", ignore_result=True)
def reconcile_shops() -> dict[str, int]:
    return services.shops_reconcile()
