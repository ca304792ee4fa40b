"""API v1 fixtures: members with each role, clients with personal tokens, a shop with work in every state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_source_image, make_variant
from vitrine.api.services import api_token_create
from vitrine.platform.models import Market, Product, Shop, ShopMembership, Variant
from vitrine.review.models import ReviewItem
from vitrine.templates.models import GlossaryEntry, TemplateRule

ROLES = ("owner", "editor", "reviewer", "viewer")


def member(shop: Shop, role: str, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"{role}-{shop.pk}", email=f"{role}-{shop.pk}@example.com")
    ShopMembership.objects.create(user=user, shop=shop, role=role)
    return user


def token_client(shop: Shop, user: User, role: str | None = None) -> APIClient:
    _, raw = api_token_create(shop=shop, user=user, role=role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api_as(shop: Shop) -> Callable[..., APIClient]:
    """A client with a personal token of a new member of ``shop`` with ``role``."""

    def make(role: str, *, token_role: str | None = None) -> APIClient:
        return token_client(shop, member(shop, role), token_role)

    return make


@pytest.fixture
def other_shop(db: Any) -> Shop:
    shop = Shop.objects.create(provider="csvfile", external_id="other.example", name="Other",
                               installed_at=timezone.now())
    Market.objects.create(shop=shop, locale="fr-FR", region="FR")
    return shop


@dataclass
class World:
    """One object of each kind a write operation acts on."""

    shop: Shop
    market: Market
    spare_market: Market  # no variants: may be deleted
    product_id: int
    rule: TemplateRule
    entry: GlossaryEntry
    failed: Variant
    failed_too: Variant
    approved: Variant
    published: Variant
    in_review: Variant
    item: ReviewItem
    colleague: ShopMembership
    colleague_token_id: int


def _variant(shop: Shop, state: str, seed: int, **fields: Any) -> Variant:
    variant = make_variant(shop, seed=seed, template_slug="studio-sweep-light")
    Variant.objects.filter(pk=variant.pk).update(state=state, **fields)
    variant.refresh_from_db()
    return variant


def build_world(shop: Shop) -> World:
    market, _ = shop.markets.get_or_create(locale="de-DE", defaults={"region": "DE"})
    spare = Market.objects.create(shop=shop, locale="ja-JP", region="JP")
    image = make_source_image(shop, external_id="sneaker", remote_id="sneaker-1", seed=40)
    # Sold in two colours, photographed in the first: Navy is the colourway to make.
    Product.objects.filter(pk=image.product_id).update(options=[{"name": "Color", "values": ["Black", "Navy"]}])
    rule = TemplateRule.objects.create(shop=shop, template_slug="studio-sweep-warm")
    entry = GlossaryEntry.objects.create(shop=shop, source_text="Organic cotton", locale="de",
                                         translation="Bio-Baumwolle")
    in_review = _variant(shop, "in_review", 5, fidelity_verdict="pass", fidelity_score=0.97)
    item = ReviewItem.objects.create(variant=in_review, shop=shop, due_at=timezone.now())
    colleague = ShopMembership.objects.create(
        user=User.objects.create_user(f"colleague-{shop.pk}", email=f"colleague-{shop.pk}@example.com"),
        shop=shop, role="reviewer")
    token, _ = api_token_create(shop=shop, user=colleague.user)
    return World(
        shop=shop, market=market, spare_market=spare, product_id=image.product_id, rule=rule, entry=entry,
        failed=_variant(shop, "failed", 1, failure_reason="The text could not be read back."),
        failed_too=_variant(shop, "failed", 2, failure_reason="The render timed out."),
        approved=_variant(shop, "approved", 3), published=_variant(shop, "published", 4, remote_media_id="m-4"),
        in_review=in_review, item=item, colleague=colleague, colleague_token_id=token.pk,
    )


@pytest.fixture
def world(shop: Shop) -> World:
    return build_world(shop)
