"""Claims and decisions under real concurrency: threads with their own PostgreSQL connections."""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import uses_postgres
from tests.review.conftest import make_reviewer, queued_item
from vitrine.review.models import Decision, ReviewItem
from vitrine.review.services import (
    DecisionInput,
    ItemAlreadyDecided,
    ItemClaimedByOther,
    review_item_claim_next,
    review_item_decide,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not uses_postgres(), reason="row locks with SKIP LOCKED need PostgreSQL"),
]

THREADS = 8
ITEMS = 40


def run_together(workers: list[Callable[[], Any]]) -> list[Any]:
    """Start every worker at the same moment, each on its own thread (and so its own DB connection)."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)
    errors: list[BaseException] = []

    def run(index: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except BaseException as exc:  # reported on the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def claim_until_empty(reviewer) -> Callable[[], list[int]]:  # type: ignore[no-untyped-def]
    def work() -> list[int]:
        taken = []
        # Each reviewer decides what it claims, then takes the next: like a real session, fast.
        while (item := review_item_claim_next(reviewer=reviewer)) is not None:
            taken.append(item.pk)
            ReviewItem.objects.filter(pk=item.pk).update(state=ReviewItem.State.DECIDED)
        return taken

    return work


def test_concurrent_next_item_calls_never_hand_out_an_item_twice(shop):
    items = [queued_item(shop, seed=n, due_in=timedelta(minutes=n % 7)) for n in range(ITEMS)]
    reviewers = [make_reviewer(f"reviewer{n}", [shop]) for n in range(THREADS)]

    handed_out = run_together([claim_until_empty(reviewer) for reviewer in reviewers])

    counts = Counter(pk for taken in handed_out for pk in taken)
    assert max(counts.values()) == 1, [pk for pk, n in counts.items() if n > 1]
    assert set(counts) == {item.pk for item in items}
    assert sum(1 for taken in handed_out if taken) > 1  # the work really was shared out


def test_concurrent_first_claims_each_get_a_different_item(shop):
    for n in range(THREADS * 2):
        queued_item(shop, seed=n)
    reviewers = [make_reviewer(f"reviewer{n}", [shop]) for n in range(THREADS)]

    claimed = run_together([lambda r=r: review_item_claim_next(reviewer=r).pk for r in reviewers])

    assert len(set(claimed)) == THREADS
    holders = dict(ReviewItem.objects.filter(pk__in=claimed).values_list("pk", "claimed_by__username"))
    assert sorted(holders.values()) == sorted(r.username for r in reviewers)


def test_expired_claims_are_handed_out_again_exactly_once(shop):
    items = [queued_item(shop, seed=n) for n in range(THREADS)]
    first_round = [make_reviewer(f"early{n}", [shop]) for n in range(THREADS)]
    run_together([lambda r=r: review_item_claim_next(reviewer=r) for r in first_round])
    assert ReviewItem.objects.filter(state=ReviewItem.State.CLAIMED).count() == THREADS
    late = make_reviewer("late", [shop])
    assert review_item_claim_next(reviewer=late) is None  # every claim still live

    ReviewItem.objects.update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    second_round = [make_reviewer(f"second{n}", [shop]) for n in range(THREADS)]
    reclaimed = run_together([lambda r=r: review_item_claim_next(reviewer=r).pk for r in second_round])

    assert sorted(reclaimed) == sorted(item.pk for item in items)
    assert set(ReviewItem.objects.values_list("claimed_by__username", flat=True)) == {
        r.username for r in second_round
    }


def test_decisions_on_an_item_claimed_by_someone_else_are_refused(shop):
    item = queued_item(shop, seed=1)
    holder = make_reviewer("holder", [shop])
    assert review_item_claim_next(reviewer=holder).pk == item.pk
    others = [make_reviewer(f"other{n}", [shop]) for n in range(THREADS - 1)]

    def attempt(reviewer) -> str:  # type: ignore[no-untyped-def]
        try:
            review_item_decide(item_id=item.pk, reviewer=reviewer, decision=DecisionInput(action="approve"))
        except (ItemClaimedByOther, ItemAlreadyDecided) as exc:
            return str(exc)
        return "decided"

    outcomes = run_together([lambda r=r: attempt(r) for r in [holder, *others]])

    assert outcomes[0] == "decided"
    for refusal in outcomes[1:]:
        # Whoever got the row lock before the holder sees the live claim; after, the decision.
        assert f"review item {item.pk} is claimed by holder until" in refusal or "already decided" in refusal
    assert list(Decision.objects.values_list("reviewer__username", flat=True)) == ["holder"]


def test_racing_decisions_on_an_open_item_record_exactly_one(shop):
    item = queued_item(shop, seed=1)
    reviewers = [make_reviewer(f"racer{n}", [shop]) for n in range(THREADS)]

    def attempt(reviewer) -> bool:  # type: ignore[no-untyped-def]
        try:
            review_item_decide(item_id=item.pk, reviewer=reviewer,
                               decision=DecisionInput(action="reject", reason_code="anatomy"))
        except ItemAlreadyDecided:
            return False
        return True

    wins = run_together([lambda r=r: attempt(r) for r in reviewers])

    assert wins.count(True) == 1
    assert Decision.objects.count() == 1
