"""Invited people set their password from the invitation's link; anyone can ask for a new link. The e-mails
go through the outbox and the real template rendering; the mail server is Django's in-memory one."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.console.conftest import make_member
from tests.console.test_pages import login
from vitrine.platform.models import OutboxTask, ShopMembership
from vitrine.platform.roles import Role

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-password-9931"


def link_in(message) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"http://\S+/password/\S+/\S+/", message.body).group(0)


def test_an_invited_person_sets_a_password_from_the_e_mail_and_logs_in(client, csv_shop, owner, mailoutbox,
                                                                      django_capture_on_commit_callbacks):
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:team"), {"do": "invite", "email": "Rita@Example.com", "role": "reviewer"})
    assert OutboxTask.objects.filter(task="vitrine.platform.tasks.send_password_link").count() == 1
    (mail,) = mailoutbox
    assert mail.to == ["rita@example.com"] and "Corner Store" in mail.subject
    assert "Set a password for rita@example.com" in mail.body and reverse("console:login") in mail.body
    client.post(reverse("console:logout"))

    link = link_in(mail).removeprefix("http://127.0.0.1:8000")
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "rita@example.com" in form.content.decode()
    mismatch = client.post(form.redirect_chain[-1][0] if form.redirect_chain else link,
                           {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 200 and "message-error" in mismatch.content.decode()
    done = client.post(form.redirect_chain[-1][0] if form.redirect_chain else link,
                       {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("console:login")
    assert "Your password is set" in done.content.decode()
    assert client.login(username="rita@example.com", password=NEW_PASSWORD)
    assert ShopMembership.objects.get(user__email="rita@example.com").role == Role.REVIEWER
    client.logout()
    # The link works once.
    again = client.get(link, follow=True).content.decode()
    assert "This link has expired or was used already" in again


def test_an_invitation_in_chinese_and_one_to_a_person_with_a_password(client, csv_shop, owner, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    login(client, owner)
    colleague = make_member("sam", csv_shop.__class__.objects.create(provider="csvfile", external_id="other",
                                                                      name="Other"), Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:team"), {"do": "invite", "email": colleague.email, "role": "editor"})
        client.cookies["django_language"] = "zh-hans"
        response = client.post(reverse("console:team"), {"do": "invite", "email": "li@example.com", "role": "viewer"})
    assert response.status_code in (200, 302), response.content
    known, chinese = mailoutbox
    assert "Log in with sam@example.com and your password" in known.body  # no need to set one
    assert chinese.to == ["li@example.com"] and "受邀加入" in chinese.subject  # in the inviter's language


def test_asking_for_a_link_says_the_same_whether_or_not_an_account_exists(client, csv_shop, owner, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    page = client.get(reverse("console:login")).content.decode()
    assert reverse("console:password-forgot") in page
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("console:password-forgot"), {"email": "OLIVIA@example.com"})
        unknown = client.post(reverse("console:password-forgot"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    def shown(response, email: str) -> str:  # type: ignore[no-untyped-def]
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode().replace(email, "X"))

    assert shown(known, "OLIVIA@example.com") == shown(unknown, "nobody@example.com")
    (mail,) = mailoutbox
    assert mail.to == ["olivia@example.com"] and mail.subject == "Your Vitrine password link"
    # The link replaces the password.
    link = link_in(mail).removeprefix("http://127.0.0.1:8000")
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert client.login(username=owner.username, password=NEW_PASSWORD)
    assert client.post(reverse("console:password-forgot"), {"email": "not an address"}).status_code == 400


def test_an_inactive_account_gets_no_link(csv_shop, owner, mailoutbox, django_capture_on_commit_callbacks):
    from vitrine.platform.merchants import password_link_request

    get_user_model().objects.filter(pk=owner.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert password_link_request(email=owner.email) == 0
    assert mailoutbox == []
