"""Render details are kept on the variant: the renderer writes them, the fidelity check, the review queue
and the API read them. What the renderer was unsure of (an enclosed area, a large enlargement) sends the
variant to review with that reason even when the fidelity score passes."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from django.contrib.auth.models import User
from PIL import Image

from tests.factories import render_one
from tests.photos import packshot
from tests.review.conftest import make_reviewer
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Product, ShopMembership, SourceImage, Variant
from vitrine.platform.services import image_intake
from vitrine.review import scoring
from vitrine.review import services as review_services
from vitrine.review.models import ReviewItem


@pytest.fixture(autouse=True)
def _classical_engine(settings):  # type: ignore[no-untyped-def]
    settings.INFERENCE_DEFAULT_MODEL = ""
    settings.INFERENCE_UPSCALE_MODEL = ""


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def rendered(shop, image: Image.Image, params: dict, *, seed: int = 1) -> Variant:  # type: ignore[no-untyped-def]
    product, _ = Product.objects.get_or_create(shop=shop, external_id="p1", defaults={"title": "Mug"})
    intake = image_intake(png(image), filename=f"photo-{seed}.png")
    source = SourceImage.objects.create(
        product=product, remote_id=f"img-{seed}", original=intake.original, image=intake.image,
        sha256=intake.image.sha256, width=intake.normalized.width, height=intake.normalized.height)
    variant = Variant.objects.create(
        shop=shop, source_image=source, market=shop.markets.first(), kind="background", template_slug="t",
        template_version=1, source_sha256=source.sha256, seed=seed, params=params)
    outcome = render_one(variant.pk)
    assert outcome is not None and outcome.state == VariantState.GENERATED, outcome
    variant.refresh_from_db()
    return variant


def test_a_small_product_is_enlarged_recorded_and_sent_to_review_with_the_reason(shop):
    image, _ = packshot(400)
    variant = rendered(shop, image, {"mode": "marketplace"})
    details = variant.render_details
    assert details["upscale"] > 2.0 and details["upscale_method"] == "lanczos"
    assert details["canvas"] == 1000 and len(details["offset"]) == 2
    assert details["mask_method"] == "classical" and details["mask_confidence"] > 0.9
    assert "enlarged" in details["review_reasons"][0]

    item = scoring.variant_assess(variant_id=variant.pk)  # reads offset and factor from the field
    variant.refresh_from_db()
    assert item is not None and variant.state == VariantState.IN_REVIEW
    assert variant.fidelity_score is not None and variant.fidelity_score > 0.8  # the product itself matches
    assert variant.fidelity_verdict == "review"
    assert details["review_reasons"][0] in variant.fidelity["reasons"]

    # A bulk approval of passing items leaves it for a person.
    reviewer = make_reviewer("reviewer", [shop])
    outcome = review_services.review_items_bulk_approve(reviewer=reviewer, item_ids=[item.pk], min_score=0.0,
                                                        seconds_spent=3.0)
    assert outcome.approved == [] and "no longer qualifies" in outcome.skipped[item.pk]


def test_an_uncertain_enclosed_area_sends_the_variant_to_review(shop):
    product = np.zeros((160, 160), np.uint8)
    cv2.circle(product, (80, 80), 44, 1, -1)
    cv2.circle(product, (80, 80), 14, 0, -1)
    rgb = np.full((160, 160, 3), 255, np.uint8)
    rgb[product.astype(bool)] = (40, 90, 160)
    variant = rendered(shop, Image.fromarray(rgb), {"mode": "solid", "color": "#FFE0E0", "shadow": False})
    assert variant.render_details["mask_holes_opened"] == 0
    assert "might be background seen through it" in variant.render_details["review_reasons"][0]
    scoring.variant_assess(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.fidelity_verdict == "review"
    assert any("handle or strap opening" in reason for reason in variant.fidelity["reasons"])


def test_a_confident_render_passes_and_the_api_shows_its_details(shop, client):
    image, _ = packshot(160)
    variant = rendered(shop, image, {"mode": "solid", "color": "#FFE0E0"})
    assert variant.render_details["review_reasons"] == [] and variant.render_details["upscale"] == 1.0
    scoring.variant_assess(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.fidelity_verdict == "pass"
    assert ReviewItem.objects.filter(variant=variant).exists()

    user = User.objects.create_user("merchant", password="pw-for-tests-only")
    ShopMembership.objects.create(user=user, shop=shop, role="viewer")
    client.force_login(user)
    (row,) = client.get("/api/v1/variants/").json()["results"]
    assert row["render_details"] == variant.render_details
    assert row["render_details"]["mask_method"] == "classical"


def test_a_colourway_is_checked_against_the_target_its_render_resolved_a_swatch_photo_included() -> None:
    """A target given as a swatch photo has no colour in the parameters: the render's resolved one counts."""
    from_photo = Variant(kind="colourway", params={"target_image": "swatch"},
                         render_details={"target_lab": [41.2, 30.5, -12.25], "target_source": "image"})
    assert scoring._colourway_target(from_photo) == (41.2, 30.5, -12.25)
    # Rendered before renders recorded their target: the parameters still give it.
    from_hex = Variant(kind="colourway", params={"target": "#FFFFFF"}, render_details={})
    assert scoring._colourway_target(from_hex) == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    unreadable = Variant(kind="colourway", params={"target_lab": "not a colour"}, render_details={})
    assert scoring._colourway_target(unreadable) is None
    assert scoring._colourway_target(Variant(kind="background", render_details={"target_lab": [1, 2, 3]})) is None
