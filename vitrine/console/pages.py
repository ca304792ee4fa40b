"""What every merchant-app page does alike: its template context, redirects back, refusals in the merchant's
words, and checking posted forms with the REST API's own serializers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import serializers

from vitrine.api import setup_serializers
from vitrine.console import forms, selectors
from vitrine.console.shop import can
from vitrine.platform.models import Shop
from vitrine.platform.roles import Action
from vitrine.templates import selectors as template_selectors


def page_context(request: HttpRequest, shop: Shop | None, page: str, **extra: Any) -> dict[str, Any]:
    allowed = {action: bool(shop) and can(request, action) for action in Action.values}
    return {
        "page": page, "shop": shop, "can": allowed, "role": getattr(request, "shop_role", None),
        "shops": selectors.console_shops(request.user) if not getattr(request, "embedded", False) else [],
        "embedded": getattr(request, "embedded", False), "shopify_api_key": settings.SHOPIFY_API_KEY,
        "shopify_host": getattr(request, "shopify_host", ""),
        "app_bridge_url": settings.SHOPIFY_APP_BRIDGE_URL, **extra,
    }


def back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the form was on (same site only), else ``default``."""
    target = request.POST.get("next") or default
    if not target.startswith("/") or target.startswith("//"):
        target = default
    return HttpResponseRedirect(target)


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{field}: {' '.join(errs)}" for field, errs in exc.message_dict.items())
        return " ".join(exc.messages)
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict):
        return "; ".join(f"{field}: {message}" for field, message in errors.items())
    return str(exc)


def refused(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, _("That could not be done: %(reason)s") % {"reason": error_text(exc)})


def validated(request: HttpRequest, serializer_class: type[serializers.Serializer], data: dict[str, Any],
               labels: forms.ConsoleForm | None = None, **kwargs: Any) -> dict[str, Any] | None:
    """Check what the merchant sent with the REST API's own serializer (the same rules for both); on errors,
    tell the merchant which field is wrong and return None."""
    serializer = serializer_class(data=data, **kwargs)
    if serializer.is_valid():
        return dict(serializer.validated_data)
    parts = []
    for name, errors in serializer.errors.items():
        field = labels.fields.get(name) if labels is not None else None
        text = " ".join(str(error) for error in (errors if isinstance(errors, list) else [errors]))
        parts.append(f"{field.label}: {text}" if field is not None else text)
    messages.error(request, _("That could not be done: %(reason)s") % {"reason": "; ".join(parts)})
    return None


def posted_fields(request: HttpRequest, *names: str) -> dict[str, Any]:
    return {name: request.POST[name] for name in names if name in request.POST}


def posted_policy(request: HttpRequest) -> dict[str, Any] | None:
    # The form turns the posted text into numbers (the API's serializer takes JSON types only).
    form = forms.PolicyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That could not be done: %(reason)s") % {"reason": form.errors_text()})
        return None
    return validated(request, setup_serializers.ShopSettingsSerializer, form.cleaned_data, form, partial=True)


def ints(values: Iterable[str]) -> list[int]:
    return [int(value) for value in values if str(value).isdigit()]


def template_titles(shop: Shop) -> dict[str, str]:
    language = get_language() or "en"
    templates = template_selectors.templates_current(shop)
    return {t.slug: template_selectors.template_text(t, language)[0] for t in templates}
