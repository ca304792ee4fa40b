"""Template filters of the merchant app: the words for codes, and signed image addresses."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from vitrine.console import labels, selectors
from vitrine.templates import selectors as template_selectors

register = template.Library()


def _label(table: dict[str, Any], code: object) -> str:
    value = table.get(str(code))
    return str(value) if value is not None else str(code)


@register.filter
def state_label(code: str) -> str:
    return _label(labels.STATES, code)


@register.filter
def role_label(code: str) -> str:
    return _label(labels.ROLES, code)


@register.filter
def action_label(code: str) -> str:
    return _label(labels.ACTIONS, code)


@register.filter
def reason_label(code: str) -> str:
    return _label(labels.REASONS, code)


@register.filter
def decision_label(code: str) -> str:
    return _label(labels.DECISIONS, code)


@register.filter
def verdict_label(code: str) -> str:
    return _label(labels.VERDICTS, code)


@register.filter
def kind_label(code: str) -> str:
    return _label(labels.KINDS, code)


@register.filter
def event_label(code: str) -> str:
    return _label(labels.EVENTS, code)


@register.simple_tag
def image_src(shop: Any, sha256: str | None) -> str:
    return selectors.image_url(shop, sha256)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def template_title(template: Any) -> str:
    """The template's title in the page's language (the catalogue's Chinese text for Chinese pages)."""
    return template_selectors.template_text(template, get_language() or "en")[0]


@register.filter
def template_description(template: Any) -> str:
    return template_selectors.template_text(template, get_language() or "en")[1]


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{round(float(value) * 100)}%"


@register.filter
def actor_label(actor: str) -> str:
    """A person's name as it is; the system's own workers as "Vitrine (automatic)"."""
    if actor.startswith(("task:", "system:", "policy:")) or actor == "system":
        return str(labels.AUTOMATIC)
    return actor
