"""The Celery app. Queues: ``default`` (I/O, events, publishing) and ``gpu`` (rendering).

GPU workers run ``celery -A vitrine.platform worker -Q gpu --pool=solo --concurrency=1``, one per GPU:
CUDA cannot be initialised again in a forked child, so nothing touches CUDA before the worker starts.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vitrine.platform.settings")

app = Celery("vitrine")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("gpu"))
# The store packages are listed too: autodiscovery imports ``<package>.tasks`` only, not sub-packages' tasks.
app.autodiscover_tasks(["vitrine.platform", "vitrine.connectors", "vitrine.connectors.shopify",
                        "vitrine.connectors.taobao", "vitrine.inference", "vitrine.review", "vitrine.templates",
                        "vitrine.api"])

_task_log_tokens: dict[str, Any] = {}


@signals.celeryd_init.connect
def _refuse_insecure_worker(**_: Any) -> None:
    # Sent by `celery worker` only (not by in-process test workers). Celery logs and swallows exceptions of
    # signal receivers, so the refusal exits.
    from django.core.exceptions import ImproperlyConfigured

    from vitrine.platform.checks import refuse_insecure_start

    try:
        refuse_insecure_start()
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from None


@signals.task_prerun.connect
def _bind_task_log_context(task_id: str | None = None, **_: Any) -> None:
    from vitrine.platform.logging import _context

    _task_log_tokens[task_id or ""] = _context.set({**_context.get({}), "task_id": task_id})


@signals.task_postrun.connect
def _unbind_task_log_context(task_id: str | None = None, **_: Any) -> None:
    from vitrine.platform.logging import _context

    token = _task_log_tokens.pop(task_id or "", None)
    if token is not None:
        _context.reset(token)
