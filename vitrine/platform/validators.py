"""Field validators shared by models, forms, serializers and services."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# BCP 47 language tags (RFC 5646, well-formed syntax; grandfathered tags aside): language, extlang, script,
# region, variants, extensions, private use. A tag names folders of exports, so nothing else may pass.
_BCP47 = re.compile(
    r"""^(?:
        (?P<language>[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})
        (?:-(?P<script>[A-Za-z]{4}))?
        (?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?
        (?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)
        (?P<extensions>(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*)
        (?P<private>(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?)
    |[Xx](?:-[A-Za-z0-9]{1,8})+)$""",
    re.VERBOSE,
)


def language_tag_match(value: str) -> re.Match[str] | None:
    """The tag's parts (``language``, ``script``, ``region``, ``variants``, ``extensions``, ``private``), or
    None when it is not a well-formed tag. The one BCP 47 grammar of the project."""
    if not isinstance(value, str) or len(value) > 35:
        return None
    return _BCP47.fullmatch(value)


def is_language_tag(value: str) -> bool:
    return language_tag_match(value) is not None


def validate_language_tag(value: str) -> None:
    """Refuse anything that is not a well-formed BCP 47 tag (``de-DE``, ``zh-Hant-TW``, ``es-419``)."""
    if not is_language_tag(value):
        raise ValidationError(
            "%(value)r is not a BCP 47 language tag such as de-DE, zh-Hant-TW or es-419",
            code="invalid_language_tag", params={"value": value},
        )
