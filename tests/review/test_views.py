"""The admin review pages, driven through the test client."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.review.conftest import make_reviewer, queued_item
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Variant
from vitrine.review.models import Decision, ReviewItem
from vitrine.review.services import DecisionInput, review_item_claim_next, review_item_decide

QUEUE = "admin:review_reviewitem_changelist"


@pytest.fixture
def browser(client, reviewer):  # type: ignore[no-untyped-def]
    client.force_login(reviewer)
    return client


def test_reviewers_group_has_the_review_permissions(db):
    codenames = set(Group.objects.get(name="Reviewers").permissions.values_list("codename", flat=True))
    assert {"view_reviewitem", "decide_reviewitem", "bulk_approve_reviewitem", "view_review_metrics",
            "view_decision", "view_variant"} <= codenames
    assert not {"delete_decision", "change_decision", "add_decision"} & codenames


def test_queue_lists_items_with_counts_and_facets(shop, browser):
    german = shop.markets.get(locale="de-DE")
    queued_item(shop, seed=1, due_in=timedelta(hours=-1))  # overdue
    queued_item(shop, seed=2, kind="text_localize", market=german, template_slug="de-labels", verdict="pass")
    page = browser.get(reverse(QUEUE)).content.decode()
    assert re.search(r'data-count="pending">2<', page)
    assert re.search(r'data-count="overdue">1<', page)
    assert page.count('<tr data-item-id="') == 2
    assert "de-labels" in page and "Text localization" in page

    filtered = browser.get(reverse(QUEUE), {"kind": "text_localize", "market": german.pk}).content.decode()
    assert filtered.count('<tr data-item-id="') == 1
    assert re.search(r'data-count="pending">1<', filtered)


def test_invalid_filters_are_reported(shop, browser):
    page = browser.get(reverse(QUEUE), {"kind": "holograms"}).content.decode()
    assert "Select a valid choice. holograms is not one of the available choices." in page


def test_start_claims_the_next_item_and_opens_it(shop, browser, reviewer):
    item = queued_item(shop, seed=1)
    response = browser.post(reverse("admin:review_next"))
    assert response.status_code == 303
    assert response["Location"] == reverse("admin:review_item", args=[item.pk])
    item.refresh_from_db()
    assert item.claimed_by == reviewer

    empty = browser.post(reverse("admin:review_next") + "?verdict=fail", follow=True)
    assert "Nothing left to review here." in empty.content.decode()


def test_item_page_shows_the_images_report_and_generation_details(shop, browser, scored_item):
    item = scored_item("patch", seed=3)
    following = queued_item(shop, seed=9, due_in=timedelta(days=2))
    variant = item.variant
    page = browser.get(reverse("admin:review_item", args=[item.pk])).content.decode()
    source = variant.source_image
    for sha in (source.image_id, variant.output_id, *variant.review_artefacts.values_list("blob_id", flat=True)):
        assert reverse("blob", args=[sha]) in page
    assert 'class="heatmap-overlay"' in page and 'class="region-box"' in page
    assert "Structure (SSIM)" in page and "Colour shift, worst areas" in page
    for reason in variant.fidelity["reasons"]:
        assert escape(reason) in page
    assert "a sunlit oak table" in page and f"data-seed>{variant.seed}<" in page
    assert "studio-white" in page and "United States" in page and "classical" in page
    assert f'data-prefetch-item-id="{following.pk}"' in page
    step = browser.get(reverse("admin:review_step", args=[item.pk, "next"]) + "?kind=background")
    assert step["Location"] == reverse("admin:review_item", args=[following.pk]) + "?kind=background"
    last = browser.get(reverse("admin:review_step", args=[following.pk, "next"]), follow=True)
    assert last.redirect_chain[-1][0] == reverse("admin:review_item", args=[following.pk])
    assert "There is no next item in the queue." in last.content.decode()


def test_decide_by_json_returns_the_next_claimed_item(shop, browser, reviewer):
    first = queued_item(shop, seed=1, due_in=timedelta(hours=1))
    second = queued_item(shop, seed=2, due_in=timedelta(hours=2))
    third = queued_item(shop, seed=3, due_in=timedelta(hours=3))
    review_item_claim_next(reviewer=reviewer)
    response = browser.post(reverse("admin:review_decide", args=[first.pk]),
                            {"action": "reject", "reason_code": "anatomy", "seconds_spent": "7.25"},
                            headers={"accept": "application/json"})
    assert response.status_code == 200, response.content
    reply = response.json()
    assert reply["message"] == f"Rejected variant {first.variant_id}."
    assert reply["next_item_id"] == second.pk
    assert reply["prefetch_item_id"] == third.pk
    assert reply["next_url"] == reverse("admin:review_item", args=[second.pk])
    decision = Decision.objects.get()
    assert (decision.action, decision.reason_code, decision.seconds_spent) == ("reject", "anatomy", 7.25)
    second.refresh_from_db()
    assert second.claimed_by == reviewer


def test_decision_on_someone_elses_claim_gets_a_clear_409(shop, browser):
    item = queued_item(shop, seed=1)
    review_item_claim_next(reviewer=make_reviewer("otto", [shop]))
    response = browser.post(reverse("admin:review_decide", args=[item.pk]), {"action": "approve"},
                            headers={"accept": "application/json"})
    assert response.status_code == 409
    assert re.fullmatch(rf"The decision was not recorded: review item {item.pk} is claimed by otto until "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; only they can decide it until then",
                        response.json()["error"])


def test_invalid_decision_post_is_a_400_naming_the_field(shop, browser):
    item = queued_item(shop, seed=1)
    response = browser.post(reverse("admin:review_decide", args=[item.pk]),
                            {"action": "regenerate", "reason_code": "anatomy", "params_adjust": "{color: red}"},
                            headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("The decision was not recorded: params_adjust: parameter changes "
                                               "are not valid JSON")


def test_decision_without_javascript_redirects_to_the_next_item(shop, browser):
    first = queued_item(shop, seed=1, due_in=timedelta(hours=1))
    second = queued_item(shop, seed=2, due_in=timedelta(hours=2))
    response = browser.post(reverse("admin:review_decide", args=[first.pk]) + "?kind=background",
                            {"action": "approve"})
    assert response.status_code == 303
    assert response["Location"] == reverse("admin:review_item", args=[second.pk]) + "?kind=background"


def test_decision_post_needs_the_csrf_token(shop, reviewer):
    from django.test import Client

    item = queued_item(shop, seed=1)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reviewer)
    assert strict.post(reverse("admin:review_decide", args=[item.pk]), {"action": "approve"}).status_code == 403
    assert not Decision.objects.exists()


def test_bulk_approval_confirms_the_count_then_approves_each(shop, browser):
    passing = [queued_item(shop, seed=n, verdict="pass", score=0.96) for n in (1, 2)]
    queued_item(shop, seed=3, verdict="pass", score=0.90)
    queued_item(shop, seed=4, verdict="review", score=0.99)

    queue_page = browser.get(reverse(QUEUE), {"min_score": "0.95"}).content.decode()
    assert re.search(r'id="bulk-eligible">2<', queue_page)
    confirm = browser.post(reverse("admin:review_bulk_approve"), {"min_score": "0.95"}).content.decode()
    assert re.search(r"Approve <strong data-bulk-count>2</strong> item\(s\) whose fidelity verdict is <em>pass</em> "
                     r"with a score of at least <strong>0.95</strong>", confirm)
    ids = re.search(r'name="item_ids" value="([\d,]+)"', confirm).group(1)
    assert sorted(int(i) for i in ids.split(",")) == sorted(item.pk for item in passing)

    done = browser.post(reverse("admin:review_bulk_approve_confirm"),
                        {"min_score": "0.95", "item_ids": ids, "seconds_spent": "4"}, follow=True)
    assert "Approved 2 item(s) with verdict pass and score ≥ 0.95." in done.content.decode()
    assert Decision.objects.filter(bulk=True, action="approve").count() == 2
    assert set(Variant.objects.filter(state=VariantState.APPROVED).values_list("review_item__pk", flat=True)) == {
        item.pk for item in passing}


def test_metrics_page_reports_backlog_speed_rates_and_throughput(shop, browser, reviewer):
    queued_item(shop, seed=1, kind="text_localize")
    decided = [queued_item(shop, seed=n, template_slug="studio-white") for n in (2, 3, 4, 5)]
    for item, action, reason, wait in zip(decided, ["approve", "approve", "reject", "regenerate"],
                                          ["", "", "colour_off", "anatomy"], [60, 120, 180, 240], strict=True):
        ReviewItem.objects.filter(pk=item.pk).update(opened_at=timezone.now() - timedelta(seconds=wait))
        review_item_decide(item_id=item.pk, reviewer=reviewer,
                           decision=DecisionInput(action=action, reason_code=reason, seconds_spent=900))
    page = browser.get(reverse("admin:review_metrics")).content.decode()
    assert re.search(r"<td>ACME</td><td>text_localize</td><td>1</td>", page)
    assert re.search(r"data-p50>1[58]\d s<", page)  # waits of 60..240 s: the median is ~150 s
    assert re.search(r"<td>studio-white</td><td>background</td><td>4</td>\s*<td>50%</td><td>25%</td><td>25%</td>",
                     page)
    # 4 decisions in 4 x 900 s = 1 hour of reviewing
    assert re.search(r"<td>rita</td><td>4</td><td>0</td><td>1.00</td>\s*<td>4.0</td>", page)


def test_decision_admin_is_read_only(shop, browser, reviewer, admin_client):
    item = queued_item(shop, seed=1)
    decision = review_item_decide(item_id=item.pk, reviewer=reviewer, decision=DecisionInput(action="approve"))
    change_url = reverse("admin:review_decision_change", args=[decision.pk])
    assert browser.get(reverse("admin:review_decision_changelist")).status_code == 200
    for client in (browser, admin_client):  # not even a superuser edits the log
        assert client.get(change_url).status_code == 200
        assert 'name="_save"' not in client.get(change_url).content.decode()
        assert client.post(change_url, {"note": "edited"}).status_code == 403
        delete_url = reverse("admin:review_decision_delete", args=[decision.pk])
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:review_decision_add")).status_code == 403
    assert Decision.objects.get(pk=decision.pk).note == ""
