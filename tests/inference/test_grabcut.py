"""GrabCut for photos without a plain background: real photos get an outline with a confidence; an
uncertain outline is rendered but sent to a reviewer with the reason, never passed."""

from __future__ import annotations

import io

import numpy as np
import pytest
import skimage.data
from django.db import transaction
from PIL import Image

from tests.factories import make_variant
from vitrine.fidelity import FidelityReport, compare
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import NoProductFound
from vitrine.inference.grabcut import GRABCUT_MIN_USABLE, grabcut_protect_mask
from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Product, SourceImage
from vitrine.platform.services import image_intake
from vitrine.review.models import ReviewItem


def test_the_cup_in_a_cafe_photo_is_outlined_with_high_confidence() -> None:
    photo = skimage.data.coffee()  # an espresso cup and saucer on a wooden table
    protect = grabcut_protect_mask(photo)
    assert protect.method == "grabcut" and protect.confidence >= 0.6, protect.warnings
    assert protect.mask[120, 200] and protect.mask[330, 250]  # the coffee; the saucer's front
    for corner in (protect.mask[:60, -120:], protect.mask[-40:, -120:], protect.mask[-30:, :60]):
        assert not corner.any()  # the table around it
    assert 0.25 < protect.share < 0.65


def test_noise_has_no_outline_and_one_colour_cannot_be_cut() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    assert not grabcut_protect_mask(noise).mask.any()
    flat = np.full((96, 96, 3), 120, np.uint8)
    cut = grabcut_protect_mask(flat)
    assert not cut.mask.any() and cut.confidence == 0.0


def test_a_real_scene_gets_its_background_replaced_and_the_product_kept_exactly(classical_engine: Engine) -> None:
    photo = Image.fromarray(skimage.data.coffee())
    result = classical_engine.render(RenderRequest(image=photo, recipe="background", params={"mode": "solid"}))
    protect = result.protect_mask
    assert protect.method == "grabcut" and result.metadata.details["mask_method"] == "grabcut"
    output, source = np.asarray(result.image), np.asarray(photo)
    assert np.array_equal(output[protect.mask], source[protect.mask])  # the product, byte for byte
    outside = ~protect.mask
    assert (output[outside] == 255).all(axis=1).mean() > 0.9  # the wooden table is now white (a shadow stays)
    assert not any("low confidence" in warning for warning in result.metadata.warnings)


def test_an_uncertain_outline_is_rendered_with_a_warning_instead_of_trusted(classical_engine: Engine) -> None:
    photo = skimage.data.rocket()  # a thin rocket between launch towers at dusk: a hard outline
    protect = grabcut_protect_mask(photo)
    assert GRABCUT_MIN_USABLE <= protect.confidence < classical_engine.config.min_mask_confidence
    result = classical_engine.render(RenderRequest(image=Image.fromarray(photo), recipe="background",
                                                   params={"mode": "solid"}))
    assert result.metadata.details["mask_confidence"] == protect.confidence
    assert any("low confidence" in warning and "a reviewer must check" in warning
               for warning in result.metadata.warnings)


def test_an_outline_below_the_usable_floor_fails_asking_for_a_mask(classical_engine: Engine) -> None:
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 256, (128, 128, 3), dtype=np.uint8))
    with pytest.raises(NoProductFound, match="draw a mask"):
        classical_engine.render(RenderRequest(image=noise, recipe="background", params={"mode": "solid"}))


def test_a_low_mask_confidence_keeps_an_identical_variant_from_passing() -> None:
    photo = skimage.data.coffee()
    mask = grabcut_protect_mask(photo).mask
    assert compare(photo, photo.copy(), mask, ocr=False, mask_confidence=0.9).verdict == "pass"
    report = compare(photo, photo.copy(), mask, ocr=False, mask_confidence=0.3)
    assert report.verdict == "review"
    assert any("outline the edit kept was estimated with low confidence (0.30)" in r for r in report.reasons)


def test_an_automatic_outline_in_a_scene_never_passes_on_its_own() -> None:
    # A clean outline can still be the wrong object (a cup next to the product): a person confirms it.
    photo = skimage.data.coffee()
    protect = grabcut_protect_mask(photo)
    report = compare(photo, photo.copy(), protect.mask, ocr=False, mask_confidence=protect.confidence,
                     mask_method="grabcut")
    assert report.verdict == "review" and report.score >= 0.75
    assert report.mask.method == "grabcut"
    assert any("outlined automatically in a photo of a scene (outline confidence 0.9" in r for r in report.reasons)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_an_uncertain_outline_reaches_review_with_the_reason(shop, django_capture_on_commit_callbacks, settings):
    settings.FIDELITY_OCR = False
    photo = Image.fromarray(skimage.data.rocket())
    product = Product.objects.create(shop=shop, external_id="rocket", title="Rocket model")
    intake = image_intake(_png(photo), filename="rocket.png")
    image = SourceImage.objects.create(
        product=product, remote_id="rocket", original=intake.original, image=intake.image,
        sha256=intake.image.sha256, width=photo.width, height=photo.height, has_alpha=False,
    )  # fmt: skip
    variant = make_variant(shop, source_image=image)
    variant.params = {"mode": "solid", "color": "#F4F1EA"}
    variant.save()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=shop)
    variant.refresh_from_db()
    assert variant.state == VariantState.IN_REVIEW, variant.failure_reason
    assert variant.fidelity_verdict == "review"
    report = FidelityReport.from_dict(variant.fidelity)
    assert report.mask.confidence is not None and report.mask.confidence < 0.5
    assert any("estimated with low confidence" in reason for reason in report.reasons)
    assert any("low confidence" in warning for warning in variant.warnings)
    assert ReviewItem.objects.filter(variant=variant).exists()
