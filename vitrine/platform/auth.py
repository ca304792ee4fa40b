"""Authentication backends: django-axes' login throttling in front of Django's model backend."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest

# The session key naming the shop a signed-in merchant works on: a store's install flow sets it, the merchant
# app reads it. Kept in the kernel so that the stores need not import the merchant app.
SHOP_SESSION_KEY = "console_shop_id"


class LoginThrottleBackend(AxesStandaloneBackend):
    """Throttles every login that comes with a request (the admin's and the console's login forms, the
    API's session login). A call without a request (a management command, the test client's ``login``) has
    no address to count against, so it is left to the next backend instead of being refused."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,  # type: ignore[override]
                     password: str | None = None, **kwargs: Any) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
