import threading

import pytest
from django.db import connection

from tests.conftest import uses_postgres
from tests.factories import make_variant
from vitrine.platform.lifecycle import TRANSITIONS, IllegalTransition, VariantState
from vitrine.platform.models import Event, VariantTransition
from vitrine.platform.services import variant_transition

S = VariantState


def test_happy_path_writes_one_audit_row_per_move(shop):
    variant = make_variant(shop)
    path = [S.GENERATING, S.GENERATED, S.IN_REVIEW, S.APPROVED, S.PUBLISHING, S.PUBLISHED]
    for state in path:
        variant = variant_transition(variant_id=variant.pk, to=state, actor="test")
    assert variant.state == S.PUBLISHED
    rows = list(VariantTransition.objects.filter(variant=variant).values_list("from_state", "to_state"))
    assert rows == list(zip([S.REQUESTED, *path[:-1]], path, strict=True))


@pytest.mark.parametrize(("start", "target"), [
    (S.REQUESTED, S.PUBLISHED), (S.REQUESTED, S.APPROVED), (S.GENERATED, S.PUBLISHED),
    (S.REJECTED, S.APPROVED), (S.SUPERSEDED, S.REQUESTED), (S.PUBLISHED, S.IN_REVIEW),
])
def test_illegal_moves_raise_and_leave_no_trace(shop, start, target):
    variant = make_variant(shop)
    variant.state = start
    variant.save()
    with pytest.raises(IllegalTransition, match=f"is {start}; moving it to {target} is not allowed"):
        variant_transition(variant_id=variant.pk, to=target, actor="test")
    variant.refresh_from_db()
    assert variant.state == start
    assert not VariantTransition.objects.filter(variant=variant).exists()


def test_every_state_is_in_the_table_and_targets_are_states():
    assert set(TRANSITIONS) == set(S)
    assert all(target in set(S) for targets in TRANSITIONS.values() for target in targets)


def test_expected_from_guards_against_stale_readers(shop):
    variant = make_variant(shop)
    variant_transition(variant_id=variant.pk, to=S.GENERATING, actor="worker-1")
    with pytest.raises(IllegalTransition, match="someone else moved it first"):
        variant_transition(variant_id=variant.pk, to=S.FAILED, actor="worker-2", expected_from=S.REQUESTED)


def test_failing_records_the_reason_and_emits_variant_failed(shop):
    variant = make_variant(shop)
    variant = variant_transition(variant_id=variant.pk, to=S.FAILED, actor="test", reason="No product found")
    assert variant.failure_reason == "No product found"
    assert Event.objects.filter(type="variant.failed", payload__variant_id=variant.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not uses_postgres(), reason="row locks need PostgreSQL (CI runs this on PostgreSQL)")
def test_concurrent_transitions_exactly_one_wins(shop):
    variant = make_variant(shop)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def move(worker: int) -> None:
        try:
            barrier.wait()
            variant_transition(variant_id=variant.pk, to=S.GENERATING, actor=f"worker-{worker}")
            result = "won"
        except IllegalTransition as exc:
            result = str(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=move, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1
    losers = [o for o in outcomes if o != "won"]
    assert len(losers) == 7
    assert all("is generating; moving it to generating is not allowed" in o for o in losers)
    assert VariantTransition.objects.filter(variant=variant, to_state=S.GENERATING).count() == 1
