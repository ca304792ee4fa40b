"""Errors as ``application/problem+json`` (RFC 9457): type, title, status, detail, and ``errors`` per field.

Domain errors of the services map here too: a Django ``ValidationError`` is a 400 with its field errors, an
illegal lifecycle move or a refused action a 409 that says what state the object is in (a colourway error: a 400
on the field it names, else a 409).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from vitrine.api.services import IdempotencyConflict
from vitrine.platform.lifecycle import IllegalTransition
from vitrine.platform.merchants import MarketInUse
from vitrine.platform.services import VariantActionRefused
from vitrine.review.services import (
    ItemAlreadyDecided,
    ItemClaimedByOther,
    ItemNotFound,
    ReviewError,
    VariantNotInReview,
)
from vitrine.templates.colourways import ColourwayError
from vitrine.templates.planner import RequestInvalid
from vitrine.templates.services import RuleInvalid, TemplateInvalid

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://vitrine.dev/problems/"
NON_FIELD = "non_field_errors"

TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    429: "Too many requests",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the object's current state."


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "field.sub" or "items.2": [messages]}."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = NON_FIELD if key in ("non_field_errors", "__all__") else str(key)
            for sub, messages in _flatten(value, f"{prefix}{name}.").items():
                errors.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            errors[prefix.rstrip(".") or NON_FIELD] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                for sub, messages in _flatten(item, f"{prefix}{index}.").items():
                    errors.setdefault(sub, []).extend(messages)
    else:
        errors[prefix.rstrip(".") or NON_FIELD] = [str(detail)]
    return errors


def _translate(exc: Exception) -> Exception:
    """Service-layer exceptions as the API exceptions they amount to."""
    if isinstance(exc, RequestInvalid):
        return exceptions.ValidationError(exc.errors)
    if isinstance(exc, VariantActionRefused | MarketInUse) and not hasattr(exc, "error_dict"):
        return Conflict(" ".join(exc.messages))
    if isinstance(exc, IllegalTransition | ItemClaimedByOther | ItemAlreadyDecided | VariantNotInReview):
        return Conflict(str(exc))
    if isinstance(exc, ItemNotFound):
        return exceptions.NotFound(str(exc))
    if isinstance(exc, ColourwayError):
        # A named input is wrong (400); otherwise the product or shop is not ready for colourways (409).
        return exceptions.ValidationError({exc.field: [str(exc)]}) if exc.field else Conflict(str(exc))
    if isinstance(exc, ReviewError | RuleInvalid | TemplateInvalid):
        return exceptions.ValidationError({NON_FIELD: [str(exc)]})
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({NON_FIELD: exc.messages})
    if isinstance(exc, IdempotencyConflict):
        return Conflict(str(exc))
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def problem_response(*, status_code: int, detail: str, code: str, errors: dict[str, list[str]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.replace("_", "-"),
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_MEDIA_TYPE
    return response


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # an unexpected error: a 500 from Django, logged and reported as usual
    headers = {name: value for name, value in response.headers.items()
               if name in ("WWW-Authenticate", "Retry-After", "Allow")}
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = "; ".join(f"{name}: {' '.join(messages)}" if name != NON_FIELD else " ".join(messages)
                           for name, messages in errors.items())
        return problem_response(status_code=response.status_code, detail=detail or "Invalid request.",
                                code="invalid", errors=errors, headers=headers)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    detail = exc.detail if isinstance(exc.detail, str) else "; ".join(
        f"{k}: {v}" for k, v in _flatten(exc.detail).items())
    return problem_response(status_code=response.status_code, detail=str(detail), code=str(code), headers=headers)
