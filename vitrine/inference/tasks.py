"""Thin Celery tasks on the ``gpu`` queue (``CELERY_TASK_ROUTES``): load by id, call the render service.

GPU workers run ``celery -A vitrine.platform worker -Q gpu --pool=solo --concurrency=1``. Nothing here
imports torch or touches CUDA at import time; the engine and its pipelines load inside the worker on
the first task and stay resident. Celery's solo pool enforces no time limits, so the engine also
stops the denoising loop itself at ``INFERENCE_TASK_SOFT_TIME_LIMIT``.
"""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings


@shared_task(
    name="vitrine.inference.tasks.render_variants",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=settings.INFERENCE_TASK_MAX_RETRIES,
    soft_time_limit=settings.INFERENCE_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.INFERENCE_TASK_TIME_LIMIT,
)
def render_variants(self, variant_ids: list[int]) -> object:  # type: ignore[no-untyped-def]
    from vitrine.inference import selectors, services

    if self.request.retries == 0 and len(variant_ids) == 1:
        # Take along requested variants of the same template version: one diffusers batch.
        variant_ids = selectors.variant_ids_batchable_with(variant_ids[0], limit=settings.INFERENCE_BATCH_SIZE)
    outcomes = services.variants_render(variant_ids=variant_ids, final_attempt=self.request.retries >= self.max_retries)
    # Only transient errors come back for another try, and only for the variants that hit them.
    to_retry = [outcome.variant_id for outcome in outcomes if outcome.retry]
    if to_retry:
        # Returned, not raised: a worker schedules the retry either way, and an eager run (the embedded
        # default) then applies it in place instead of raising Retry into the code that enqueued it.
        return self.retry(args=[to_retry], countdown=min(30 * 2**self.request.retries, 600), throw=False)
    return None


@shared_task(name="vitrine.inference.tasks.resume_waiting_variants", ignore_result=True)
def resume_waiting_variants() -> list[int]:
    from vitrine.inference import services

    return services.variants_resume_waiting()


@worker_ready.connect
def _resume_waiting_at_worker_start(sender: object = None, **kwargs: object) -> None:
    # A worker starts after its settings changed (a model was configured): look for variants waiting
    # for it. Only enqueued here; the task does the work, in whichever worker takes it.
    resume_waiting_variants.delay()
