"""OpenAPI generation: every operation documents its errors as problem+json (with an example), every POST
its ``Idempotency-Key`` header, and the three ways to authenticate are described."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from vitrine.api.permissions import SHOP_HEADER
from vitrine.api.problems import PROBLEM_MEDIA_TYPE, TITLES, TYPE_BASE

IDEMPOTENCY_HEADER = "Idempotency-Key"

_PROBLEM_DETAILS = {
    "400": ("invalid", "locale: 'xx-123456789' is not a BCP 47 language tag",
            {"locale": ["'xx-123456789' is not a BCP 47 language tag"]}),
    "401": ("not_authenticated", "Authentication credentials were not provided.", None),
    "403": ("permission_denied", "Your role in this shop does not allow this (publish approved variants and "
                                 "revert published ones).", None),
    "404": ("not_found", "No Variant matches the given query.", None),
    "406": ("not_acceptable", "Could not satisfy the request Accept header.", None),
    "409": ("conflict", "variant 42 is in_review; only a failed variant can be retried", None),
    "415": ("unsupported_media_type", 'Unsupported media type "text/plain" in request.', None),
    "429": ("throttled", "Request was throttled. Expected available in 12 seconds.", None),
}
_READ_ERRORS = ("400", "401", "403", "404", "406", "429")
_WRITE_ERRORS = ("400", "401", "403", "404", "406", "409", "415", "429")


def problem_example(code: str) -> OpenApiExample:
    kind, detail, errors = _PROBLEM_DETAILS[code]
    value: dict[str, Any] = {"type": TYPE_BASE + kind.replace("_", "-"), "title": TITLES[int(code)],
                             "status": int(code), "detail": detail, "code": kind}
    if errors:
        value["errors"] = errors
    return OpenApiExample(f"problem {code}", value=value, response_only=True, status_codes=[code],
                          media_type=PROBLEM_MEDIA_TYPE)


class VitrineAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        parameters.append(OpenApiParameter(
            SHOP_HEADER, str, OpenApiParameter.HEADER, required=False,
            description="Console sessions in several shops: the shop's id or domain. Tokens are bound to one shop.",
        ))
        if self.method == "POST":
            parameters.append(OpenApiParameter(
                IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False,
                description="A unique key per intended action: a repeat with the same key returns the first "
                            "answer and does nothing again (kept per token or user and shop).",
            ))
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = _READ_ERRORS if self.method in ("GET", "HEAD") else _WRITE_ERRORS
        for code in codes:
            if code in responses:
                continue
            response = OpenApiResponse(response=self._problem_serializer(), description=TITLES[int(code)],
                                       examples=[problem_example(code)])
            responses[code] = self._get_response_for_code(response, code, media_types=[PROBLEM_MEDIA_TYPE],
                                                          direction=direction)
        return responses

    @staticmethod
    def _problem_serializer() -> Any:
        from vitrine.api.serializers import ProblemSerializer

        return ProblemSerializer

    def get_summary(self) -> str | None:
        summary = super().get_summary()
        if summary is None:
            from drf_spectacular.drainage import warn

            warn(f"{self.method} {self.path} has no summary")
        return summary


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "vitrine.api.authentication.PersonalTokenAuthentication"
    name = "personalToken"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "vit_…",
                "description": "A personal API token (manage.py api_token, or the Team page)."}


class ShopifySessionScheme(OpenApiAuthenticationExtension):
    target_class = "vitrine.api.authentication.ShopifySessionTokenAuthentication"
    name = "shopifySessionToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "An App Bridge session token of the embedded Shopify app."}


class ConsoleSessionScheme(OpenApiAuthenticationExtension):
    target_class = "vitrine.api.authentication.ConsoleSessionAuthentication"
    name = "consoleSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "The console's login session; writes need the X-CSRFToken header."}


def only_api_v1(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """The document describes API v1 only (and not its own schema and reader pages)."""
    hidden = ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/")
    return [endpoint for endpoint in endpoints
            if endpoint[0].startswith("/api/v1/") and not endpoint[0].startswith(hidden)]
