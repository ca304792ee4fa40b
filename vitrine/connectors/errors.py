"""One error taxonomy for every store, so retry decisions read the same everywhere.

It is defined in the kernel (:mod:`vitrine.platform.stores`), which catches these errors without importing
the stores; the names are re-exported here for the stores' own code.
"""

from __future__ import annotations

from vitrine.platform.stores import (
    ApiBadRequest,
    ApiConflict,
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiUnauthorized,
    ApiUnavailable,
)

__all__ = [
    "ApiBadRequest",
    "ApiConflict",
    "ApiError",
    "ApiForbidden",
    "ApiNotFound",
    "ApiRateLimited",
    "ApiUnauthorized",
    "ApiUnavailable",
]
