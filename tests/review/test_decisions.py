"""Decisions and their effects: variant moves, events on commit, regeneration, bulk approval, audit log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.review.conftest import make_reviewer, queued_item
from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Variant, VariantTransition
from vitrine.platform.services import variant_transition
from vitrine.review.models import Decision, DecisionImmutable, ReviewItem
from vitrine.review.services import (
    DecisionInput,
    InvalidDecision,
    ItemAlreadyDecided,
    ItemClaimedByOther,
    ItemNotFound,
    VariantNotInReview,
    review_item_claim_next,
    review_item_decide,
    review_items_bulk_approve,
)


def decide(item, user, action, **fields):  # type: ignore[no-untyped-def]
    return review_item_decide(item_id=item.pk, reviewer=user, decision=DecisionInput(action=action, **fields))


def emitted(event_type: str) -> list[dict]:
    return list(Event.objects.filter(type=event_type).values_list("payload", flat=True))


def test_approve_moves_the_variant_and_emits_on_commit(shop, reviewer, django_capture_on_commit_callbacks):
    item = queued_item(shop, seed=1)
    with django_capture_on_commit_callbacks() as callbacks:
        decision = decide(item, reviewer, "approve", seconds_spent=12.5)
        assert emitted(events.VARIANT_APPROVED) == [
            {"variant_id": item.variant_id, "decision_id": decision.pk, "reviewer_id": reviewer.pk}
        ]
    assert len(callbacks) == 1  # the event is only dispatched once the decision commits
    item.refresh_from_db()
    item.variant.refresh_from_db()
    assert item.state == ReviewItem.State.DECIDED and item.decided_at is not None
    assert item.variant.state == VariantState.APPROVED
    move = VariantTransition.objects.get(variant=item.variant, to_state=VariantState.APPROVED)
    assert (move.from_state, move.actor) == (VariantState.IN_REVIEW, f"user:{reviewer.pk}")
    assert (decision.action, decision.reason_code, decision.seconds_spent) == ("approve", "", 12.5)
    assert decision.bulk is False


def test_reject_records_reason_and_note(shop, reviewer):
    item = queued_item(shop, seed=1)
    decision = decide(item, reviewer, "reject", reason_code="colour_off", note="the lid is teal, not blue")
    item.variant.refresh_from_db()
    assert item.variant.state == VariantState.REJECTED
    assert VariantTransition.objects.get(variant=item.variant, to_state="rejected").reason == (
        "Colour off: the lid is teal, not blue"
    )
    [payload] = emitted(events.VARIANT_REJECTED)
    assert payload["reason_code"] == "colour_off" and payload["decision_id"] == decision.pk


def test_regenerate_supersedes_with_a_new_requested_variant(shop, reviewer):
    item = queued_item(shop, seed=7)
    old = item.variant
    old.params = {"color": "#FFFFFF", "shadow_opacity": 0.3}
    old.save()
    decide(item, reviewer, "regenerate", reason_code="background_wrong", params_adjust={"color": "#F4F4F4"})

    old.refresh_from_db()
    new = Variant.objects.get(supersedes=old)
    assert old.state == VariantState.SUPERSEDED
    assert new.state == VariantState.REQUESTED
    assert new.seed != old.seed
    assert new.params == {"color": "#F4F4F4", "shadow_opacity": 0.3}
    assert (new.source_image_id, new.market_id, new.template_slug, new.kind) == (
        old.source_image_id, old.market_id, old.template_slug, old.kind
    )
    assert emitted(events.VARIANT_REQUESTED) == [{"variant_id": new.pk}]
    [payload] = emitted(events.VARIANT_REGENERATE_REQUESTED)
    assert (payload["variant_id"], payload["new_variant_id"]) == (old.pk, new.pk)


def test_regenerated_variant_returns_to_the_queue_keeping_its_place(shop, reviewer, scored_item,
                                                                    django_capture_on_commit_callbacks):
    item = scored_item("patch", seed=7)
    ReviewItem.objects.filter(pk=item.pk).update(priority=3)
    item.refresh_from_db()
    decide(item, reviewer, "regenerate", reason_code="anatomy")
    new = Variant.objects.get(supersedes=item.variant)
    assert not ReviewItem.objects.filter(variant=new).exists()  # nothing to review until it is rendered

    # The renderer's part, in short: the new output is stored and variant.generated is emitted.
    for state in (VariantState.GENERATING, VariantState.GENERATED):
        variant_transition(variant_id=new.pk, to=state, actor="test:renderer")
    Variant.objects.filter(pk=new.pk).update(output=item.variant.output, used_mask=item.variant.used_mask)
    with django_capture_on_commit_callbacks(execute=True):
        events.emit(events.VARIANT_GENERATED, {"variant_id": new.pk}, shop=shop)

    reopened = ReviewItem.objects.get(variant=new)
    assert (reopened.due_at, reopened.priority, reopened.state) == (item.due_at, 3, ReviewItem.State.OPEN)
    assert review_item_claim_next(reviewer=reviewer).pk == reopened.pk


def test_decision_on_an_item_claimed_by_someone_else_is_refused(shop, reviewer):
    item = queued_item(shop, seed=1)
    holder = make_reviewer("otto", [shop])
    review_item_claim_next(reviewer=holder)
    with pytest.raises(ItemClaimedByOther, match=rf"review item {item.pk} is claimed by otto until .* UTC"):
        decide(item, reviewer, "approve")
    assert not Decision.objects.exists()
    item.variant.refresh_from_db()
    assert item.variant.state == VariantState.IN_REVIEW
    decide(item, holder, "approve")  # the holder may


def test_decision_after_the_claim_expired_is_allowed(shop, reviewer):
    item = queued_item(shop, seed=1)
    review_item_claim_next(reviewer=make_reviewer("otto", [shop]))
    ReviewItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    assert decide(item, reviewer, "approve").reviewer == reviewer


def test_second_decision_is_refused(shop, reviewer):
    item = queued_item(shop, seed=1)
    decide(item, reviewer, "approve")
    with pytest.raises(ItemAlreadyDecided, match=r"already decided \(approve by rita\)"):
        decide(item, reviewer, "reject", reason_code="anatomy")


def test_decision_on_a_variant_that_left_review_is_refused(shop, reviewer):
    item = queued_item(shop, seed=1)
    Variant.objects.filter(pk=item.variant_id).update(state=VariantState.SUPERSEDED)
    with pytest.raises(VariantNotInReview, match="is superseded, no longer in review"):
        decide(item, reviewer, "approve")


def test_other_shops_items_cannot_be_decided(shop, other_shop, reviewer):
    item = queued_item(other_shop, seed=1)
    with pytest.raises(ItemNotFound, match="belongs to a shop you cannot see"):
        decide(item, reviewer, "approve")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "publish"}, "unknown action 'publish'"),
        ({"action": "approve", "reason_code": "anatomy"}, "an approval takes no reason code"),
        ({"action": "reject"}, "a reject decision needs a reason code"),
        ({"action": "reject", "reason_code": "too_dark"}, "got 'too_dark'"),
        ({"action": "reject", "reason_code": "other", "note": "  "}, "'other' needs a note"),
        ({"action": "approve", "params_adjust": {"color": "#000"}}, "only apply to a regenerate"),
        ({"action": "approve", "seconds_spent": -3.0}, "seconds spent must lie between 0 and 86400"),
    ],
)
def test_invalid_decisions_say_what_is_wrong(shop, reviewer, fields, message):
    item = queued_item(shop, seed=1)
    with pytest.raises(InvalidDecision, match=message):
        review_item_decide(item_id=item.pk, reviewer=reviewer, decision=DecisionInput(**fields))


def test_seconds_spent_defaults_to_time_since_the_claim(shop, reviewer):
    item = queued_item(shop, seed=1)
    review_item_claim_next(reviewer=reviewer)
    ReviewItem.objects.filter(pk=item.pk).update(claimed_at=timezone.now() - timedelta(seconds=40))
    assert 40 <= decide(item, reviewer, "approve").seconds_spent < 45


def test_decisions_cannot_be_edited_or_deleted(shop, reviewer):
    decision = decide(queued_item(shop, seed=1), reviewer, "approve")
    decision.note = "changed my mind"
    with pytest.raises(DecisionImmutable, match="cannot be edited"):
        decision.save()
    with pytest.raises(DecisionImmutable, match="cannot be deleted"):
        decision.delete()
    with pytest.raises(DecisionImmutable, match="cannot be edited"):
        Decision.objects.filter(pk=decision.pk).update(note="x")
    with pytest.raises(DecisionImmutable, match="cannot be deleted"):
        Decision.objects.all().delete()
    assert Decision.objects.get(pk=decision.pk).note == ""


def test_bulk_approve_writes_one_decision_per_item_and_skips_the_rest(shop, reviewer):
    strong = [queued_item(shop, seed=n, verdict="pass", score=0.97) for n in (1, 2, 3)]
    weak = queued_item(shop, seed=4, verdict="pass", score=0.80)
    unsure = queued_item(shop, seed=5, verdict="review", score=0.99)
    held = queued_item(shop, seed=6, verdict="pass", score=0.99, due_in=timedelta(minutes=1))
    review_item_claim_next(reviewer=make_reviewer("otto", [shop]))  # otto holds `held`

    ids = [item.pk for item in [*strong, weak, unsure, held]]
    result = review_items_bulk_approve(reviewer=reviewer, item_ids=ids, min_score=0.95, seconds_spent=9.0)

    assert result.approved == [item.pk for item in strong]
    assert set(result.skipped) == {weak.pk, unsure.pk, held.pk}
    assert "no longer qualifies (verdict pass, score 0.8)" in result.skipped[weak.pk]
    assert "claimed by otto" in result.skipped[held.pk]
    decisions = Decision.objects.filter(bulk=True)
    assert sorted(decisions.values_list("item_id", flat=True)) == sorted(result.approved)
    assert {d.seconds_spent for d in decisions} == {1.5}  # 9 s shared over the 6 listed items
    assert Variant.objects.filter(state=VariantState.APPROVED).count() == 3
    assert len(emitted(events.VARIANT_APPROVED)) == 3


def test_bulk_approve_threshold_must_be_a_score(shop, reviewer):
    with pytest.raises(InvalidDecision, match=r"between 0 and 1; got 1\.5"):
        review_items_bulk_approve(reviewer=reviewer, item_ids=[1], min_score=1.5, seconds_spent=1)


def test_shop_redaction_takes_the_review_data_with_it(shop, reviewer, scored_item):
    from vitrine.platform.services import shop_purge
    from vitrine.review.models import ReviewArtefact

    item = scored_item("patch", seed=1)
    decide(item, reviewer, "approve")
    shop_purge(shop_id=shop.pk)
    assert not Decision.objects.exists()
    assert not ReviewItem.objects.exists()
    assert not ReviewArtefact.objects.exists()
