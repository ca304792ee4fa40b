"""Reads for templates, rules, the glossary and the planner's bookkeeping."""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone

from vitrine.platform.models import Market, Product, Shop, Variant
from vitrine.templates.models import DeferredPlan, GlossaryEntry, TemplateRule, VariantTemplate


def templates_for_shop(shop: Shop | None) -> QuerySet[VariantTemplate]:
    """Every version a shop may use: the built-in catalogue and the shop's own templates."""
    own = Q(shop__isnull=True) if shop is None else Q(shop__isnull=True) | Q(shop=shop)
    return VariantTemplate.objects.filter(own)


def template_current(slug: str, *, shop: Shop | None = None) -> VariantTemplate | None:
    """The newest version of ``slug`` the shop may use; None when there is none or it is archived."""
    newest = templates_for_shop(shop).filter(slug=slug).order_by("-version").first()
    return None if newest is None or newest.archived else newest


def templates_current(shop: Shop | None = None) -> list[VariantTemplate]:
    """The newest live version of every template the shop may use, in catalogue order."""
    newest: dict[str, VariantTemplate] = {}
    for template in templates_for_shop(shop).order_by("slug", "-version"):
        newest.setdefault(template.slug, template)
    live = [template for template in newest.values() if not template.archived]
    return sorted(live, key=lambda t: (t.section, t.slug))


def template_version(slug: str, version: int) -> VariantTemplate | None:
    return VariantTemplate.objects.filter(slug=slug, version=version).first()


def template_has_variants(template: VariantTemplate) -> bool:
    return Variant.objects.filter(template_slug=template.slug, template_version=template.version).exists()


def _matches_locale(entry: str, market: Market) -> bool:
    entry = entry.strip().lower()
    return entry == market.locale.lower() if "-" in entry else entry == market.language


def template_fits_market(template: VariantTemplate, market: Market) -> bool:
    return not template.markets or any(_matches_locale(entry, market) for entry in template.markets)


def _any_match(wanted: list[str], present: list[str]) -> bool:
    if not wanted:
        return True
    present_folded = {value.strip().casefold() for value in present}
    return any(value.strip().casefold() in present_folded for value in wanted)


def product_kinds(product: Product) -> list[str]:
    """What a product-type filter matches: the product type (a Taobao item's category id), the category path
    and each of its levels (``女装/女士精品 > 连衣裙``: the path, ``女装/女士精品`` and ``连衣裙``)."""
    levels = [level for level in product.category.split(" > ") if level] if product.category else []
    return [kind for kind in (product.product_type, product.category, *levels) if kind]


def template_fits_product(template: VariantTemplate, product: Product) -> bool:
    return _any_match(template.product_types, product_kinds(product))


def rule_matches_product(rule: TemplateRule, product: Product) -> bool:
    return (
        _any_match(rule.product_types, product_kinds(product))
        and _any_match(rule.tags, list(product.tags))
        and _any_match(rule.vendors, [product.vendor])
    )


def glossary_for(shop: Shop, market: Market) -> dict[str, str]:
    """The shop's phrases for a market: entries for its language, overridden by entries for its locale."""
    entries = GlossaryEntry.objects.filter(shop=shop, locale__in=[market.language, market.locale])
    by_language = {e.source_text: e.translation for e in entries if e.locale.lower() == market.language}
    by_locale = {e.source_text: e.translation for e in entries if e.locale.lower() != market.language}
    return {**by_language, **by_locale}


def day_start(moment: datetime | None = None) -> datetime:
    """Midnight (in the project's time zone) of the day ``moment`` falls in: the daily cap's day."""
    local = timezone.localtime(moment or timezone.now())
    return timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)


def variants_created_today(shop: Shop) -> int:
    return Variant.objects.filter(shop=shop, created_at__gte=day_start()).count()


def deferred_count(shop: Shop) -> int:
    return DeferredPlan.objects.filter(shop=shop).count()


def shops_with_deferrals() -> QuerySet[Shop]:
    return Shop.objects.filter(deferred_plans__isnull=False).distinct()


def glossary_csv(shop: Shop) -> str:
    """The shop's glossary as CSV (``source_text,locale,translation``), the format the import reads."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["source_text", "locale", "translation"])
    for entry in GlossaryEntry.objects.filter(shop=shop).order_by("source_text", "locale"):
        writer.writerow([entry.source_text, entry.locale, entry.translation])
    return buffer.getvalue()


def template_text(template: VariantTemplate, language: str) -> tuple[str, str]:
    """(title, description) of a template in ``language`` (``en`` or ``zh``); English when there is none."""
    from vitrine.templates.catalogue_zh import ZH

    if language.lower().startswith("zh") and template.shop_id is None and template.slug in ZH:
        return ZH[template.slug]
    return template.title, template.description
