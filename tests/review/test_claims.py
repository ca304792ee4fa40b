"""Choosing and claiming the next item: order, scope, own claims first, expiry, filters."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.review.conftest import make_reviewer, queued_item
from vitrine.platform.lifecycle import VariantState
from vitrine.review import selectors
from vitrine.review.models import ReviewItem
from vitrine.review.selectors import QueueFilters
from vitrine.review.services import review_item_claim_next


def test_items_come_due_first_then_by_priority(shop, reviewer):
    later = queued_item(shop, seed=1, due_in=timedelta(hours=8), priority=9)
    soon_low = queued_item(shop, seed=2, due_in=timedelta(hours=1), priority=0)
    soon_high = queued_item(shop, seed=3, due_in=timedelta(hours=1), priority=5)
    ReviewItem.objects.filter(pk=soon_low.pk).update(due_at=soon_high.due_at)  # due together: priority decides
    other = make_reviewer("otto", [shop])

    taken = [review_item_claim_next(reviewer=user) for user in (reviewer, other)]
    third = make_reviewer("tess", [shop])
    taken.append(review_item_claim_next(reviewer=third))

    assert [item.pk for item in taken] == [soon_high.pk, soon_low.pk, later.pk]
    assert review_item_claim_next(reviewer=make_reviewer("uma", [shop])) is None


def test_claim_sets_owner_and_expiry(shop, reviewer, settings):
    settings.REVIEW_CLAIM_SECONDS = 120
    queued_item(shop, seed=1)
    before = timezone.now()
    item = review_item_claim_next(reviewer=reviewer)
    item.refresh_from_db()
    assert item.state == ReviewItem.State.CLAIMED
    assert item.claimed_by == reviewer
    assert before + timedelta(seconds=119) < item.claim_expires_at <= timezone.now() + timedelta(seconds=120)


def test_own_unexpired_claim_is_returned_again_on_reload(shop, reviewer):
    queued_item(shop, seed=1, due_in=timedelta(hours=3))
    first = review_item_claim_next(reviewer=reviewer)
    # A more urgent item arrives; a reload must still show the item the reviewer already holds.
    queued_item(shop, seed=2, due_in=timedelta(minutes=5))
    again = review_item_claim_next(reviewer=reviewer)
    assert again.pk == first.pk
    assert again.claimed_at == first.claimed_at
    assert again.claim_expires_at >= first.claim_expires_at


def test_expired_claim_is_handed_out_again(shop, reviewer):
    item = queued_item(shop, seed=1)
    review_item_claim_next(reviewer=reviewer)
    other = make_reviewer("otto", [shop])
    assert review_item_claim_next(reviewer=other) is None  # held by rita

    ReviewItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    taken = review_item_claim_next(reviewer=other)
    assert taken.pk == item.pk
    assert taken.claimed_by == other


def test_queue_is_scoped_to_the_reviewers_shops(shop, other_shop, reviewer):
    queued_item(other_shop, seed=1, due_in=timedelta(minutes=1))
    mine = queued_item(shop, seed=2, due_in=timedelta(hours=5))
    assert review_item_claim_next(reviewer=reviewer).pk == mine.pk
    assert review_item_claim_next(reviewer=make_reviewer("nobody", [])) is None


def test_filters_narrow_what_is_claimed(shop, reviewer):
    german = shop.markets.get(locale="de-DE")
    queued_item(shop, seed=1, due_in=timedelta(hours=1), kind="background")
    wanted = queued_item(shop, seed=2, due_in=timedelta(hours=2), kind="text_localize", market=german,
                         template_slug="de-labels")
    filters = QueueFilters(kind="text_localize", market_id=german.pk, template="de-labels")
    assert review_item_claim_next(reviewer=reviewer, filters=filters).pk == wanted.pk
    assert review_item_claim_next(reviewer=reviewer, filters=QueueFilters(verdict="pass")) is None


def test_items_whose_variant_left_review_are_not_served(shop, reviewer):
    item = queued_item(shop, seed=1)
    item.variant.state = VariantState.SUPERSEDED  # e.g. the store replaced the source photo
    item.variant.save()
    assert review_item_claim_next(reviewer=reviewer) is None


def test_neighbours_follow_queue_order(shop, reviewer):
    items = [queued_item(shop, seed=n, due_in=timedelta(hours=n)) for n in (1, 2, 3)]
    assert selectors.item_neighbours(reviewer, items[1], QueueFilters()) == (items[0].pk, items[2].pk)
    assert selectors.item_neighbours(reviewer, items[0], QueueFilters()) == (None, items[1].pk)


@pytest.mark.parametrize("claimed_by_other", [True, False])
def test_peek_skips_items_claimed_by_others(shop, reviewer, claimed_by_other):
    first = queued_item(shop, seed=1, due_in=timedelta(hours=1))
    second = queued_item(shop, seed=2, due_in=timedelta(hours=2))
    if claimed_by_other:
        review_item_claim_next(reviewer=make_reviewer("otto", [shop]))
    expected = second if claimed_by_other else first
    assert selectors.next_item_peek(reviewer, QueueFilters()).pk == expected.pk
