"""Reads for the merchant app's pages. Every one takes the shop the request is scoped to; callers get that shop
from :func:`vitrine.platform.roles.shops_where`, so another shop's rows are never reached."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse

from vitrine.platform import selectors as platform_selectors
from vitrine.platform.lifecycle import LIVE_STATES, VariantState
from vitrine.platform.models import (
    Event,
    Market,
    Product,
    Shop,
    ShopMembership,
    SourceImage,
    Variant,
    VariantTransition,
)
from vitrine.platform.roles import Action, shops_where
from vitrine.review.models import Decision, ReviewItem
from vitrine.templates import selectors as template_selectors
from vitrine.templates.models import GlossaryEntry, TemplateRule, VariantTemplate

IMAGE_SALT = "vitrine.console.image"
# Signed image addresses stay valid this long (seconds); pages are re-rendered far more often.
IMAGE_URL_MAX_AGE = 12 * 3600


def image_url(shop: Shop, sha256: str | None) -> str:
    """A signed, shop-bound address of a stored image: an <img> in the Shopify iframe sends no token."""
    if not sha256:
        return ""
    token = signing.dumps({"s": shop.pk, "h": sha256}, salt=IMAGE_SALT, compress=True)
    return reverse("console:image", args=[token])


def image_token_read(token: str) -> tuple[int, str]:
    """(shop id, sha256) of a signed image address; ``signing.BadSignature`` when forged or expired."""
    data = signing.loads(token, salt=IMAGE_SALT, max_age=IMAGE_URL_MAX_AGE)
    return int(data["s"]), str(data["h"])


def console_shops(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Shop]:
    return shops_where(user, Action.VIEW).order_by("name", "pk")


# --- overview -------------------------------------------------------------------------------------
@dataclass
class MarketOverview:
    market: Market
    products_covered: int
    by_state: dict[str, int]
    waiting_for_review: int
    published: int
    failed: int
    made_today: int


@dataclass
class ShopOverview:
    markets: list[MarketOverview]
    products: int
    made_today: int
    daily_cap: int
    deferred: int
    waiting_for_review: int
    failures: list[Variant]

    @property
    def cap_used_percent(self) -> int:
        return min(100, round(100 * self.made_today / self.daily_cap)) if self.daily_cap else 0


def needing_merchant(shop: Shop, *, limit: int = 10) -> list[Variant]:
    """The latest failed variants (each waits for the merchant: retry or regenerate), newest first."""
    return list(platform_selectors.failed_variants(shop).order_by("-updated_at")[:limit])


def shop_overview(shop: Shop) -> ShopOverview:
    day = template_selectors.day_start()
    rows = (
        Variant.objects.filter(shop=shop).values("market_id", "state")
        .annotate(n=Count("id"), today=Count("id", filter=Q(created_at__gte=day)))
    )
    states: dict[int, Counter[str]] = defaultdict(Counter)
    today: Counter[int] = Counter()
    for row in rows:
        states[row["market_id"]][row["state"]] += row["n"]
        today[row["market_id"]] += row["today"]
    covered = dict(
        Variant.objects.filter(shop=shop, state__in=LIVE_STATES).values("market_id")
        .annotate(n=Count("source_image__product", distinct=True)).values_list("market_id", "n")
    )
    markets = [
        MarketOverview(
            market=market, products_covered=covered.get(market.pk, 0), by_state=dict(states[market.pk]),
            waiting_for_review=states[market.pk][VariantState.IN_REVIEW],
            published=states[market.pk][VariantState.PUBLISHED], failed=states[market.pk][VariantState.FAILED],
            made_today=today[market.pk],
        )
        for market in shop.markets.order_by("locale")
    ]
    return ShopOverview(
        markets=markets, products=Product.objects.filter(shop=shop, deleted_at__isnull=True).count(),
        made_today=sum(today.values()), daily_cap=shop.daily_variant_cap,
        deferred=template_selectors.deferred_count(shop),
        waiting_for_review=sum(m.waiting_for_review for m in markets), failures=needing_merchant(shop),
    )


# --- products -------------------------------------------------------------------------------------
def products_search(shop: Shop, query: str = "") -> QuerySet[Product]:
    products = Product.objects.filter(shop=shop, deleted_at__isnull=True)
    query = query.strip()
    if query:
        products = products.filter(
            Q(title__icontains=query) | Q(handle__icontains=query) | Q(product_type__icontains=query)
            | Q(vendor__icontains=query) | Q(external_id=query)
        )
    images = SourceImage.objects.filter(removed_at__isnull=True, published_by_us=False).order_by("position", "pk")
    return products.prefetch_related(Prefetch("images", queryset=images, to_attr="live_images")).order_by("title", "pk")


@dataclass
class Cell:
    market: Market
    variant: Variant | None  # the newest variant that counts (live first, then the newest of any state)


@dataclass
class ImageRow:
    image: SourceImage
    cells: list[Cell] = field(default_factory=list)


def _newest(variants: list[Variant]) -> Variant | None:
    live = [v for v in variants if v.state in LIVE_STATES]
    pool = live or variants
    return max(pool, key=lambda v: (v.created_at, v.pk)) if pool else None


def product_grid(shop: Shop, product: Product) -> list[ImageRow]:
    """Source image x market, each cell holding the variant a merchant would want to see first."""
    markets = list(shop.markets.filter(enabled=True).order_by("locale"))
    images = list(product.images.filter(removed_at__isnull=True, published_by_us=False).order_by("position", "pk"))
    by_cell: dict[tuple[int, int], list[Variant]] = defaultdict(list)
    for variant in Variant.objects.filter(source_image__in=images).select_related("market"):
        by_cell[(variant.source_image_id, variant.market_id)].append(variant)
    return [
        ImageRow(image=image, cells=[Cell(market=m, variant=_newest(by_cell[(image.pk, m.pk)])) for m in markets])
        for image in images
    ]


def product_of_shop(shop: Shop, product_id: int) -> Product | None:
    return Product.objects.filter(shop=shop, pk=product_id, deleted_at__isnull=True).first()


def first_products(shop: Shop, *, limit: int = 3) -> list[Product]:
    """The merchant's first products with a photo: the onboarding's before/after previews use them."""
    return list(products_search(shop).filter(images__removed_at__isnull=True).distinct()[:limit])


# --- variants -------------------------------------------------------------------------------------
def variant_of_shop(shop: Shop, variant_id: int) -> Variant | None:
    return (
        Variant.objects.filter(shop=shop, pk=variant_id)
        .select_related("market", "source_image__product", "output", "source_image__image").first()
    )


@dataclass
class HistoryEntry:
    at: Any
    from_state: str
    to_state: str
    actor: str
    reason: str


def variant_history(variant: Variant) -> list[HistoryEntry]:
    """The audit trail of one variant and the ones it replaced, oldest first."""
    chain: list[int] = [variant.pk]
    current = variant
    while current.supersedes_id and len(chain) < 20:
        chain.append(current.supersedes_id)
        current = Variant.objects.only("pk", "supersedes_id").get(pk=current.supersedes_id)
    users = {}
    transitions = list(VariantTransition.objects.filter(variant_id__in=chain).order_by("created_at", "pk"))
    user_ids = {int(t.actor.split(":", 1)[1]) for t in transitions
                if t.actor.startswith("user:") and t.actor.split(":", 1)[1].isdigit()}
    if user_ids:
        from django.contrib.auth import get_user_model

        users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)}
    entries = []
    for t in transitions:
        actor = t.actor
        if actor.startswith("user:") and actor[5:].isdigit() and int(actor[5:]) in users:
            actor = str(users[int(actor[5:])])
        entries.append(HistoryEntry(at=t.created_at, from_state=t.from_state, to_state=t.to_state, actor=actor,
                                    reason=t.reason))
    return entries


def variant_decisions(variant: Variant) -> list[Decision]:
    return list(Decision.objects.filter(variant=variant).select_related("reviewer"))


# --- review queue ---------------------------------------------------------------------------------
def review_waiting(shop: Shop) -> QuerySet[ReviewItem]:
    return (
        ReviewItem.objects.filter(shop=shop).exclude(state=ReviewItem.State.DECIDED)
        .select_related("variant__market", "variant__source_image__product", "variant__source_image__image",
                        "variant__output", "claimed_by")
        .order_by("due_at", "-priority", "pk")
    )


# --- templates, glossary, team, activity ----------------------------------------------------------
def templates_for_market(shop: Shop, market: Market) -> list[VariantTemplate]:
    return [t for t in template_selectors.templates_current(shop) if template_selectors.template_fits_market(t, market)]


def rules_by_template(shop: Shop) -> dict[str, TemplateRule]:
    return {rule.template_slug: rule for rule in TemplateRule.objects.filter(shop=shop).prefetch_related("markets")}


def rule_market_ids(shop: Shop) -> set[tuple[str, int]]:
    """(template slug, market id) pairs the shop's enabled rules apply."""
    pairs: set[tuple[str, int]] = set()
    enabled = list(shop.markets.filter(enabled=True))
    for rule in TemplateRule.objects.filter(shop=shop, enabled=True).prefetch_related("markets"):
        chosen = list(rule.markets.all()) or enabled
        pairs.update((rule.template_slug, m.pk) for m in chosen)
    return pairs


def preview_variants(shop: Shop, products: list[Product]) -> dict[tuple[str, int], Variant]:
    """The newest rendered variant per (template, market) among the given products: the "after" pictures."""
    found: dict[tuple[str, int], Variant] = {}
    variants = (
        Variant.objects.filter(shop=shop, source_image__product__in=products, output__isnull=False)
        .select_related("source_image").order_by("-created_at")
    )
    for variant in variants:
        found.setdefault((variant.template_slug, variant.market_id), variant)
    return found


def glossary_entries(shop: Shop, query: str = "") -> QuerySet[GlossaryEntry]:
    entries = GlossaryEntry.objects.filter(shop=shop)
    if query.strip():
        entries = entries.filter(Q(source_text__icontains=query) | Q(translation__icontains=query))
    return entries.order_by("source_text", "locale")


def memberships(shop: Shop) -> QuerySet[ShopMembership]:
    return ShopMembership.objects.filter(shop=shop).select_related("user").order_by("role", "user__username")


def activity(shop: Shop, *, limit: int = 100) -> list[Event]:
    return list(Event.objects.filter(shop=shop).order_by("-created_at", "-pk")[:limit])


def variants_named(shop: Shop, ids: set[int]) -> dict[int, Variant]:
    return {v.pk: v for v in Variant.objects.filter(shop=shop, pk__in=ids)
            .select_related("market", "source_image__product")}


def product_market_states(shop: Shop, products: list[Product]) -> dict[int, dict[int, list[tuple[str, int]]]]:
    """Per product and market, how many variants are in each state (superseded ones left out)."""
    counts: dict[int, dict[int, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    rows = (
        Variant.objects.filter(shop=shop, source_image__product__in=products)
        .exclude(state=VariantState.SUPERSEDED)
        .values("source_image__product_id", "market_id", "state").annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["source_image__product_id"]][row["market_id"]][row["state"]] += row["n"]
    return {pid: {mid: sorted(c.items()) for mid, c in by_market.items()} for pid, by_market in counts.items()}
