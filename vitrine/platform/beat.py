"""The beat schedule, in one registry: each app declares its periodic tasks on its ``AppConfig`` as
``periodic_tasks = (PeriodicTask(...), ...)``, and the kernel builds Celery's ``beat_schedule`` from every
installed app's declarations once the app registry is ready (``PlatformConfig.ready``).

So a periodic task is declared next to the app that owns it, the kernel names no other app's task, and there is
one place to read what beat runs. Intervals stay settings (``TAOBAO_SYNC_INTERVAL`` and the like, set from the
environment); a declaration names the setting, read when the schedule is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from celery.schedules import crontab
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PeriodicTask:
    """One beat entry: ``name`` in the schedule, the Celery ``task`` name, and ``every``: seconds, a setting
    holding seconds (its name), or a Celery schedule such as a ``crontab``."""

    name: str
    task: str
    every: str | int | float | crontab

    def schedule(self) -> int | float | crontab:
        if isinstance(self.every, str):
            return getattr(settings, self.every)
        return self.every


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule`` from every installed app's ``periodic_tasks``; a name used twice is refused."""
    schedule: dict[str, dict[str, Any]] = {}
    for config in apps.get_app_configs():
        for periodic in getattr(config, "periodic_tasks", ()):
            if periodic.name in schedule:
                raise ImproperlyConfigured(f"beat entry {periodic.name!r} is declared twice ({config.label})")
            schedule[periodic.name] = {"task": periodic.task, "schedule": periodic.schedule()}
    return schedule
