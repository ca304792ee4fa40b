"""End to end in headless Chromium: log in, review three items with the keyboard only, bulk approve."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.review.conftest import PASSWORD, make_reviewer
from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Variant
from vitrine.review.models import Decision, ReviewItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium) -> Iterator:  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def review_handlers_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Rendering and publishing (other apps' handlers) stay out: this test checks the review's own effects,
    and a regenerated variant must not come back into the queue halfway through it."""
    own = {
        event_type: {name: handler for name, handler in handlers.items() if name.startswith("vitrine.review.")}
        for event_type, handlers in events._handlers.items()
    }
    monkeypatch.setattr(events, "_handlers", defaultdict(dict, own))


def current_item(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#review-item").get_attribute("data-item-id"))


def wait_for_prefetch(page, item_id: int) -> None:  # type: ignore[no-untyped-def]
    # A selector, not wait_for_function: the page's Content-Security-Policy forbids evaluating strings.
    page.wait_for_selector(f"html[data-prefetched-item='{item_id}']", state="attached")


def test_keyboard_review_and_bulk_approve(page, live_server, shop, scored_item, artifacts_dir, review_handlers_only):
    reviewer = make_reviewer("rita", [shop])
    changed = [scored_item("patch", seed=n) for n in (1, 2, 3)]
    passing = [scored_item("background", seed=n) for n in (4, 5, 6)]
    now = timezone.now()
    for hours, item in enumerate([*changed, *passing], start=1):
        ReviewItem.objects.filter(pk=item.pk).update(due_at=now + timedelta(hours=hours))
    first, second, third = changed

    # Log in with the keyboard.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/review/reviewitem/")
    page.keyboard.type("rita")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#review-queue")
    assert page.locator('[data-count="pending"]').inner_text() == "6"
    assert page.locator("#review-list tbody tr").count() == 6
    page.screenshot(path=str(artifacts_dir / "review-queue.png"), full_page=True)

    # n: claim and open the first item.
    page.keyboard.press("n")
    page.wait_for_selector("#review-item")
    assert current_item(page) == first.pk
    assert "Claimed by you" in page.locator("[data-claim]").inner_text()

    # Views, heatmap and zoom from the keyboard.
    page.keyboard.press("3")
    assert page.locator("#review-item").get_attribute("data-view") == "3"
    assert page.locator(".review-view-3 img[data-image=heatmap]").is_visible()
    page.screenshot(path=str(artifacts_dir / "review-item-diff-view.png"), full_page=True)
    page.keyboard.press("1")
    page.keyboard.press("h")
    assert page.locator(".review-view-1 .heatmap-overlay").is_visible()
    page.keyboard.press("z")
    assert "scale(" in page.locator('.review-view-1 .stage[data-space="original"]').get_attribute("style")
    page.wait_for_timeout(400)  # the zoom animates
    page.screenshot(path=str(artifacts_dir / "review-item-zoomed-heatmap.png"), full_page=True)
    page.keyboard.press("0")
    page.keyboard.press("2")
    page.keyboard.press("ArrowRight")
    assert page.locator("[data-overlay-slider]").input_value() == "60"
    page.keyboard.press("1")
    page.keyboard.press("h")
    page.keyboard.press("?")
    assert page.locator("#review-help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#review-help").is_visible()

    # j / k: look at the next item in the queue and come back.
    page.keyboard.press("j")
    page.wait_for_selector(f"#review-item[data-item-id='{second.pk}']")
    page.keyboard.press("k")
    page.wait_for_selector(f"#review-item[data-item-id='{first.pk}']")

    # a: approve. The next item was prefetched, so it is swapped in without loading its page.
    wait_for_prefetch(page, second.pk)
    second_page_loads: list[str] = []
    page.on("request", lambda request: second_page_loads.append(request.url)
            if f"/{second.pk}/review/" in request.url else None)
    page.keyboard.press("a")
    page.wait_for_selector(f"#review-item[data-item-id='{second.pk}']")
    assert second_page_loads == []
    assert page.url.endswith(f"/admin/review/reviewitem/{second.pk}/review/")
    assert f"Approved variant {first.variant_id}." in page.locator("[data-status]").inner_text()
    page.screenshot(path=str(artifacts_dir / "review-item-after-approve.png"), full_page=True)

    # r then 2: reject as "colour off".
    wait_for_prefetch(page, third.pk)
    page.keyboard.press("r")
    page.keyboard.press("2")
    page.wait_for_selector(f"#review-item[data-item-id='{third.pk}']")

    # g then 6: regenerate for "other", which asks for a note; Enter sends it.
    page.keyboard.press("g")
    page.keyboard.press("6")
    page.keyboard.type("shadow under the vase is missing")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#review-item[data-item-id='{passing[0].pk}']")

    # Bulk approve the three passing items (the first of them is claimed by rita herself).
    page.goto(f"{live_server.url}/admin/review/reviewitem/")
    assert page.locator("#bulk-eligible").inner_text() == "3"
    page.get_by_role("button", name="Bulk approve…").click()
    assert page.locator("[data-bulk-count]").inner_text() == "3"
    assert "verdict is pass with a score of at least 0.90" in page.locator(".bulk-question").inner_text()
    page.screenshot(path=str(artifacts_dir / "review-bulk-confirm.png"), full_page=True)
    page.get_by_role("button", name="Yes, approve 3 item(s)").click()
    page.wait_for_selector("#review-queue")
    assert "Approved 3 item(s)" in page.locator(".messagelist").inner_text()
    assert page.locator('[data-count="pending"]').inner_text() == "0"
    page.screenshot(path=str(artifacts_dir / "review-queue-after-bulk.png"), full_page=True)

    # The effects, in the database.
    decisions = list(Decision.objects.order_by("pk").select_related("variant"))
    assert [(d.item_id, d.action, d.reason_code, d.bulk) for d in decisions] == [
        (first.pk, "approve", "", False),
        (second.pk, "reject", "colour_off", False),
        (third.pk, "regenerate", "other", False),
        *((item.pk, "approve", "", True) for item in passing),
    ]
    assert all(d.reviewer == reviewer for d in decisions)
    assert all(d.seconds_spent > 0 for d in decisions[:3])
    assert decisions[2].note == "shadow under the vase is missing"
    states = dict(Variant.objects.filter(review_item__isnull=False).values_list("review_item__pk", "state"))
    assert states == {first.pk: VariantState.APPROVED, second.pk: VariantState.REJECTED,
                      third.pk: VariantState.SUPERSEDED, **{item.pk: VariantState.APPROVED for item in passing}}
    replacement = Variant.objects.get(supersedes_id=third.variant_id)
    assert replacement.seed != third.variant.seed
    assert Event.objects.filter(type=events.VARIANT_REQUESTED, payload__variant_id=replacement.pk).exists()
    assert Event.objects.filter(type=events.VARIANT_APPROVED).count() == 4
    assert Event.objects.filter(type=events.VARIANT_REJECTED).count() == 1
    assert ReviewItem.objects.exclude(state=ReviewItem.State.DECIDED).count() == 0
