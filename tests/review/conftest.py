"""Review test data: product photos with known edits, generated variants, queued items and reviewers."""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import cv2
import numpy as np
import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from PIL import Image

from tests.factories import make_source_image
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Market, Product, Shop, ShopMembership, SourceImage, Variant
from vitrine.platform.services import blob_put, image_intake
from vitrine.review import scoring
from vitrine.review.models import ReviewItem

PASSWORD = "review-tests-pw-4821"
PHOTO_SIDE = 160
# Edits of a product photo and the verdict the fidelity report gives them.
EDITS = {
    "background": "pass",  # only the background changed: the product is untouched
    "patch": "review",  # a small patch of the product recoloured
    "product": "fail",  # a large part of the product painted over
}


def product_photo(seed: int = 0, side: int = PHOTO_SIDE) -> tuple[np.ndarray, np.ndarray]:
    """A light studio photo of a patterned, labelled oval product, and the product's mask."""
    rng = np.random.default_rng(seed)
    image = np.full((side, side, 3), 235, np.uint8)
    mask = np.zeros((side, side), np.uint8)
    centre = side // 2
    cv2.ellipse(mask, (centre, centre), (side * 3 // 10, side * 4 // 10), 0, 0, 360, 255, -1)
    base = rng.integers(40, 200, 3)
    ys, xs = np.mgrid[0:side, 0:side]
    stripes = ((xs * 0.6 + ys * 0.3) % 40).astype(int)[..., None] - 20
    product = np.clip(base[None, None, :] + stripes, 0, 255).astype(np.uint8)
    for _ in range(6):
        x, y = (int(v) for v in rng.integers(centre - side // 4, centre + side // 4, 2))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        cv2.circle(product, (x, y), int(rng.integers(4, 12)), colour, -1)
    cv2.putText(product, "AB", (centre - 20, centre + 8), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (250, 250, 250), 2)
    inside = mask > 0
    image[inside] = product[inside]
    return image, inside


def edited(image: np.ndarray, mask: np.ndarray, edit: str) -> np.ndarray:
    variant = image.copy()
    variant[~mask] = (120, 170, 220)
    if edit == "patch":
        variant[70:78, 60:68] = (30, 160, 60)
    elif edit == "product":
        variant[40:90, 50:110] = (255, 0, 0)
    elif edit != "background":
        raise ValueError(f"unknown edit {edit!r}")
    return variant


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def photo_source_image(shop: Shop, *, seed: int, product: Product | None = None) -> tuple[SourceImage, np.ndarray,
                                                                                        np.ndarray]:
    image, mask = product_photo(seed)
    product = product or Product.objects.create(shop=shop, external_id=f"photo-{seed}", title=f"Oval vase {seed}")
    intake = image_intake(png(image), filename=f"vase-{seed}.png")
    source = SourceImage.objects.create(
        product=product, remote_id=f"photo-img-{seed}", original=intake.original, image=intake.image,
        sha256=intake.image.sha256, width=intake.normalized.width, height=intake.normalized.height,
    )
    return source, image, mask


def generated_variant(shop: Shop, *, edit: str = "background", seed: int = 1, kind: str = "background",
                      market: Market | None = None, template_slug: str = "studio-white",
                      params: dict[str, Any] | None = None,
                      fidelity_thresholds: dict[str, Any] | None = None) -> Variant:
    """A variant in state ``generated`` whose output is ``edit`` applied to a product photo.

    ``fidelity_thresholds`` are those the planner would have copied from the template version."""
    source, image, mask = photo_source_image(shop, seed=seed)
    variant = Variant.objects.create(
        shop=shop, source_image=source, market=market or shop.markets.first(), kind=kind,
        template_slug=template_slug, template_version=1, source_sha256=source.sha256, seed=seed,
        params=params if params is not None else {"prompt": "a sunlit oak table", "color": "#78AADC"},
        fidelity_thresholds=fidelity_thresholds or {},
    )
    return rendered(variant, image, mask, edit)


def rendered(variant: Variant, image: np.ndarray, mask: np.ndarray, edit: str) -> Variant:
    """``variant`` as the renderer leaves it: ``generated``, its output ``edit`` applied to ``image``."""
    side = image.shape[0]
    variant.state, variant.backend = VariantState.GENERATED, "classical"
    variant.model_id = variant.model_licence = ""
    variant.output = blob_put(data=png(edited(image, mask, edit)), content_type="image/png", width=side, height=side)
    variant.used_mask = blob_put(data=png(mask.astype(np.uint8) * 255), content_type="image/png", width=side,
                                 height=side)
    variant.save()
    return variant


def queued_item(shop: Shop, *, seed: int, due_in: timedelta = timedelta(hours=4), priority: int = 0,
                verdict: str = "review", score: float | None = 0.6, kind: str = "background",
                template_slug: str = "studio-white", market: Market | None = None) -> ReviewItem:
    """An item in the queue without running the fidelity check (for tests about the queue itself)."""
    image = make_source_image(shop, external_id=f"q{seed}", remote_id=f"q-img-{seed}", seed=seed)
    variant = Variant.objects.create(
        shop=shop, source_image=image, market=market or shop.markets.first(), kind=kind,
        template_slug=template_slug, template_version=1, source_sha256=image.sha256, seed=seed,
        state=VariantState.IN_REVIEW, output=image.image, fidelity_verdict=verdict, fidelity_score=score,
    )
    return ReviewItem.objects.create(variant=variant, shop=shop, due_at=timezone.now() + due_in, priority=priority)


def reviewers_group() -> Group:
    """The group the data migration creates. A transactional test's flush empties every table, so later
    transactional tests put it back from the migration's own list."""
    migration = importlib.import_module("vitrine.review.migrations.0002_reviewers_group")
    group, created = Group.objects.get_or_create(name=migration.GROUP)
    if created:
        for app_label, codename in migration.PERMISSIONS:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


def make_reviewer(username: str, shops: list[Shop], *, role: str = ShopMembership.Role.REVIEWER) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(reviewers_group())
    for shop in shops:
        ShopMembership.objects.create(user=user, shop=shop, role=role)
    return user


@pytest.fixture(autouse=True)
def _fast_settings(settings) -> None:  # type: ignore[no-untyped-def]
    # Reading printed text is the slow step of the fidelity check; one test turns it back on.
    settings.FIDELITY_OCR = False
    # Tests create many reviewers; the production password hash is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other_shop(db) -> Shop:  # type: ignore[no-untyped-def]
    shop = Shop.objects.create(provider="csvfile", external_id="globex.example", name="Globex",
                               installed_at=timezone.now())
    Market.objects.create(shop=shop, locale="fr-FR", region="FR", name="France")
    return shop


@pytest.fixture
def reviewer(shop: Shop) -> User:
    return make_reviewer("rita", [shop])


@pytest.fixture
def scored_item(shop: Shop) -> Callable[..., ReviewItem]:
    """Build a generated variant with the given edit and run the real fidelity check on it."""

    def build(edit: str = "background", *, seed: int = 1, **kwargs: Any) -> ReviewItem:
        variant = generated_variant(shop, edit=edit, seed=seed, **kwargs)
        item = scoring.variant_assess(variant_id=variant.pk)
        assert item is not None, f"edit {edit!r} was failed by the fidelity check instead of queued"
        return item

    return build
