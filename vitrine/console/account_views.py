"""Pages outside a shop: asking for a password link and setting a password from one (an invitation's link
or a forgotten password's). The e-mails go out through the outbox (``merchants.password_link_request``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vitrine.platform import merchants


@require_http_methods(["GET", "POST"])
def password_forgot(request: HttpRequest) -> HttpResponse:
    """One page for "forgot my password" and "my invitation link expired": the same answer whether or not an
    account has the address, so the page does not tell who has one."""
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        if not email or "@" not in email:
            error = _("Enter the e-mail address you were invited with.")
            return render(request, "console/password_forgot.html", {"page": "login", "email": email, "error": error},
                          status=400)
        merchants.password_link_request(email=email, language=get_language())
        return render(request, "console/password_forgot.html", {"page": "login", "sent": True, "email": email})
    return render(request, "console/password_forgot.html", {"page": "login"})


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """Django's one-time link check (the token expires with PASSWORD_RESET_TIMEOUT and once the password is
    set), in the console's page; then on to the login page."""

    template_name = "console/password_set.html"
    success_url = reverse_lazy("console:login")
    post_reset_login = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "page": "login"}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set: log in with your e-mail address and the new password."))
        return response
