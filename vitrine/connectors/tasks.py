"""Thin, store-agnostic Celery tasks of the connectors: load by id, call a service. Store errors follow the one
task retry policy (:class:`~vitrine.platform.storetask.StoreTask`)."""

from __future__ import annotations

from celery import shared_task

from vitrine.connectors import services
from vitrine.connectors.errors import ApiError
from vitrine.platform.storetask import StoreTask

PUBLISH_MAX_RETRIES = 8


class PublishTask(StoreTask):
    def store_gave_up(self, exc: ApiError, variant_id: int) -> None:  # type: ignore[override]
        """A variant the store never took is marked failed, with the store's words, for the merchant to see."""
        reason = (f"the store stayed unavailable: {exc.message}" if exc.retryable
                  else f"the store refused the image: {exc.message}")
        services.variant_fail_publishing(variant_id=variant_id, reason=reason)


@shared_task(base=PublishTask, name="vitrine.connectors.tasks.publish_variant", acks_late=True, ignore_result=True,
             max_retries=PUBLISH_MAX_RETRIES, soft_time_limit=600, time_limit=660)
def publish_variant(variant_id: int) -> None:
    services.variant_publish(variant_id=variant_id)


@shared_task(base=StoreTask, name="vitrine.connectors.tasks.revert_variant", acks_late=True, ignore_result=True,
             max_retries=8)
def revert_variant(variant_id: int, actor: str) -> None:
    services.variant_revert(variant_id=variant_id, actor=actor)


@shared_task(name="vitrine.connectors.tasks.sweep_oauth_states", ignore_result=True)
def sweep_oauth_states() -> int:
    return services.oauth_states_sweep()
