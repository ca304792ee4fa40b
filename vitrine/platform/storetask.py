"""The one retry policy of Celery tasks that call a store.

A task declared with ``base=StoreTask`` lets the store's errors (the ``ApiError`` family of
:mod:`vitrine.platform.stores`) out of its body, and this policy decides what follows:

* a retryable error (rate limited, unavailable, conflict) becomes a Celery retry after the store's
  ``retry_after`` when it named one, else after exponential backoff (``RETRY_BASE * 2**retries`` seconds, at
  most ``RETRY_CAP``): the HTTP layer already retried within the call, so a task waits minutes, not seconds;
* a terminal error, or a retryable one after the task's ``max_retries``, is logged with the store's message and
  handed to :meth:`StoreTask.store_gave_up` (by default nothing more: the task is dropped; a task whose failure
  must be seen overrides it, e.g. publishing marks the variant failed).

Database outages are not store errors: tasks keep Celery's ``autoretry_for`` for those.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from vitrine.platform.stores import ApiError

logger = logging.getLogger(__name__)

RETRY_BASE = 10.0
RETRY_CAP = 900.0


def retry_countdown(exc: ApiError, retries: int) -> float:
    """Seconds before the next try of a task that failed ``retries`` times already with ``exc``."""
    return exc.retry_after or min(RETRY_BASE * 2**retries, RETRY_CAP)


class StoreTask(Task):
    """Base class of every task that calls a store (``@shared_task(base=StoreTask, ...)``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Celery runs a custom __call__ with the request already pushed: call run (not super) so the retry count
        # of this delivery stays visible in self.request.
        try:
            return self.run(*args, **kwargs)
        except ApiError as exc:
            if exc.retryable and (self.max_retries is None or self.request.retries < self.max_retries):
                raise self.retry(exc=exc, countdown=retry_countdown(exc, self.request.retries)) from exc
            if exc.retryable:
                logger.warning("%s%r still failing after %d retries; giving up: %s", self.name, args,
                               self.request.retries, exc.message)
            else:
                logger.error("%s%r failed: %s", self.name, args, exc.message)
            self.store_gave_up(exc, *args, **kwargs)
            return None

    def store_gave_up(self, exc: ApiError, *args: Any, **kwargs: Any) -> None:
        """The task stops trying: override to record the failure where someone will see it."""
