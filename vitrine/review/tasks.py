"""Thin Celery tasks of the review app: load by id, call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from vitrine.review import scoring


@shared_task(
    name="vitrine.review.tasks.assess_variant",
    acks_late=True,
    ignore_result=True,
    # Database and network hiccups are worth another try; unreadable images fail the variant instead.
    autoretry_for=(OperationalError, ConnectionError, TimeoutError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=6,
    soft_time_limit=120,
    time_limit=150,
)
def assess_variant(variant_id: int, offset: list[int] | None = None, rewritten_boxes: list[list[int]] | None = None
                   ) -> None:
    # Queued before render details were kept on the variant, a task carries them as arguments.
    scoring.variant_assess(variant_id=variant_id, offset=offset, rewritten_boxes=rewritten_boxes)
