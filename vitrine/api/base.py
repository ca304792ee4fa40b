"""What every API v1 view shares: authentication, the one permission class, problem+json errors,
idempotent POSTs, cursor pages and per-caller throttling."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http.request import RawPostDataException
from django_filters.rest_framework import DjangoFilterBackend
from redis.exceptions import RedisError
from rest_framework import exceptions, permissions, throttling
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from vitrine.api import services
from vitrine.api.authentication import (
    Caller,
    ConsoleSessionAuthentication,
    PersonalTokenAuthentication,
    ShopifySessionTokenAuthentication,
)
from vitrine.api.permissions import ShopRolePermission
from vitrine.api.problems import problem_exception_handler
from vitrine.api.schema import IDEMPOTENCY_HEADER
from vitrine.platform.models import Shop
from vitrine.platform.roles import Action

logger = logging.getLogger(__name__)

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class ApiCursorPagination(CursorPagination):
    """Stable pages over growing tables, newest first; ``cursor`` comes from ``next``/``previous``."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"must be a whole number from 1 to {self.max_page_size}"]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class CallerRateThrottle(throttling.SimpleRateThrottle):
    """One budget per personal token (or per user for sessions), set by ``API_THROTTLE_RATE``."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            # The counters' cache is down: answering unthrottled beats failing every request.
            logger.warning("API throttle skipped, its cache is unreachable: %s", exc)
            return True

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, Caller):
            ident = request.auth.key(request.user)
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _body(request: Request) -> bytes:
    try:
        return request.body
    except RawPostDataException:  # a form already parsed (CSRF check of a session): fingerprint its fields
        fields = sorted((name, str(value)) for name, value in request._request.POST.items())
        files = sorted((name, upload.name, upload.size) for name, upload in request._request.FILES.items())
        return repr((fields, files)).encode()


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that a filter given with an empty value is an error rather than no filter."""

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            empty = sorted(name for name in filterset_class.base_filters
                           if name in request.query_params and not all(request.query_params.getlist(name)))
            if empty:
                raise exceptions.ValidationError({name: ["may not be empty"] for name in empty})
        return super().filter_queryset(request, queryset, view)


class _Replay(Exception):
    def __init__(self, status: int, data: Any) -> None:
        self.status, self.data = status, data


class ApiViewSet(GenericViewSet):
    authentication_classes = [PersonalTokenAuthentication, ShopifySessionTokenAuthentication,
                              ConsoleSessionAuthentication]
    permission_classes = [ShopRolePermission]
    throttle_classes = [CallerRateThrottle]
    pagination_class = ApiCursorPagination
    filter_backends = [StrictFilterBackend]
    metadata_class = None  # OPTIONS is not part of the API: 405 like any undocumented method
    parser_classes = [JSONParser]  # one request format; the glossary import alone takes a file upload
    # Ids are row numbers; anything else (or a number no row can have) is a 404 from the catch-all route.
    lookup_value_regex = r"[0-9]{1,18}"
    # The Action each write needs, by view action name (reads need VIEW).
    write_actions: dict[str, str] = {}

    def required_action(self, request: Request) -> str:
        if request.method in permissions.SAFE_METHODS:
            return Action.VIEW
        name = getattr(self, "action", None) or ""
        if not name:
            raise exceptions.MethodNotAllowed(request.method)
        if name not in self.write_actions:
            raise ImproperlyConfigured(f"{type(self).__name__}.{name} names no permission in write_actions")
        return self.write_actions[name]

    @property
    def shop(self) -> Shop:
        return self.request.shop  # type: ignore[attr-defined]

    @property
    def actor(self) -> str:
        return f"user:{self.request.user.pk}"

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["shop"] = getattr(self.request, "shop", None)
        return context

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return problem_exception_handler

    # --- Idempotency-Key ---------------------------------------------------------------------------
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self._idempotency: tuple[Shop, str, str] | None = None
        super().initial(request, *args, **kwargs)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method != "POST" or key is None or not hasattr(request, "shop"):
            return
        if not _KEY.match(key):
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: ["must be 1 to 255 visible ASCII characters"]})
        caller = request.auth.key(request.user) if isinstance(request.auth, Caller) else f"user:{request.user.pk}"
        earlier = services.idempotent_begin(shop=self.shop, caller=caller, key=key, method=request.method,
                                            path=request.get_full_path(), body=_body(request))
        if earlier is not None:
            raise _Replay(earlier.status or 200, earlier.response)
        self._idempotency = (self.shop, caller, key)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return Response(exc.data, status=exc.status, headers={"Idempotent-Replayed": "true"})
        try:
            return super().handle_exception(exc)
        except Exception:
            self._idempotency_finish(500, None)
            raise

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "_idempotency", None) is not None:
            data = response.data if isinstance(response, Response) else None
            self._idempotency_finish(response.status_code,
                                     json.loads(JSONRenderer().render(data)) if data is not None else None)
        return response

    def _idempotency_finish(self, status: int, data: Any) -> None:
        pending = getattr(self, "_idempotency", None)
        if pending is not None:
            shop, caller, key = pending
            services.idempotent_finish(shop=shop, caller=caller, key=key, status=status, response=data)
            self._idempotency = None
