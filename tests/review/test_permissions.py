"""Who sees what: reviewers and merchant staff see only their shops; everything else is a 404 or a 403."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.review.conftest import make_reviewer, queued_item
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import ShopMembership, Variant
from vitrine.review.models import Decision, ReviewItem


@pytest.fixture
def foreign_item(other_shop, scored_item):  # type: ignore[no-untyped-def]
    """A scored item of shop B (with diff images), built through shop B's own pipeline."""
    item = scored_item("patch", seed=5)
    Variant.objects.filter(pk=item.variant_id).update(shop=other_shop)
    ReviewItem.objects.filter(pk=item.pk).update(shop=other_shop)
    item.refresh_from_db()
    item.variant.source_image.product.shop = other_shop
    item.variant.source_image.product.save()
    return item


@pytest.fixture
def shop_a_client(client, shop):  # type: ignore[no-untyped-def]
    client.force_login(make_reviewer("alice", [shop]))
    return client


def test_shop_a_reviewer_gets_404_for_shop_b_item_page(shop_a_client, foreign_item):
    assert shop_a_client.get(reverse("admin:review_item", args=[foreign_item.pk])).status_code == 404


def test_shop_a_reviewer_gets_404_for_a_decision_on_shop_b_item(shop_a_client, foreign_item):
    for accept in ("text/html", "application/json"):
        response = shop_a_client.post(reverse("admin:review_decide", args=[foreign_item.pk]), {"action": "approve"},
                                      headers={"accept": accept})
        assert response.status_code == 404
    assert not Decision.objects.exists()
    foreign_item.variant.refresh_from_db()
    assert foreign_item.variant.state == VariantState.IN_REVIEW


def test_shop_a_reviewer_gets_404_for_shop_b_images(shop_a_client, foreign_item):
    variant = foreign_item.variant
    shas = [variant.output_id, variant.source_image.image_id,
            *variant.review_artefacts.values_list("blob_id", flat=True)]
    assert len(shas) == 6
    for sha in shas:
        assert shop_a_client.get(reverse("blob", args=[sha])).status_code == 404


def test_shop_b_reviewer_sees_its_own_item_and_diff_images(client, other_shop, foreign_item):
    client.force_login(make_reviewer("bob", [other_shop]))
    assert client.get(reverse("admin:review_item", args=[foreign_item.pk])).status_code == 200
    for sha in foreign_item.variant.review_artefacts.values_list("blob_id", flat=True):
        response = client.get(reverse("blob", args=[sha]))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_shop_b_items_stay_out_of_shop_a_queue_bulk_and_log(shop_a_client, shop, other_shop):
    mine = queued_item(shop, seed=1, verdict="pass", score=0.99)
    theirs = queued_item(other_shop, seed=2, verdict="pass", score=0.99)
    page = shop_a_client.get(reverse("admin:review_reviewitem_changelist")).content.decode()
    assert f'data-item-id="{mine.pk}"' in page and f'data-item-id="{theirs.pk}"' not in page
    assert "Globex" not in page  # not even as a filter choice

    shop_a_client.post(reverse("admin:review_bulk_approve_confirm"),
                       {"min_score": "0.9", "item_ids": f"{mine.pk},{theirs.pk}"})
    assert list(Decision.objects.values_list("item_id", flat=True)) == [mine.pk]
    theirs.variant.refresh_from_db()
    assert theirs.variant.state == VariantState.IN_REVIEW

    next_response = shop_a_client.post(reverse("admin:review_next"))
    assert next_response.status_code == 303 and str(theirs.pk) not in next_response["Location"]


def test_merchant_staff_see_their_shop(client, shop):
    item = queued_item(shop, seed=1)
    staff = make_reviewer("mia", [shop], role=ShopMembership.Role.OWNER)
    client.force_login(staff)
    assert client.get(reverse("admin:review_item", args=[item.pk])).status_code == 200


def test_staff_without_the_reviewer_permissions_are_forbidden(client, shop):
    item = queued_item(shop, seed=1)
    user = User.objects.create_user("sam", password="x-password-123", is_staff=True)
    ShopMembership.objects.create(user=user, shop=shop)
    client.force_login(user)
    assert client.get(reverse("admin:review_item", args=[item.pk])).status_code == 403
    assert client.post(reverse("admin:review_decide", args=[item.pk]), {"action": "approve"}).status_code == 403
    assert client.get(reverse("admin:review_metrics")).status_code == 403
    assert not Decision.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, shop):
    item = queued_item(shop, seed=1)
    response = client.get(reverse("admin:review_item", args=[item.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
