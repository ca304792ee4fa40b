"""The one retry policy of tasks that call a store: retryable errors retried with the store's wait or backoff,
terminal and exhausted ones given up on (and handed to the task's hook), database outages left to Celery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vitrine.platform.celery import app as celery_app
from vitrine.platform.stores import ApiBadRequest, ApiError, ApiRateLimited, ApiUnavailable
from vitrine.platform.storetask import RETRY_CAP, StoreTask, retry_countdown

calls: list[int] = []
gave_up: list[tuple[str, Any]] = []
script: list[ApiError | None] = []


class RecordingTask(StoreTask):
    def store_gave_up(self, exc: ApiError, item_id: int) -> None:  # type: ignore[override]
        gave_up.append((type(exc).__name__, item_id))


@celery_app.task(base=RecordingTask, name="tests.storetask.call_store", max_retries=2)
def call_store(item_id: int) -> str:
    calls.append(item_id)
    error = script.pop(0) if script else None
    if error is not None:
        raise error
    return "done"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    # Eager retries re-apply the task in place; with propagation on, the second one would raise instead.
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    calls.clear()
    gave_up.clear()
    script.clear()
    yield
    celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def countdowns(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The countdown of each retry (eager retries run at once; the countdown is what a worker would wait)."""
    seen: list[float] = []
    original = call_store.retry

    def retry(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["countdown"])
        return original(*args, **kwargs)

    monkeypatch.setattr(call_store, "retry", retry)
    return seen


def test_a_retryable_error_is_retried_with_backoff_then_succeeds(countdowns: list[float]) -> None:
    script.extend([ApiUnavailable("down"), ApiRateLimited("slow down", retry_after=42.0), None])
    assert call_store.apply(args=[7]).get() == "done"
    assert calls == [7, 7, 7] and gave_up == []
    assert countdowns == [10.0, 42.0]  # backoff for the first, the store's own wait for the second


def test_a_retryable_error_that_outlasts_the_retries_is_given_up(countdowns: list[float]) -> None:
    script.extend([ApiUnavailable("down")] * 3)
    call_store.apply(args=[7])
    assert calls == [7, 7, 7]  # the first try and max_retries=2 more
    assert gave_up == [("ApiUnavailable", 7)]
    assert countdowns == [10.0, 20.0]


def test_a_terminal_error_is_given_up_at_once(countdowns: list[float]) -> None:
    script.append(ApiBadRequest("refused"))
    result = call_store.apply(args=[7])
    assert result.successful() and result.get() is None
    assert calls == [7] and countdowns == [] and gave_up == [("ApiBadRequest", 7)]


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [retry_countdown(ApiUnavailable("down"), retries) for retries in (0, 1, 2)] == [10.0, 20.0, 40.0]
    assert retry_countdown(ApiUnavailable("down"), 12) == RETRY_CAP
    assert retry_countdown(ApiRateLimited("slow", retry_after=3.0), 12) == 3.0


def test_every_task_that_retries_store_errors_uses_the_policy() -> None:
    import vitrine.connectors.shopify.tasks
    import vitrine.connectors.taobao.tasks
    import vitrine.connectors.tasks
    import vitrine.platform.tasks  # noqa: F401  (registers the tasks)

    for name in ("vitrine.platform.tasks.sync_product", "vitrine.connectors.tasks.publish_variant",
                 "vitrine.connectors.tasks.revert_variant", "vitrine.connectors.shopify.tasks.complete_install",
                 "vitrine.connectors.shopify.tasks.sync_catalog", "vitrine.connectors.taobao.tasks.complete_install",
                 "vitrine.connectors.taobao.tasks.sync_shop"):
        assert isinstance(celery_app.tasks[name], StoreTask), name
