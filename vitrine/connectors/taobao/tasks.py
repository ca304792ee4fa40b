"""Thin Taobao Celery tasks: load by id, call a service. Publishing uses the store-agnostic tasks."""

from __future__ import annotations

import logging

from celery import shared_task

from vitrine.connectors.errors import ApiError, retry_or_drop
from vitrine.connectors.taobao import services

logger = logging.getLogger(__name__)



@shared_task(name="vitrine.connectors.taobao.tasks.poll_tmc", ignore_result=True, soft_time_limit=240,
             time_limit=270)
def poll_tmc() -> dict[str, int]:
    try:
        outcome = services.tmc_poll()
    except ApiError as exc:
        # The next beat tick polls again; unconfirmed messages are redelivered by TMC meanwhile.
        logger.warning("TMC poll failed: %s", exc.message)
        return {}
    return {"consumed": outcome.consumed, "stored": outcome.stored, "repeats": outcome.repeats,
            "rejected": outcome.rejected}


@shared_task(name="vitrine.connectors.taobao.tasks.complete_install", bind=True, acks_late=True,
             ignore_result=True, max_retries=8)
def complete_install(self, shop_id: int) -> None:  # type: ignore[no-untyped-def]
    try:
        services.shop_install_complete(shop_id=shop_id)
    except ApiError as exc:
        retry_or_drop(self, exc, what=f"finishing the connection of shop {shop_id}")


@shared_task(name="vitrine.connectors.taobao.tasks.sync_shop", bind=True, acks_late=True, ignore_result=True,
             max_retries=5, soft_time_limit=4 * 3600, time_limit=4 * 3600 + 60)
def sync_shop(self, shop_id: int, full: bool) -> None:  # type: ignore[no-untyped-def]
    try:
        services.catalog_sync(shop_id=shop_id, full=full)
    except ApiError as exc:
        retry_or_drop(self, exc, what=f"catalogue sync of shop {shop_id}")


@shared_task(name="vitrine.connectors.taobao.tasks.sync_shops", ignore_result=True)
def sync_shops() -> int:
    return services.shops_sync()
