"""The app's own pages carry a Content-Security-Policy without inline code, and the review page still works
under it in a real browser; admin logins are throttled."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.review.conftest import PASSWORD, make_reviewer
from tests.review.test_browser import page  # noqa: F401  (the Chromium fixture)


def policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if " " in part.strip())


def test_pages_carry_a_policy_without_inline_code(client, shop, scored_item) -> None:  # type: ignore[no-untyped-def]
    item = scored_item("patch", seed=1)
    client.force_login(make_reviewer("rita", [shop]))
    for url in (reverse("home"), "/admin/", "/admin/review/reviewitem/",
                reverse("admin:review_item", args=[item.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", url
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        html = response.content.decode()
        assert not re.search(r"\sstyle=", html), f"inline style attribute on {url}"
        assert not re.search(r"<script(?![^>]*\ssrc=)(?![^>]*application/json)[^>]*>", html), \
            f"inline script on {url}"


def test_the_login_form_locks_out_after_repeated_failures(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user("ada", password=PASSWORD, is_staff=True)
    for _ in range(3):
        client.post("/admin/login/", {"username": "ada", "password": "guess"})
    # The right password no longer helps from this address, for this username.
    locked = client.post("/admin/login/", {"username": "ada", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_review_page_works_under_the_policy_in_chromium(page, live_server, shop, scored_item) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    item = scored_item("patch", seed=1)
    make_reviewer("rita", [shop])
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/review/reviewitem/{item.pk}/review/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#review-item")
    box = page.locator(".review-view-1 .region-box").first
    assert box.get_attribute("style") and "left:" in box.get_attribute("style").replace(" ", "")  # placed by JS
    page.keyboard.press("3")  # the scripts run: the view switches
    assert page.locator("#review-item").get_attribute("data-view") == "3"
    assert violations == []
