"""Thin Celery tasks of the kernel: load by id, call a service."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from vitrine.platform import merchants, outbox, services
from vitrine.platform.storetask import StoreTask

logger = logging.getLogger(__name__)


@shared_task(name="vitrine.platform.tasks.deliver_event", acks_late=True, ignore_result=True,
             # The database restarting: another try shortly (the relay would also find the event later).
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, retry_backoff_max=60, max_retries=10)
def deliver_event(event_id: int) -> None:
    try:
        services.event_deliver(event_id=event_id)
    except services.HandlersFailed as exc:
        # Not retried here: the relay re-dispatches undelivered events with backoff (one retry mechanism).
        logger.warning("%s; the relay will retry", exc)


@shared_task(name="vitrine.platform.tasks.relay_undelivered_events", ignore_result=True)
def relay_undelivered_events() -> dict[str, int]:
    # One beat entry relays both outboxes: events and the tasks handlers and services asked for.
    return {"events": services.events_relay(), "tasks": outbox.outbox_relay()}


@shared_task(name="vitrine.platform.tasks.send_password_link", ignore_result=True, acks_late=True,
             autoretry_for=(OSError, SMTPException), retry_backoff=30, retry_backoff_max=1800, max_retries=8)
def send_password_link(user_id: int, shop_id: int | None = None, language: str = "") -> bool:
    """An invitation or password e-mail; a mail server that is down is retried with backoff."""
    return merchants.password_link_send(user_id=user_id, shop_id=shop_id, language=language)


@shared_task(name="vitrine.platform.tasks.purge_sent_outbox_tasks", ignore_result=True)
def purge_sent_outbox_tasks() -> int:
    return outbox.outbox_purge()


@shared_task(name="vitrine.platform.tasks.redrive_stuck_variants", ignore_result=True)
def redrive_stuck_variants() -> dict[str, int]:
    return services.variants_redrive()


@shared_task(
    base=StoreTask,
    name="vitrine.platform.tasks.sync_product",
    acks_late=True,
    ignore_result=True,
    max_retries=8,
    soft_time_limit=300,
    time_limit=330,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
)
def sync_product(shop_id: int, external_id: str) -> None:
    from vitrine.platform.catalog import product_sync

    product_sync(shop_id=shop_id, external_id=external_id)


@shared_task(name="vitrine.platform.tasks.purge_shop", acks_late=True, ignore_result=True)
def purge_shop(shop_id: int) -> None:
    services.shop_purge(shop_id=shop_id)
