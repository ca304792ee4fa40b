"""One error taxonomy for every store, so retry decisions read the same everywhere.

``retryable`` errors are worth trying again later (after ``retry_after`` seconds when known); the rest are
terminal and keep the store's own message for the merchant.
"""

from __future__ import annotations


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
