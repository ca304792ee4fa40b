"""Follow-up work that is never lost: a task to run is an :class:`OutboxTask` row in the caller's transaction.

This is the one way the code base asks for background work. ``task_enqueue`` writes the row where the
change that needs the work is written (an event handler's transaction, together with its ``HandlerRun``; a
webhook's transaction, together with its inbox row), and sends it once that transaction commits. When the
broker is down at that moment, or the process dies in between, the row stays unsent and the relay
(``outbox_relay``, on beat) sends it later. So a handler is recorded as run exactly when its follow-up work
is durably recorded too; a task can arrive twice (sent, then the mark lost), never zero times, and every task
sent this way is idempotent.
"""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vitrine.platform.models import OutboxTask

logger = logging.getLogger(__name__)

SENT_KEPT_FOR = timedelta(days=7)


def task_enqueue(task: Task | str, *, args: list[Any] | tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None,
                 queue: str = "") -> OutboxTask:
    """Record ``task(*args, **kwargs)`` in the current transaction; it is sent once that transaction commits.

    ``args`` and ``kwargs`` must be JSON values (ids, not objects)."""
    name = task if isinstance(task, str) else task.name
    row = OutboxTask.objects.create(task=name, args=list(args), kwargs=kwargs or {}, queue=queue)
    transaction.on_commit(lambda: task_send(row.pk))
    return row


def _task(name: str) -> Task:
    from vitrine.platform.celery import app

    if name not in app.tasks:
        # Every task is named by its dotted path; importing the module registers it in a web process too.
        importlib.import_module(name.rsplit(".", 1)[0])
    return app.tasks[name]


def task_send(row_id: int) -> bool | None:
    """Hand one recorded task to the broker. False (the row stays for the relay) when that failed; None when
    there was nothing to send (sent already, by the relay or a concurrent sender)."""
    row = OutboxTask.objects.filter(pk=row_id, sent_at__isnull=True).first()
    if row is None:
        return None
    task = _task(row.task)
    options = {"queue": row.queue} if row.queue else {}
    if task.app.conf.task_always_eager:
        # In-process mode: the "send" runs the task right here, so it is marked first and its errors propagate
        # to the caller as they would from a direct call.
        OutboxTask.objects.filter(pk=row.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
        task.apply_async(args=row.args, kwargs=row.kwargs, **options)
        return True
    try:
        task.apply_async(args=row.args, kwargs=row.kwargs, **options)
    except Exception as exc:  # kombu raises transport-specific errors; any failure means "not sent"
        logger.warning("task %s #%s not sent, the relay will retry: %s", row.task, row.pk, exc)
        OutboxTask.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=str(exc)[:2000])
        return False
    OutboxTask.objects.filter(pk=row.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="")
    return True


def outbox_relay(*, limit: int = 500) -> int:
    """Send the recorded tasks still unsent a while after their commit; returns how many were sent."""
    now = timezone.now()
    due = list(
        OutboxTask.objects.filter(sent_at__isnull=True,
                                  created_at__lte=now - timedelta(seconds=settings.EVENT_RELAY_GRACE_SECONDS))
        .order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for row_id in due:
        try:
            ok = task_send(row_id)
        except (ImportError, KeyError):
            # A task name that no longer exists (renamed in a deploy): reported, and the others still go.
            logger.exception("outbox task #%s names no known task", row_id)
            continue
        if ok is None:
            continue
        if not ok:
            break  # the broker is still down: the rest would fail the same way
        sent += 1
    return sent


def outbox_purge() -> int:
    """Delete the tasks sent more than ``SENT_KEPT_FOR`` ago (kept that long to answer "was it sent?");
    daily, not on every relay tick, so the relay's frequent pass stays a read of the unsent index."""
    deleted, _ = OutboxTask.objects.filter(sent_at__lt=timezone.now() - SENT_KEPT_FOR).delete()
    return deleted


def outbox_backlog() -> int:
    """Recorded tasks not sent although their grace period is over (the broker has been unreachable)."""
    cutoff = timezone.now() - timedelta(seconds=settings.EVENT_RELAY_GRACE_SECONDS)
    return OutboxTask.objects.filter(sent_at__isnull=True, created_at__lte=cutoff).count()
