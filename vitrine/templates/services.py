"""Writes for templates (versioned), rules, the glossary, and the planner that turns them into variants.

The planner creates ``requested`` variants, one per (source image bytes, template version, market). The
kernel's partial unique constraint ``variant_unique_live_plan`` is what keeps a plan from being made twice,
also when two workers plan the same product at once: each insert runs in a savepoint and a conflict means
"already planned". A shop's ``daily_variant_cap`` bounds how many variants are created per day; the rest
wait as :class:`DeferredPlan` rows for :func:`deferred_plan` on a later day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from vitrine.fidelity.thresholds import ThresholdError, thresholds_resolve
from vitrine.inference.errors import UnsupportedParameter
from vitrine.inference.kinds import RECIPES, derive_seed
from vitrine.platform import events
from vitrine.platform.lifecycle import LIVE_STATES, VariantState
from vitrine.platform.models import EditKind, Market, Product, Shop, SourceImage, Variant
from vitrine.platform.services import variants_supersede
from vitrine.templates import selectors
from vitrine.templates.catalogue import BUILTIN, Definition
from vitrine.templates.models import DeferredPlan, GlossaryEntry, TemplateRule, VariantTemplate

logger = logging.getLogger(__name__)

PLANNER = "system:planner"
# Fields a revision may change; slug, version and owner identify the template and never change.
REVISABLE_FIELDS = ("kind", "section", "title", "description", "params", "fidelity_thresholds", "markets",
                    "product_types", "alt_text")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# Planning reads candidate images in chunks (SQLite caps the parameters of one query).
CHUNK = 500


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


# --- the planner ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """One variant the rules ask for."""

    image: SourceImage
    template: VariantTemplate
    market: Market

    @property
    def live_key(self) -> tuple[int, str, str, int, int]:
        return (self.image.pk, self.image.sha256, self.template.slug, self.template.version, self.market.pk)


@dataclass
class PlanOutcome:
    created: list[int] = field(default_factory=list)
    deferred: int = 0  # held back by the daily cap
    existing: int = 0  # planned before (live, or decided: rejected, failed, superseded)

    def add(self, other: PlanOutcome) -> None:
        self.created += other.created
        self.deferred += other.deferred
        self.existing += other.existing


def usable_images(product: Product) -> list[SourceImage]:
    """The product's photos a variant can be made from: current, the merchant's own, and with stored bytes
    (an image whose download failed is kept as a row without them)."""
    return [image for image in product.images.all()
            if image.removed_at is None and not image.published_by_us and image.image_id is not None]


def _candidates(shop: Shop, products: Iterable[Product]) -> list[Candidate]:
    rules = list(shop.template_rules.filter(enabled=True).prefetch_related("markets").order_by("pk"))
    markets = list(shop.markets.filter(enabled=True).order_by("pk"))
    templates = {rule.template_slug: selectors.template_current(rule.template_slug, shop=shop)
                 for rule in rules}
    candidates: list[Candidate] = []
    for product in products:
        if product.deleted_at is not None or product.status.lower() == "archived":
            continue
        images = usable_images(product)
        for rule in rules:
            template = templates[rule.template_slug]
            if template is None or not selectors.rule_matches_product(rule, product):
                continue
            if template.kind == EditKind.COLOURWAY:
                continue  # one variant per colour and confirmed swatch: see vitrine.templates.colourways
            if not selectors.template_fits_product(template, product):
                continue
            chosen = {market.pk for market in rule.markets.all()}
            for market in markets:
                if chosen and market.pk not in chosen:
                    continue
                if not selectors.template_fits_market(template, market):
                    continue
                candidates.extend(Candidate(image, template, market) for image in images)
    return candidates


def _alt_text(candidate: Candidate, glossary: Mapping[str, str]) -> str:
    product = candidate.image.product
    patterns = candidate.template.alt_text
    pattern = patterns.get(candidate.market.language) or patterns.get("en") or "{title}"
    return pattern.format(title=glossary.get(product.title, product.title))[:1000]


def _params(candidate: Candidate, glossary: Mapping[str, str]) -> dict[str, Any]:
    params = dict(candidate.template.params)
    if candidate.template.kind == EditKind.TEXT_LOCALIZE:
        # The market decides the language; the shop's glossary comes before any translation model.
        params["target_language"] = candidate.market.locale
        params["glossary"] = dict(glossary)
    return params


def _variant_create(candidate: Candidate, *, shop: Shop, glossary: Mapping[str, str],
                    supersedes_id: int | None) -> Variant | None:
    """Insert one requested variant; None when the live-plan constraint says it exists already."""
    image, template, market = candidate.image, candidate.template, candidate.market
    try:
        with transaction.atomic():
            return Variant.objects.create(
                shop=shop, source_image=image, market=market, kind=template.kind, template_slug=template.slug,
                template_version=template.version, source_sha256=image.sha256,
                seed=derive_seed(image.sha256, template.slug, template.version, market.locale),
                params=_params(candidate, glossary), alt_text=_alt_text(candidate, glossary),
                # Copied, so the gate a reviewer sees is the one planned, whatever later versions say.
                fidelity_thresholds=dict(template.fidelity_thresholds),
                supersedes_id=supersedes_id, state=VariantState.REQUESTED,
            )
    except IntegrityError:
        return None


def _plan(shop: Shop, candidates: list[Candidate], *, actor: str) -> PlanOutcome:
    """Create the candidates' variants within the day's cap; defer the rest. ``shop`` must be locked."""
    outcome = PlanOutcome()
    remaining = max(0, shop.daily_variant_cap - selectors.variants_created_today(shop))
    glossaries: dict[int, dict[str, str]] = {}
    deferrals: list[DeferredPlan] = []
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        image_ids = {candidate.image.pk for candidate in chunk}
        history = _history(image_ids)
        # Read to keep the cap honest (a plan made before costs nothing today); the constraint inside
        # _variant_create is what keeps two planners from creating the same variant.
        planned = {key for rows in history.values() for key, _, _ in rows}
        done: set[tuple[int, str, int]] = set()
        for candidate in chunk:
            slot = (candidate.image.pk, candidate.template.slug, candidate.market.pk)
            if candidate.live_key in planned:
                outcome.existing += 1
                done.add(slot)
                continue
            if remaining <= 0:
                deferrals.append(DeferredPlan(shop=shop, source_image=candidate.image,
                                              template_slug=candidate.template.slug, market=candidate.market))
                outcome.deferred += 1
                continue
            if candidate.market.pk not in glossaries:
                glossaries[candidate.market.pk] = selectors.glossary_for(shop, candidate.market)
            glossary = glossaries[candidate.market.pk]
            earlier = history.get(slot, [])
            variant = _variant_create(candidate, shop=shop, glossary=glossary,
                                      supersedes_id=earlier[-1][1] if earlier else None)
            planned.add(candidate.live_key)
            done.add(slot)
            if variant is None:
                outcome.existing += 1
                continue
            remaining -= 1
            outcome.created.append(variant.pk)
            events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=shop)
            # A new template version replaces the older version's unpublished variants of this image.
            # (New image bytes need nothing here: the catalogue sync superseded those already.)
            outdated = [pk for _, pk, state in earlier if state in LIVE_STATES - {VariantState.PUBLISHED}]
            if outdated:
                variants_supersede(variants=list(Variant.objects.filter(pk__in=outdated)), actor=actor,
                                   reason=f"replaced by template {candidate.template.slug} "
                                          f"v{candidate.template.version}")
        _deferrals_clear(shop, image_ids, done)
    if deferrals:
        DeferredPlan.objects.bulk_create(deferrals, ignore_conflicts=True)
        logger.warning(
            "shop %s reached its daily cap of %s variants: %s deferred to a later day (%s waiting in all)",
            shop.pk, shop.daily_variant_cap, outcome.deferred, selectors.deferred_count(shop),
        )
    if outcome.created:
        logger.info("planned %s variants for shop %s (%s)", len(outcome.created), shop.pk, actor)
    return outcome


History = dict[tuple[int, str, int], list[tuple[tuple[int, str, str, int, int], int, str]]]


def _history(image_ids: set[int]) -> History:
    """The variants of these images by (image, template slug, market): (plan key, id, state), oldest first."""
    rows = (
        Variant.objects.filter(source_image_id__in=image_ids)
        .order_by("pk")
        .values_list("pk", "source_image_id", "source_sha256", "template_slug", "template_version",
                     "market_id", "state")
    )
    history: History = {}
    for pk, image_id, sha, slug, version, market_id, state in rows:
        history.setdefault((image_id, slug, market_id), []).append(
            ((image_id, sha, slug, version, market_id), pk, state)
        )
    return history


def _deferrals_clear(shop: Shop, image_ids: set[int], done: set[tuple[int, str, int]]) -> None:
    """Drop the deferrals of plans that now exist."""
    if not done:
        return
    waiting = DeferredPlan.objects.filter(shop=shop, source_image_id__in=image_ids).values_list(
        "pk", "source_image_id", "template_slug", "market_id"
    )
    stale = [pk for pk, image_id, slug, market_id in waiting if (image_id, slug, market_id) in done]
    if stale:
        DeferredPlan.objects.filter(pk__in=stale).delete()


def _shop_locked(shop_id: int) -> Shop:
    # One planner per shop at a time, so concurrent plans cannot both spend the rest of the day's cap.
    return Shop.objects.select_for_update().get(pk=shop_id)


def _products_with_images(queryset: Any) -> list[Product]:
    return list(queryset.prefetch_related("images"))


@transaction.atomic
def product_plan(*, product_id: int, actor: str = PLANNER, automatic: bool = False) -> PlanOutcome:
    """Plan the variants the shop's rules ask for one product.

    ``automatic`` is the catalogue-sync path: it does nothing for a shop with automatic generation off
    or one that is not installed. Planning again is harmless: existing plans are left as they are.
    """
    product = Product.objects.get(pk=product_id)
    shop = _shop_locked(product.shop_id)
    if automatic and (not shop.auto_generate or not shop.is_installed):
        return PlanOutcome()
    products = _products_with_images(Product.objects.filter(pk=product_id))
    return _plan(shop, _candidates(shop, products), actor=actor)


def shop_plan(*, shop_id: int, actor: str = PLANNER) -> PlanOutcome:
    """Plan every product of a shop (after adding a rule, a market or a template version)."""
    outcome = PlanOutcome()
    product_ids = list(
        Product.objects.filter(shop_id=shop_id, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(product_ids), CHUNK):
        with transaction.atomic():
            shop = _shop_locked(shop_id)
            chunk = product_ids[start : start + CHUNK]
            products = _products_with_images(Product.objects.filter(pk__in=chunk))
            outcome.add(_plan(shop, _candidates(shop, products), actor=actor))
    return outcome


def deferred_plan(*, shop_id: int, actor: str = PLANNER) -> PlanOutcome:
    """Plan what the daily cap held back, oldest first, as far as today's cap allows.

    A deferral whose rule, template, market or image no longer applies is dropped.
    """
    outcome = PlanOutcome()
    while True:
        with transaction.atomic():
            shop = _shop_locked(shop_id)
            if shop.daily_variant_cap - selectors.variants_created_today(shop) <= 0:
                return outcome
            batch = list(
                DeferredPlan.objects.filter(shop=shop).order_by("created_at", "pk")[:CHUNK]
                .values_list("pk", "source_image_id", "template_slug", "market_id",
                             "source_image__product_id")
            )
            if not batch:
                return outcome
            wanted = {(image_id, slug, market_id) for _, image_id, slug, market_id, _ in batch}
            products = _products_with_images(Product.objects.filter(pk__in={row[4] for row in batch}))
            candidates = [
                candidate for candidate in _candidates(shop, products)
                if (candidate.image.pk, candidate.template.slug, candidate.market.pk) in wanted
            ]
            order = {(image_id, slug, market_id): index for index, (_, image_id, slug, market_id, _) in
                     enumerate(batch)}
            candidates.sort(key=lambda c: order[(c.image.pk, c.template.slug, c.market.pk)])
            still_wanted = {(c.image.pk, c.template.slug, c.market.pk) for c in candidates}
            stale = [pk for pk, image_id, slug, market_id, _ in batch
                     if (image_id, slug, market_id) not in still_wanted]
            DeferredPlan.objects.filter(pk__in=stale).delete()
            step = _plan(shop, candidates, actor=actor)
            outcome.add(step)
            if step.deferred:
                return outcome


# --- merchant requests ----------------------------------------------------------------------------
@dataclass
class RequestOutcome(PlanOutcome):
    """What a request made: created variants, deferred by the cap, planned already, and combinations left
    out with the reason (a template that does not suit a market or a product type)."""

    skipped: list[str] = field(default_factory=list)


@transaction.atomic
def variants_request(*, shop: Shop, product_ids: Iterable[int], template_slugs: Iterable[str],
                     market_ids: Iterable[int], actor: str) -> RequestOutcome:
    """Plan variants for every product, template and market chosen by the merchant, whatever the rules say.

    Goes through the planner: a plan made before is not made twice, the daily cap holds (the rest waits as
    deferred plans), and a new template version supersedes the older version's unpublished variants.
    """
    errors: dict[str, str] = {}
    product_ids, template_slugs, market_ids = list(dict.fromkeys(product_ids)), list(
        dict.fromkeys(template_slugs)), list(dict.fromkeys(market_ids))
    products = list(Product.objects.filter(shop=shop, pk__in=product_ids, deleted_at__isnull=True))
    missing = sorted(set(product_ids) - {product.pk for product in products})
    if not product_ids or missing:
        errors["product_ids"] = (f"no product {missing[0]} in this shop" if missing else "choose at least one product")
    markets = list(Market.objects.filter(shop=shop, pk__in=market_ids))
    missing = sorted(set(market_ids) - {market.pk for market in markets})
    if not market_ids or missing:
        errors["market_ids"] = (f"no market {missing[0]} in this shop" if missing else "choose at least one market")
    templates = []
    for slug in template_slugs:
        template = selectors.template_current(slug, shop=shop)
        if template is None:
            errors["template_slugs"] = f"there is no live template {slug!r}"
            break
        templates.append(template)
    if not template_slugs:
        errors["template_slugs"] = "choose at least one template"
    if errors:
        raise RequestInvalid(errors)
    locked = _shop_locked(shop.pk)
    outcome = RequestOutcome()
    candidates: list[Candidate] = []
    for product in _products_with_images(Product.objects.filter(pk__in=[p.pk for p in products]).order_by("pk")):
        images = usable_images(product)
        if not images:
            outcome.skipped.append(f"product {product.pk} has no source image to work from")
        for template in templates:
            if not selectors.template_fits_product(template, product):
                outcome.skipped.append(f"template {template.slug} does not suit product {product.pk} "
                                       f"({product.product_type or 'no type'})")
                continue
            for market in markets:
                if not selectors.template_fits_market(template, market):
                    outcome.skipped.append(f"template {template.slug} does not suit the {market.locale} market")
                    continue
                candidates.extend(Candidate(image, template, market) for image in images)
    outcome.add(_plan(locked, candidates, actor=actor))
    return outcome


class RequestInvalid(ValueError):
    """A variant request naming products, templates or markets the shop does not have. ``errors`` maps
    each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


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
