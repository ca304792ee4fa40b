"""Writes for templates (versioned), rules and the glossary. The planner that turns them into variants is in
:mod:`vitrine.templates.planner`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Model

from vitrine.fidelity.thresholds import ThresholdError, thresholds_resolve
from vitrine.inference.errors import UnsupportedParameter
from vitrine.inference.kinds import RECIPES
from vitrine.platform.models import EditKind, Market, Shop, Variant
from vitrine.templates import selectors
from vitrine.templates.catalogue import BUILTIN, Definition
from vitrine.templates.models import GlossaryEntry, TemplateRule, VariantTemplate

# Fields a revision may change; slug, version and owner identify the template and never change.
REVISABLE_FIELDS = ("kind", "section", "title", "description", "params", "fidelity_thresholds", "markets",
                    "product_types", "alt_text")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class TemplateInvalid(ValueError):
    """A template definition the recipes or the fidelity report would refuse."""


class RuleInvalid(ValueError):
    """A rule naming a template the shop cannot use, or markets of another shop."""


# --- templates ------------------------------------------------------------------------------------
def template_validate(
    *, slug: str, kind: str, params: Mapping[str, Any], fidelity_thresholds: Mapping[str, Any],
    alt_text: Mapping[str, str], markets: Iterable[str], product_types: Iterable[str],
) -> None:
    """Refuse, with the reason, anything the recipe, the fidelity report or the planner could not use."""
    where = f"template {slug!r}"
    if kind not in EditKind.values:
        raise TemplateInvalid(f"{where}: kind must be one of {', '.join(EditKind.values)}, not {kind!r}")
    if not isinstance(params, Mapping):
        raise TemplateInvalid(f"{where}: params must be an object of recipe parameters")
    try:
        RECIPES[kind].parameters.resolve(params)
    except UnsupportedParameter as exc:
        raise TemplateInvalid(f"{where}: {exc}") from None
    try:
        thresholds_resolve(kind, fidelity_thresholds)
    except ThresholdError as exc:
        raise TemplateInvalid(f"{where}: {exc}") from None
    if not isinstance(alt_text, Mapping):
        raise TemplateInvalid(f"{where}: alt_text must map a language to a pattern")
    for language, pattern in alt_text.items():
        try:
            str(pattern).format(title="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise TemplateInvalid(
                f"{where}: alt text for {language!r} may only use the placeholder {{title}} ({exc!r})"
            ) from None
    for entry in markets:
        if not isinstance(entry, str) or not _LOCALE.match(entry):
            raise TemplateInvalid(f"{where}: market {entry!r} is not a locale (de-DE) or a language (de)")
    if any(not isinstance(value, str) for value in product_types):
        raise TemplateInvalid(f"{where}: product types must be text")


def _validate_fields(slug: str, fields: Mapping[str, Any]) -> None:
    template_validate(
        slug=slug, kind=fields["kind"], params=fields.get("params", {}),
        fidelity_thresholds=fields.get("fidelity_thresholds", {}), alt_text=fields.get("alt_text", {}),
        markets=fields.get("markets", []), product_types=fields.get("product_types", []),
    )


def template_create(
    *, slug: str, kind: str, title: str, description: str, params: Mapping[str, Any] | None = None,
    shop: Shop | None = None, section: str = VariantTemplate.Section.CUSTOM,
    fidelity_thresholds: Mapping[str, float] | None = None, markets: Iterable[str] = (),
    product_types: Iterable[str] = (), alt_text: Mapping[str, str] | None = None,
) -> VariantTemplate:
    """Version 1 of a new template (a shop's own when ``shop`` is given)."""
    fields: dict[str, Any] = {
        "kind": kind, "section": section, "title": title, "description": description,
        "params": dict(params or {}), "fidelity_thresholds": dict(fidelity_thresholds or {}),
        "markets": list(markets), "product_types": list(product_types), "alt_text": dict(alt_text or {}),
    }
    _validate_fields(slug, fields)
    if VariantTemplate.objects.filter(slug=slug).exists():
        raise TemplateInvalid(f"a template with the slug {slug!r} exists already; revise it instead")
    return VariantTemplate.objects.create(shop=shop, slug=slug, version=1, **fields)


def _revise(template_model: type[Model], variant_model: type[Model], template: Any,
            changes: Mapping[str, Any]) -> tuple[Any, bool]:
    """Apply ``changes`` to ``template``: in place while no variant used it, else as version + 1.

    Returns (the version holding the changes, whether a new version was written). Works on the historical
    models of a migration as well as the live ones.
    """
    unknown = sorted(set(changes) - set(REVISABLE_FIELDS))
    if unknown:
        raise TemplateInvalid(f"template {template.slug!r}: {unknown[0]!r} cannot be revised")
    newest = template_model.objects.filter(slug=template.slug).order_by("-version").first()
    if newest.pk != template.pk:
        raise TemplateInvalid(
            f"template {template.slug!r} v{template.version} is not the newest version (v{newest.version}); "
            "revise the newest one"
        )
    used = variant_model.objects.filter(
        template_slug=template.slug, template_version=template.version
    ).exists()
    if not used:
        for name, value in changes.items():
            setattr(template, name, value)
        template.save()
        return template, False
    fields = {name: getattr(template, name) for name in REVISABLE_FIELDS}
    fields.update(changes)
    revised = template_model.objects.create(
        shop_id=template.shop_id, slug=template.slug, version=template.version + 1, **fields
    )
    return revised, True


@transaction.atomic
def template_revise(*, template_id: int, changes: Mapping[str, Any]) -> VariantTemplate:
    """Change a template. A version that produced variants stays as it was: the change is a new version."""
    template = VariantTemplate.objects.select_for_update().get(pk=template_id)
    fields = {name: getattr(template, name) for name in REVISABLE_FIELDS}
    fields.update(changes)
    _validate_fields(template.slug, fields)
    revised, _ = _revise(VariantTemplate, Variant, template, changes)
    return revised


def template_archive(*, slug: str, shop: Shop | None = None) -> VariantTemplate:
    """Stop planning a template (its variants stay). Unarchive by revising it."""
    template = selectors.template_current(slug, shop=shop)
    if template is None:
        raise TemplateInvalid(f"there is no live template {slug!r} to archive")
    template.archived = True
    template.save(update_fields=["archived"])
    return template


@dataclass(frozen=True)
class CatalogueSyncResult:
    created: list[str]
    revised: list[str]
    unchanged: int


def catalogue_sync(
    *, template_model: type[Model] = VariantTemplate, variant_model: type[Model] = Variant,
    definitions: Iterable[Definition] = BUILTIN,
) -> CatalogueSyncResult:
    """Bring the built-in catalogue in the database in line with ``definitions``; safe to run again."""
    created: list[str] = []
    revised: list[str] = []
    unchanged = 0
    for definition in definitions:
        fields = definition.fields()
        _validate_fields(definition.slug, fields)
        newest = template_model.objects.filter(slug=definition.slug).order_by("-version").first()
        if newest is None:
            template_model.objects.create(shop=None, slug=definition.slug, version=1, **fields)
            created.append(definition.slug)
            continue
        # An operator's archiving is left alone: a revision keeps the template archived.
        changes = {name: value for name, value in fields.items() if getattr(newest, name) != value}
        if not changes:
            unchanged += 1
            continue
        target, _ = _revise(template_model, variant_model, newest, changes)
        if newest.archived and not target.archived:
            target.archived = True
            target.save(update_fields=["archived"])
        revised.append(definition.slug)
    return CatalogueSyncResult(created=created, revised=revised, unchanged=unchanged)


# --- rules and glossary ---------------------------------------------------------------------------
def _clean_list(values: Iterable[str]) -> list[str]:
    return [value.strip() for value in values if value and value.strip()]


@transaction.atomic
def rule_set(
    *, shop: Shop, template_slug: str, markets: Iterable[Market] | None = None,
    product_types: Iterable[str] = (), tags: Iterable[str] = (), vendors: Iterable[str] = (),
    enabled: bool = True,
) -> TemplateRule:
    """Create or replace the shop's rule for one template."""
    if selectors.template_current(template_slug, shop=shop) is None:
        raise RuleInvalid(f"shop {shop} has no live template {template_slug!r}")
    chosen = list(markets or [])
    foreign = [market for market in chosen if market.shop_id != shop.pk]
    if foreign:
        raise RuleInvalid(f"market {foreign[0]} belongs to another shop than {shop}")
    rule, _ = TemplateRule.objects.update_or_create(
        shop=shop, template_slug=template_slug,
        defaults={"product_types": _clean_list(product_types), "tags": _clean_list(tags),
                  "vendors": _clean_list(vendors), "enabled": enabled},
    )
    rule.markets.set(chosen)
    return rule


def locale_normalize(locale: str) -> str:
    """``de_de`` -> ``de-DE``; ``ZH`` -> ``zh``; refuses what is not a locale or language tag."""
    tag = locale.strip().replace("_", "-")
    if not _LOCALE.match(tag):
        raise ValueError(f"{locale!r} is not a locale (de-DE) or a language (de)")
    language, *rest = tag.split("-")
    return "-".join([language.lower(), *(part.upper() if len(part) == 2 else part for part in rest)])


def glossary_set(*, shop: Shop, source_text: str, locale: str, translation: str) -> GlossaryEntry:
    """Record the shop's translation of a phrase for a locale (de-DE) or a whole language (de)."""
    source, target = source_text.strip(), translation.strip()
    if not source or not target:
        raise ValueError("a glossary entry needs both the phrase and its translation")
    entry, _ = GlossaryEntry.objects.update_or_create(
        shop=shop, source_text=source, locale=locale_normalize(locale), defaults={"translation": target}
    )
    return entry


def rule_delete(*, shop: Shop, rule_id: int) -> None:
    """Stop applying a template (its variants stay)."""
    TemplateRule.objects.get(shop=shop, pk=rule_id).delete()


def glossary_delete(*, shop: Shop, entry_id: int) -> None:
    GlossaryEntry.objects.get(shop=shop, pk=entry_id).delete()


@dataclass
class GlossaryImport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)  # "line 4: ..." for each row left out


GLOSSARY_CSV_COLUMNS = ("source_text", "locale", "translation")
GLOSSARY_CSV_MAX_BYTES = 2 * 1024 * 1024


def glossary_import_csv(*, shop: Shop, data: bytes | str) -> GlossaryImport:
    """Add or update glossary entries from CSV with the header ``source_text,locale,translation``.

    Each bad row is reported with its line number and left out; the good rows are imported.
    """
    import csv
    import io

    if isinstance(data, bytes):
        if len(data) > GLOSSARY_CSV_MAX_BYTES:
            raise ValueError(f"the file is larger than {GLOSSARY_CSV_MAX_BYTES // 1024 // 1024} MiB")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("the file is not UTF-8 text; save the CSV as UTF-8") from None
    else:
        text = data.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in GLOSSARY_CSV_COLUMNS if name not in header]
    if missing:
        raise ValueError(f"the CSV header lacks {', '.join(missing)}; expected {','.join(GLOSSARY_CSV_COLUMNS)}")
    result = GlossaryImport()
    existing = {(e.source_text, e.locale) for e in GlossaryEntry.objects.filter(shop=shop)}
    for row in reader:
        line = reader.line_num
        row = {(key or "").strip(): (value or "") for key, value in row.items() if isinstance(value, str)}
        try:
            entry = glossary_set(shop=shop, source_text=row.get("source_text", ""), locale=row.get("locale", ""),
                                 translation=row.get("translation", ""))
        except ValueError as exc:
            result.errors.append(f"line {line}: {exc}")
            continue
        key = (entry.source_text, entry.locale)
        if key in existing:
            result.updated += 1
        else:
            result.created += 1
            existing.add(key)
    return result


@transaction.atomic
def glossary_update(*, shop: Shop, entry_id: int, source_text: str, locale: str, translation: str
                    ) -> GlossaryEntry:
    """Change one entry; refused when another entry has the same phrase and locale already."""
    entry = GlossaryEntry.objects.select_for_update().get(shop=shop, pk=entry_id)
    source, target, tag = source_text.strip(), translation.strip(), locale_normalize(locale)
    if not source or not target:
        raise ValueError("a glossary entry needs both the phrase and its translation")
    clash = GlossaryEntry.objects.filter(shop=shop, source_text=source, locale=tag).exclude(pk=entry.pk)
    if clash.exists():
        raise ValueError(f"there is an entry for {source!r} in {tag} already")
    entry.source_text, entry.locale, entry.translation = source, tag, target
    entry.save()
    return entry
