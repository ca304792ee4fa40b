"""Colourways from variant options: one image per colour the product is sold in but not photographed in.

A product whose options name colours (Shopify's ``Color`` / ``Colour``, Taobao's ``颜色`` / ``颜色分类``) often
has photos of one colour only. For every other colour value the merchant confirms a swatch (a suggestion
from the colour's name is offered); :func:`colourways_plan` then requests one ``colourway`` variant per
confirmed, unphotographed colour, recoloured from the main photo. Each goes through the review queue like
any variant, judged by the fidelity check's ``colourway`` kind against its swatch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from vitrine.inference.kinds import derive_seed
from vitrine.inference.params import parse_color
from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import EditKind, Market, Product, Variant
from vitrine.templates import selectors
from vitrine.templates.catalogue import COLOURWAYS_FROM_OPTIONS
from vitrine.templates.models import ColourSwatch
from vitrine.templates.planner import usable_images

COLOUR_OPTION_NAMES = frozenset(
    {"color", "colour", "colors", "colours", "颜色", "颜色分类", "顏色", "farbe", "couleur"}
)
# Suggestions only: the merchant confirms (or corrects) every swatch before anything is rendered.
NAMED_COLOURS = {
    "black": "#111111", "white": "#F5F5F3", "grey": "#8A8D91", "gray": "#8A8D91", "charcoal": "#36393D",
    "navy": "#1F2A44", "blue": "#2D5DA8", "sky blue": "#87B5E0", "red": "#B22234", "burgundy": "#7A1F3D",
    "pink": "#E8A0B4", "green": "#2E7D4F", "olive": "#6B6E34", "khaki": "#B8A77A", "beige": "#D8C8A8",
    "brown": "#6B4A2E", "yellow": "#E8C547", "mustard": "#D8A31A", "orange": "#E07B2A", "purple": "#6A4C93",
    "黑色": "#111111", "白色": "#F5F5F3", "灰色": "#8A8D91", "藏青": "#1F2A44", "藏青色": "#1F2A44",
    "蓝色": "#2D5DA8", "红色": "#B22234", "酒红": "#7A1F3D", "粉色": "#E8A0B4", "绿色": "#2E7D4F",
    "卡其": "#B8A77A", "卡其色": "#B8A77A", "米色": "#D8C8A8", "棕色": "#6B4A2E", "黄色": "#E8C547",
    "橙色": "#E07B2A", "紫色": "#6A4C93",
}  # fmt: skip


class ColourwayError(ValueError):
    """Bad input to a colourway service, in words the merchant can act on.

    ``field`` names the input at fault (``option_value``, ``color``, ``market_id``); none means the product or
    the shop is not ready for colourways (no colour option, no photo, no market, the template missing).
    """

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold())


def colour_values(product: Product) -> list[str]:
    """The values of the product's colour option, in the store's order (empty when it has none)."""
    for option in product.options or []:
        if _key(str(option.get("name", ""))) in COLOUR_OPTION_NAMES:
            return [str(value) for value in option.get("values", []) if str(value).strip()]
    return []


def photographed_colours(product: Product, values: list[str]) -> set[str]:
    """Colour values a live photo shows: those its alt text names; none named means the first value."""
    alts = [_key(image.alt) for image in product.images.filter(removed_at__isnull=True)]
    shown = {value for value in values if any(_key(value) in alt for alt in alts)}
    return shown or set(values[:1])


def swatch_suggest(value: str) -> str | None:
    """A starting swatch from the colour's name (never used without the merchant's confirmation)."""
    key = _key(value)
    if key in NAMED_COLOURS:
        return NAMED_COLOURS[key]
    words = [word for word in NAMED_COLOURS if " " not in word and word in key.split()]
    return NAMED_COLOURS[words[-1]] if words else None


def colour_slot(value: str) -> str:
    """The ``Variant.slot`` of a colour's colourway (part of the live-plan key)."""
    return f"colour:{value}"[:100]


@dataclass(frozen=True)
class ColourRow:
    """One colour option value as the merchant sees it before and after making colourways."""

    value: str
    photographed: bool  # a live photo shows it: no colourway is made for it
    swatch: str | None  # the confirmed swatch (#RRGGBB)
    suggested: str | None  # a starting swatch from the name, only while none is confirmed
    variant: Variant | None  # the newest colourway of this colour (any market, any state)


def colourways_overview(product: Product) -> list[ColourRow]:
    """Each value of the product's colour option in the store's order (empty when it has none)."""
    values = colour_values(product)
    if not values:
        return []
    shown = photographed_colours(product, values)
    swatches = {swatch.option_value: swatch.color for swatch in ColourSwatch.objects.filter(product=product)}
    newest: dict[str, Variant] = {}
    colourways = Variant.objects.filter(
        source_image__product=product, kind=EditKind.COLOURWAY, slot__in=[colour_slot(value) for value in values]
    ).select_related("market", "source_image").order_by("created_at", "pk")
    for variant in colourways:
        newest[variant.slot] = variant  # ordered oldest first: the last one kept is the newest
    return [
        ColourRow(value=value, photographed=value in shown, swatch=swatches.get(value),
                  suggested=None if value in swatches else swatch_suggest(value),
                  variant=newest.get(colour_slot(value)))
        for value in values
    ]


def swatch_confirm(*, product_id: int, option_value: str, color: str, actor: str) -> ColourSwatch:
    """Record the colour ``option_value`` stands for, as the merchant confirmed it."""
    product = Product.objects.get(pk=product_id)
    if option_value not in colour_values(product):
        raise ColourwayError(
            f"{option_value!r} is not one of this product's colours ({', '.join(colour_values(product)) or 'none'})",
            field="option_value",
        )
    try:
        rgb = parse_color(color)
    except ValueError as exc:
        raise ColourwayError(f"the swatch for {option_value!r}: {exc}", field="color") from None
    hex_colour = "#{:02X}{:02X}{:02X}".format(*rgb)
    swatch, _ = ColourSwatch.objects.update_or_create(
        product=product, option_value=option_value, defaults={"color": hex_colour, "confirmed_by": actor}
    )
    return swatch


@dataclass(frozen=True)
class ColourwayPlan:
    created: list[int]
    waiting_for_swatch: list[str]  # missing colours nobody has confirmed a swatch for yet
    existing: int


def colourways_plan(*, product_id: int, market_id: int | None = None, actor: str) -> ColourwayPlan:
    """Request one colourway variant per missing colour with a confirmed swatch, from the main photo."""
    product = Product.objects.select_related("shop").get(pk=product_id)
    template = selectors.template_current(COLOURWAYS_FROM_OPTIONS, shop=product.shop)
    if template is None:
        raise ColourwayError(f"the {COLOURWAYS_FROM_OPTIONS} template is not installed (run sync_templates)")
    values = colour_values(product)
    if not values:
        raise ColourwayError("this product has no colour option (Color, Colour or 颜色), so it has no colourways")
    # The first usable photo (the planner's rule: a photo whose download failed has no bytes to recolour).
    image = min(usable_images(product), key=lambda candidate: candidate.position, default=None)
    if image is None:
        raise ColourwayError("this product has no photo to recolour")
    markets = Market.objects.filter(shop=product.shop, enabled=True).order_by("pk")
    market = markets.filter(pk=market_id).first() if market_id else markets.first()
    if market is None and market_id:
        raise ColourwayError(f"market {market_id} is not an enabled market of this shop", field="market_id")
    if market is None:
        raise ColourwayError("the shop has no enabled market to make the colourways for")
    swatches = {swatch.option_value: swatch.color for swatch in ColourSwatch.objects.filter(product=product)}
    shown = photographed_colours(product, values)
    created, waiting, existing = [], [], 0
    for value in values:
        if value in shown:
            continue
        if value not in swatches:
            waiting.append(value)
            continue
        try:
            with transaction.atomic():
                variant = Variant.objects.create(
                    shop=product.shop, source_image=image, market=market, kind=EditKind.COLOURWAY,
                    template_slug=template.slug, template_version=template.version, slot=colour_slot(value),
                    source_sha256=image.sha256,
                    seed=derive_seed(image.sha256, template.slug, template.version, value),
                    params={**template.params, "target": swatches[value]},
                    fidelity_thresholds=dict(template.fidelity_thresholds),
                    alt_text=f"{product.title}, {value}"[:1000], state=VariantState.REQUESTED,
                )  # fmt: skip
        except IntegrityError:
            existing += 1  # already planned for this colour and photo
            continue
        created.append(variant.pk)
        events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=product.shop)
    return ColourwayPlan(created=created, waiting_for_swatch=waiting, existing=existing)
