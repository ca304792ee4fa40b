"""The outbox: at-most-once handlers, relay after a broker outage, nothing from rolled-back work."""

import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from tests.conftest import celery_on_broker, redis_url
from vitrine.platform import events
from vitrine.platform.celery import app as celery_app
from vitrine.platform.models import Event, HandlerRun
from vitrine.platform.services import event_deliver, events_relay
from vitrine.platform.tasks import deliver_event

EVENT = events.SHOP_INSTALLED
DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def calls() -> Iterator[list[int]]:
    """Replace the handlers of EVENT with one that records the event ids it saw."""
    seen: list[int] = []
    saved = events._handlers.pop(EVENT, {})

    @events.handles(EVENT)
    def record(event: Event) -> None:
        seen.append(event.pk)

    yield seen
    events._handlers[EVENT] = saved


def celery_test_broker() -> str:
    """A Redis database of its own, so queued test messages never meet other data."""
    parts = urlsplit(redis_url())
    return urlunsplit(parts._replace(path="/9"))


def wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_unknown_event_type_is_refused(db):
    with pytest.raises(events.UnknownEventType, match=r"unknown event type 'catalog\.oops'"):
        events.emit("catalog.oops", {})


def test_event_delivered_three_times_runs_each_handler_once(shop, calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit(EVENT, {"n": 1}, shop=shop)
    deliver_event.apply(args=[event.pk])
    # A redelivery that arrives before the first delivery was marked done must not run handlers again.
    Event.objects.filter(pk=event.pk).update(delivered_at=None)
    deliver_event.apply(args=[event.pk])
    assert calls == [event.pk]
    assert HandlerRun.objects.filter(event=event).count() == 1
    event.refresh_from_db()
    assert event.delivered_at is not None


def test_rolled_back_event_is_never_delivered(shop, calls, settings, django_capture_on_commit_callbacks):
    settings.EVENT_RELAY_GRACE_SECONDS = 0
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.emit(EVENT, {"n": 2}, shop=shop)
        raise RuntimeError("the business write failed")
    assert callbacks == []
    assert not Event.objects.exists()
    assert events_relay() == 0
    assert calls == []


def test_failed_handler_is_retried_by_the_relay_and_others_do_not_rerun(shop, calls, settings,
                                                                        django_capture_on_commit_callbacks):
    settings.EVENT_RELAY_GRACE_SECONDS = 0
    attempts: list[int] = []

    @events.handles(EVENT)
    def flaky(event: Event) -> None:
        attempts.append(event.pk)
        if len(attempts) == 1:
            raise ConnectionError("store timed out")

    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit(EVENT, {}, shop=shop)
    event.refresh_from_db()
    assert event.delivered_at is None and "store timed out" in event.last_error
    Event.objects.filter(pk=event.pk).update(next_attempt_at=None)  # skip the backoff wait
    assert events_relay() == 1
    event.refresh_from_db()
    assert event.delivered_at is not None
    assert calls == [event.pk]  # the healthy handler ran once in total
    assert len(attempts) == 2


@pytest.mark.django_db(transaction=True)
def test_event_committed_while_broker_down_is_relayed_when_it_is_back(shop, calls, settings, redis_client):
    settings.EVENT_RELAY_GRACE_SECONDS = 0
    with celery_on_broker(DEAD_BROKER):
        with transaction.atomic():
            event = events.emit(EVENT, {"n": 3}, shop=shop)
        event.refresh_from_db()
        assert event.dispatched_at is None and event.delivered_at is None
        assert events_relay() == 0  # still down: stays in the outbox

    broker = celery_test_broker()
    with celery_on_broker(broker):
        celery_app.connection_for_write().default_channel.client.flushdb()
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            assert events_relay() == 1
            assert wait_for(lambda: Event.objects.get(pk=event.pk).delivered_at is not None)
    assert calls == [event.pk]


@pytest.mark.django_db(transaction=True)
def test_real_worker_on_redis_delivers_end_to_end(shop, calls, redis_client):
    with celery_on_broker(celery_test_broker()):
        celery_app.connection_for_write().default_channel.client.flushdb()
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            with transaction.atomic():
                event = events.emit(EVENT, {"n": 4}, shop=shop)
                assert Event.objects.get(pk=event.pk).dispatched_at is None  # nothing leaves before commit
            assert wait_for(lambda: Event.objects.get(pk=event.pk).delivered_at is not None)
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert calls == [event.pk]


def test_event_delivery_is_recorded_per_handler(shop, calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit(EVENT, {}, shop=shop)
    assert event_deliver(event_id=event.pk) == []  # already delivered: nothing runs
    assert list(HandlerRun.objects.filter(event=event).values_list("handler", flat=True)) == [
        "tests.platform.test_events.calls.<locals>.record"
    ]
