"""Structured logs: every record carries the shop, variant and task ids of the work in progress."""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest, HttpResponse

# Immutable default; log_context() always sets a fresh dict, never mutates the current one.
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("vitrine_log_context")

CONTEXT_KEYS = ("shop_id", "variant_id", "event_id", "task_id", "request_id")


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Attach ids to every log record emitted inside the block (nested blocks add to the outer ones)."""
    token = _context.set({**_context.get({}), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    return dict(_context.get({}))


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _context.get({})
        for key in CONTEXT_KEYS:
            setattr(record, key, ctx.get(key))
        record.log_context = " ".join(f"{k}={v}" for k, v in ctx.items())
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_KEYS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestLogContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with log_context(request_id=request.headers.get("X-Request-Id")):
            return self.get_response(request)
