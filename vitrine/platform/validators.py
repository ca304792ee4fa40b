"""Field validators shared by models, forms, serializers and services."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# BCP 47 language tags (RFC 5646, well-formed syntax; grandfathered tags aside): language, extlang, script,
# region, variants, extensions, private use. A tag names folders of exports, so nothing else may pass.
_BCP47 = re.compile(
    r"""^(?:
        (?P<language>[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})
        (?:-[A-Za-z]{4})?                          # script
        (?:-(?:[A-Za-z]{2}|[0-9]{3}))?             # region
        (?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*   # variants
        (?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*    # extensions
        (?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?           # private use
    |[Xx](?:-[A-Za-z0-9]{1,8})+)$""",
    re.VERBOSE,
)


def is_language_tag(value: str) -> bool:
    return isinstance(value, str) and len(value) <= 35 and _BCP47.fullmatch(value) is not None


def validate_language_tag(value: str) -> None:
    """Refuse anything that is not a well-formed BCP 47 tag (``de-DE``, ``zh-Hant-TW``, ``es-419``)."""
    if not is_language_tag(value):
        raise ValidationError(
            "%(value)r is not a BCP 47 language tag such as de-DE, zh-Hant-TW or es-419",
            code="invalid_language_tag", params={"value": value},
        )
