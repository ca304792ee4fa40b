"""Nothing is lost: follow-up work survives a broker outage, stuck variants are re-driven, abandoned events
are visible and can be re-driven."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tests.conftest import celery_on_broker
from tests.factories import make_variant
from vitrine.platform import events
from vitrine.platform.models import Event, HandlerRun, OutboxTask, Shop, Variant
from vitrine.platform.outbox import SENT_KEPT_FOR, outbox_purge, outbox_relay, task_enqueue
from vitrine.platform.selectors import reliability_counts
from vitrine.platform.services import event_deliver, events_relay, variants_redrive

DEAD_BROKER = "redis://127.0.0.1:1/0"
EVENT = events.SHOP_UNINSTALLED


class FlakyHandler:
    def __init__(self) -> None:
        self.failing = True
        self.seen: list[int] = []

    def __call__(self, event: Event) -> None:
        if self.failing:
            raise ConnectionError("the store is down")
        self.seen.append(event.pk)


@pytest.fixture
def only_handler() -> Iterator[FlakyHandler]:
    """EVENT gets one handler that fails until ``failing`` is cleared."""
    saved = events._handlers.pop(EVENT, {})
    handler = FlakyHandler()
    events._handlers[EVENT]["tests.flaky"] = handler
    yield handler
    events._handlers[EVENT] = saved


@pytest.mark.django_db(transaction=True)
def test_follow_up_task_asked_for_while_the_broker_is_down_is_sent_later(shop, settings):
    """Finding 1: the handler's record commits with its follow-up work (here: purging a redacted shop)."""
    settings.EVENT_RELAY_GRACE_SECONDS = 0
    with celery_on_broker(DEAD_BROKER):
        with transaction.atomic():
            event = events.emit(events.SHOP_REDACT_REQUESTED, {"shop_id": shop.pk}, shop=shop)
        event_deliver(event_id=event.pk)
        event.refresh_from_db()
        assert event.delivered_at is not None and HandlerRun.objects.filter(event=event).exists()
        # The handler ran and its purge task is recorded, unsent: the outage lost nothing.
        (row,) = OutboxTask.objects.filter(task="vitrine.platform.tasks.purge_shop")
        assert row.args == [shop.pk] and row.sent_at is None and "Connection refused" in row.last_error
        assert outbox_relay() == 0  # still down: the row stays
        assert reliability_counts()["tasks_unsent"] == 1
    # The broker is back (in-process mode): the relay sends it and the purge runs.
    assert outbox_relay() == 1
    row.refresh_from_db()
    assert row.sent_at is not None
    assert not Shop.objects.filter(pk=shop.pk).exists()
    assert outbox_relay() == 0  # nothing sent twice


def test_every_follow_up_is_an_outbox_row_written_with_the_handler_run(shop, django_capture_on_commit_callbacks):
    """The one mechanism: a handler that fails after asking for work leaves neither its record nor the work."""
    saved = events._handlers.pop(EVENT, {})

    @events.handles(EVENT)
    def asks_then_fails(event: Event) -> None:
        task_enqueue("vitrine.platform.tasks.purge_shop", args=[shop.pk])
        raise RuntimeError("after asking")

    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = events.emit(EVENT, {}, shop=shop)
        event.refresh_from_db()
        assert event.delivered_at is None
        assert not OutboxTask.objects.exists() and not HandlerRun.objects.exists()
    finally:
        events._handlers[EVENT] = saved


def test_stuck_variants_are_redriven_once_per_deadline(shop, settings, django_capture_on_commit_callbacks,
                                                       monkeypatch):
    settings.VARIANT_STUCK_AFTER = {"requested": 600, "generated": 600, "approved": 600, "publishing": 600}
    sent: list[int] = []
    monkeypatch.setattr("vitrine.platform.outbox.task_send", lambda row_id: sent.append(row_id) or True)
    old = timezone.now() - timedelta(hours=1)
    approved, requested, fresh = make_variant(shop, seed=1), make_variant(shop, seed=2), make_variant(shop, seed=3)
    Variant.objects.filter(pk__in=[approved.pk, fresh.pk]).update(state="approved")
    Variant.objects.filter(pk__in=[approved.pk, requested.pk]).update(updated_at=old)
    Variant.objects.filter(pk=fresh.pk).update(updated_at=timezone.now())

    assert reliability_counts()["variants_stuck"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert variants_redrive() == {"requested": 1, "approved": 1}
    tasks = {(row.task, tuple(map(str, row.args))) for row in OutboxTask.objects.all()}
    assert tasks == {("vitrine.inference.tasks.render_variants", (str([requested.pk]),)),
                     ("vitrine.connectors.tasks.publish_variant", (str(approved.pk),))}
    assert len(sent) == 2
    # The next sweep inside the deadline does not re-drive them again.
    assert variants_redrive() == {}
    # A deadline later both are due again (and the third, approved meanwhile, is now overdue too).
    assert variants_redrive(now=timezone.now() + timedelta(seconds=601)) == {"requested": 1, "approved": 2}


def test_abandoned_event_alerts_counts_and_can_be_redriven(shop, settings, only_handler, caplog, client,
                                                           django_capture_on_commit_callbacks):
    """Finding 5: no silent abandonment."""
    settings.EVENT_MAX_ATTEMPTS = 2
    settings.EVENT_RELAY_GRACE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit(EVENT, {}, shop=shop)
    Event.objects.filter(pk=event.pk).update(next_attempt_at=None)
    with caplog.at_level(logging.ERROR, logger="vitrine.platform.services"):
        events_relay()
    assert any(r.levelno == logging.ERROR and "abandoned after 2 attempts" in r.getMessage() for r in caplog.records)
    assert events_relay() == 0  # the relay stops here...
    assert client.get(reverse("healthz")).json()["reliability"]["events_dead"] == 1  # ...visibly

    admin = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw")
    client.force_login(admin)
    listing = client.get(reverse("admin:platform_event_changelist") + "?delivery=dead")
    assert listing.status_code == 200 and listing.context["cl"].result_count == 1

    only_handler.failing = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:platform_event_changelist"),
                               {"action": "redrive", "_selected_action": [event.pk]})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.delivered_at is not None and only_handler.seen == [event.pk]
    assert client.get(reverse("healthz")).json()["reliability"]["events_dead"] == 0


def test_events_redrive_command_redrives_every_abandoned_event(shop, settings, only_handler,
                                                               django_capture_on_commit_callbacks):
    settings.EVENT_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit(EVENT, {}, shop=shop)
    event.refresh_from_db()
    assert event.attempts == 1 and event.delivered_at is None
    only_handler.failing = False
    with django_capture_on_commit_callbacks(execute=True):
        call_command("events_redrive")
    event.refresh_from_db()
    assert event.delivered_at is not None


def test_a_variant_stuck_generated_is_assessed_again_with_its_render_facts(shop, settings, monkeypatch):
    settings.VARIANT_STUCK_AFTER = {"generated": 600}
    monkeypatch.setattr("vitrine.platform.outbox.task_send", lambda row_id: True)
    variant = make_variant(shop)
    # The render's facts (offset, text boxes) live on the variant, where the assess task reads them.
    Variant.objects.filter(pk=variant.pk).update(state="generated", render_details={"offset": [3, 4]},
                                                 updated_at=timezone.now() - timedelta(hours=1))
    assert variants_redrive() == {"generated": 1}
    (row,) = OutboxTask.objects.all()
    assert (row.task, row.args, row.queue) == ("vitrine.review.tasks.assess_variant", [variant.pk], "default")


def test_an_approved_variant_the_merchant_publishes_is_not_stuck(shop, settings, monkeypatch):
    settings.VARIANT_STUCK_AFTER = {"approved": 600}
    monkeypatch.setattr("vitrine.platform.outbox.task_send", lambda row_id: True)
    shop.settings = {**shop.settings, "publish_on_approve": False}
    shop.save(update_fields=["settings"])
    variant = make_variant(shop)
    Variant.objects.filter(pk=variant.pk).update(state="approved", updated_at=timezone.now() - timedelta(hours=1))
    variants_redrive()
    assert not OutboxTask.objects.filter(task="vitrine.connectors.tasks.publish_variant").exists()
    assert Variant.objects.get(pk=variant.pk).redriven_at is None  # not counted as re-driven either
    assert reliability_counts()["variants_stuck"] == 0  # nor reported stuck by the health check


@pytest.mark.django_db
def test_sent_outbox_tasks_are_purged_daily_once_kept_long_enough_and_unsent_ones_never() -> None:
    from vitrine.platform.celery import app

    now = timezone.now()
    _old_sent, recent_sent, old_unsent = (
        OutboxTask.objects.create(task="vitrine.platform.tasks.purge_shop", args=[n], kwargs={}, sent_at=sent_at)
        for n, sent_at in enumerate((now - SENT_KEPT_FOR - timedelta(hours=1), now - timedelta(days=1), None))
    )
    OutboxTask.objects.filter(pk=old_unsent.pk).update(created_at=now - timedelta(days=30))
    assert outbox_relay(limit=0) == 0 and OutboxTask.objects.count() == 3  # the relay's tick deletes nothing
    assert outbox_purge() == 1
    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {recent_sent.pk, old_unsent.pk}
    entry = app.conf.beat_schedule["purge-sent-outbox-tasks"]
    assert entry["task"] in app.tasks and entry["schedule"].hour == {3}
