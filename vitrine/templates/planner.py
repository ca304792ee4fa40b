"""The planner: turns the shop's rules (or a merchant's request) and template versions into variants.

The planner creates ``requested`` variants, one per (source image bytes, template version, market). The
kernel's partial unique constraint ``variant_unique_live_plan`` is what keeps a plan from being made twice,
also when two workers plan the same product at once: each insert runs in a savepoint and a conflict means
"already planned". A shop's ``daily_variant_cap`` bounds how many variants are created per day; the rest
wait as :class:`DeferredPlan` rows for :func:`deferred_plan` on a later day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from vitrine.inference.kinds import derive_seed
from vitrine.platform import events
from vitrine.platform.lifecycle import LIVE_STATES, VariantState
from vitrine.platform.models import EditKind, Market, Product, Shop, SourceImage, Variant
from vitrine.platform.services import variants_supersede
from vitrine.templates import selectors
from vitrine.templates.models import DeferredPlan, VariantTemplate

logger = logging.getLogger(__name__)

PLANNER = "system:planner"
# Planning reads candidate images in chunks (SQLite caps the parameters of one query).
CHUNK = 500


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
        if template.kind == EditKind.COLOURWAY and not _colourway_target_given(template):
            # Its target is each colour option's confirmed swatch: one variant per colour, planned per product.
            errors["template_slugs"] = (
                f"template {slug!r} recolours a product to each of its colour options; request those from the "
                "product's colourways (one per colour with a confirmed swatch: the product page's Colourways, or "
                "POST /api/v1/products/{id}/colourways/), not here"
            )
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


def _colourway_target_given(template: VariantTemplate) -> bool:
    return any(template.params.get(name) for name in ("target", "target_lab", "target_image"))


class RequestInvalid(ValueError):
    """A variant request naming products, templates or markets the shop does not have. ``errors`` maps
    each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors
