"""Thin Celery tasks of the API layer."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from vitrine.api import services


@shared_task(name="vitrine.api.tasks.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    return services.idempotent_requests_purge(days=settings.API_IDEMPOTENCY_DAYS)
