"""The beat schedule is built from the periodic tasks each app declares, with intervals from settings."""

from importlib import import_module

import pytest
from celery.schedules import crontab
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from vitrine.platform.beat import PeriodicTask, beat_schedule
from vitrine.platform.celery import app as celery_app


def test_every_periodic_task_of_every_app_is_on_the_schedule_once() -> None:
    schedule = celery_app.conf.beat_schedule
    assert schedule == beat_schedule()
    assert set(schedule) == {
        "relay-undelivered-events", "redrive-stuck-variants", "resume-waiting-variants", "sweep-oauth-states",
        "shopify-reconcile", "taobao-tmc-poll", "taobao-sync", "api-purge-idempotency-keys",
        "plan-deferred-variants", "purge-sent-outbox-tasks",
    }
    for entry in schedule.values():  # a typo in a task name would never run
        module, name = entry["task"].rsplit(".", 1)
        assert getattr(import_module(module), name).name == entry["task"]


def test_intervals_are_the_settings_they_name(settings) -> None:
    assert celery_app.conf.beat_schedule["taobao-tmc-poll"]["schedule"] == settings.TAOBAO_TMC_POLL_INTERVAL
    assert celery_app.conf.beat_schedule["relay-undelivered-events"]["schedule"] == settings.EVENT_RELAY_INTERVAL
    assert celery_app.conf.beat_schedule["plan-deferred-variants"]["schedule"] == crontab(hour=0, minute=5)
    settings.TAOBAO_SYNC_INTERVAL = 120
    assert beat_schedule()["taobao-sync"]["schedule"] == 120


def test_a_name_declared_twice_is_refused(monkeypatch) -> None:
    config = apps.get_app_config("api")
    twice = PeriodicTask("relay-undelivered-events", "vitrine.api.tasks.purge_idempotency_keys", every=60)
    monkeypatch.setattr(config, "periodic_tasks", (*config.periodic_tasks, twice), raising=False)
    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        beat_schedule()
