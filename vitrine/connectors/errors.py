"""One error taxonomy for every store, so retry decisions read the same everywhere.

``retryable`` errors are worth trying again later (after ``retry_after`` seconds when known); the rest are
terminal and keep the store's own message for the merchant.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class ApiError(Exception):
    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after


class ApiUnauthorized(ApiError):
    """Credentials are missing, expired beyond refresh, or revoked (e.g. the app was uninstalled)."""


class ApiForbidden(ApiError):
    """Authenticated, but the app lacks the scope or API permission for this call."""


class ApiNotFound(ApiError):
    """The remote object does not exist (any more)."""


class ApiBadRequest(ApiError):
    """The store refused the input (user errors, invalid arguments): terminal, message kept."""


class ApiConflict(ApiError):
    """The remote state does not allow the call yet or any more (e.g. media still processing)."""

    retryable = True


class ApiRateLimited(ApiError):
    """Throttled by the store: wait for ``retry_after`` seconds, then try again."""

    retryable = True


class ApiUnavailable(ApiError):
    """5xx, timeouts, dropped connections, malformed responses: transient by assumption."""

    retryable = True


def retry_or_drop(task: Any, exc: ApiError, *, what: str) -> None:
    """The one retry policy of store-calling tasks: a retryable error becomes a Celery retry (the store's
    ``retry_after`` or exponential backoff up to 15 minutes); a terminal one is logged and dropped."""
    if not exc.retryable:
        logger.error("%s failed: %s", what, exc.message)
        return
    raise task.retry(exc=exc, countdown=exc.retry_after or min(2**task.request.retries * 10, 900)) from exc
