"""The event spine: a transactional outbox with at-most-once handlers.

``emit()`` writes an :class:`~vitrine.platform.models.Event` row inside the caller's transaction and
hands it to Celery when that transaction commits. If the broker is down at that moment the row stays
undelivered and the periodic relay dispatches it later. A rolled-back transaction takes its events with
it. Handlers register per app in ``handlers.py``; each (event, handler) pair runs at most once, recorded
by a ``HandlerRun`` row written in the handler's own transaction, so redelivery is harmless. A handler never
leaves work to a side effect after its commit: background work it asks for is an outbox row written in
that same transaction (:func:`vitrine.platform.outbox.task_enqueue`).

Apps also register *redrivers* here: what to enqueue again for a variant left too long in a state they
move it out of (the stuck-variant sweep calls them).

Every event type the system knows is named here and nowhere else.
"""

from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

if TYPE_CHECKING:
    from vitrine.platform.models import Event, Shop, Variant

logger = logging.getLogger(__name__)

# --- event types ----------------------------------------------------------------------------------
CATALOG_PRODUCT_CHANGED = "catalog.product_changed"
CATALOG_PRODUCT_SYNCED = "catalog.product_synced"
CATALOG_PRODUCT_DELETED = "catalog.product_deleted"
VARIANT_REQUESTED = "variant.requested"
VARIANT_GENERATED = "variant.generated"
VARIANT_APPROVED = "variant.approved"
VARIANT_REJECTED = "variant.rejected"
VARIANT_REGENERATE_REQUESTED = "variant.regenerate_requested"
VARIANT_PUBLISHED = "variant.published"
VARIANT_FAILED = "variant.failed"
VARIANT_REVERT_REQUESTED = "variant.revert_requested"
SHOP_INSTALLED = "shop.installed"
SHOP_UNINSTALLED = "shop.uninstalled"
SHOP_REDACT_REQUESTED = "shop.redact_requested"

EVENT_TYPES: frozenset[str] = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)

Handler = Callable[["Event"], None]
_handlers: dict[str, dict[str, Handler]] = defaultdict(dict)


class UnknownEventType(ValueError):
    pass


def handles(event_type: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as a handler of ``event_type``; its dotted path is its identity in HandlerRun."""
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown event type {event_type!r}; declare it in vitrine.platform.events")

    def register(fn: Handler) -> Handler:
        _handlers[event_type][f"{fn.__module__}.{fn.__qualname__}"] = fn
        return fn

    return register


Redriver = Callable[["Variant"], None]
_redrivers: dict[str, Redriver] = {}


def redrives(*states: str) -> Callable[[Redriver], Redriver]:
    """Register ``fn`` as what moves a variant stuck in one of ``states`` on (it must enqueue idempotent work)."""

    def register(fn: Redriver) -> Redriver:
        for state in states:
            _redrivers[state] = fn
        return fn

    return register


def redriver_for(state: str) -> Redriver | None:
    return _redrivers.get(state)


def handlers_for(event_type: str) -> dict[str, Handler]:
    return dict(_handlers.get(event_type, {}))


def autodiscover_handlers(app_module: str) -> None:
    try:
        importlib.import_module(f"{app_module}.handlers")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_module}.handlers":
            raise


def emit(event_type: str, payload: dict[str, Any], *, shop: Shop | None = None) -> Event:
    """Record an event in the current transaction; it is dispatched once that transaction commits."""
    from vitrine.platform.models import Event

    if event_type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown event type {event_type!r}; declare it in vitrine.platform.events")
    event = Event.objects.create(type=event_type, payload=payload, shop=shop)
    transaction.on_commit(lambda: dispatch(event.pk))
    return event


def dispatch(event_id: int) -> bool:
    """Hand an event to the broker. Returns False (and leaves it to the relay) when the broker is down."""
    from vitrine.platform.models import Event
    from vitrine.platform.tasks import deliver_event

    try:
        deliver_event.apply_async(args=[event_id], queue="default")
    except Exception as exc:  # kombu raises transport-specific errors; any failure means "not sent"
        logger.warning("event %s not dispatched, the relay will retry: %s", event_id, exc)
        return False
    Event.objects.filter(pk=event_id).update(dispatched_at=timezone.now(), dispatch_count=F("dispatch_count") + 1)
    return True
