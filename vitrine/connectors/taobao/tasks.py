"""Thin Taobao Celery tasks: load by id, call a service. Publishing uses the store-agnostic tasks; store errors
follow the one task retry policy (:class:`~vitrine.platform.storetask.StoreTask`)."""

from __future__ import annotations

import logging

from celery import shared_task

from vitrine.connectors.errors import ApiError
from vitrine.connectors.taobao import services
from vitrine.platform.storetask import StoreTask

logger = logging.getLogger(__name__)


@shared_task(name="vitrine.connectors.taobao.tasks.poll_tmc", ignore_result=True, soft_time_limit=240,
             time_limit=270)
def poll_tmc() -> dict[str, int]:
    try:
        outcome = services.tmc_poll()
    except ApiError as exc:
        # Not retried: the next beat tick polls again; unconfirmed messages are redelivered by TMC meanwhile.
        logger.warning("TMC poll failed: %s", exc.message)
        return {}
    return {"consumed": outcome.consumed, "stored": outcome.stored, "repeats": outcome.repeats,
            "rejected": outcome.rejected}


@shared_task(base=StoreTask, name="vitrine.connectors.taobao.tasks.complete_install", max_retries=8,
             acks_late=True, ignore_result=True)
def complete_install(shop_id: int) -> None:
    services.shop_install_complete(shop_id=shop_id)


@shared_task(base=StoreTask, name="vitrine.connectors.taobao.tasks.sync_shop", max_retries=5, acks_late=True,
             ignore_result=True, soft_time_limit=4 * 3600, time_limit=4 * 3600 + 60)
def sync_shop(shop_id: int, full: bool) -> None:
    services.catalog_sync(shop_id=shop_id, full=full)


@shared_task(name="vitrine.connectors.taobao.tasks.sync_shops", ignore_result=True)
def sync_shops() -> int:
    return services.shops_sync()
