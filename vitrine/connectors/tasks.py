"""Thin, store-agnostic Celery tasks of the connectors: load by id, call a service."""

from __future__ import annotations

from celery import shared_task

from vitrine.connectors import services
from vitrine.connectors.errors import ApiError, retry_or_drop

PUBLISH_MAX_RETRIES = 8


@shared_task(name="vitrine.connectors.tasks.publish_variant", bind=True, acks_late=True, ignore_result=True,
             max_retries=PUBLISH_MAX_RETRIES, soft_time_limit=600, time_limit=660)
def publish_variant(self, variant_id: int) -> None:  # type: ignore[no-untyped-def]
    try:
        services.variant_publish(variant_id=variant_id)
    except ApiError as exc:
        if self.request.retries >= PUBLISH_MAX_RETRIES:
            services.variant_fail_publishing(variant_id=variant_id,
                                             reason=f"the store stayed unavailable: {exc.message}")
            return
        raise self.retry(exc=exc, countdown=exc.retry_after or min(2 ** self.request.retries * 10, 900)) from exc


@shared_task(name="vitrine.connectors.tasks.revert_variant", bind=True, acks_late=True, ignore_result=True,
             max_retries=8)
def revert_variant(self, variant_id: int, actor: str) -> None:  # type: ignore[no-untyped-def]
    try:
        services.variant_revert(variant_id=variant_id, actor=actor)
    except ApiError as exc:
        retry_or_drop(self, exc, what=f"revert of variant {variant_id}")


@shared_task(name="vitrine.connectors.tasks.sweep_oauth_states", ignore_result=True)
def sweep_oauth_states() -> int:
    return services.oauth_states_sweep()
