"""Identical and near-identical variants pass cleanly: no alignment complaint, for plain and textured products."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.conf import settings
from PIL import Image, ImageDraw
from skimage import data as skimage_data

from vitrine.fidelity import compare
from vitrine.inference.masks import estimate_protect_mask

SIDE = 600


def plain_lamp() -> tuple[Image.Image, np.ndarray]:
    """A product in flat colours on white, like the sample desk lamp: large areas with no texture at all."""
    image = Image.new("RGB", (SIDE, SIDE), (255, 255, 255))
    mask = Image.new("L", (SIDE, SIDE), 0)
    layers = ((ImageDraw.Draw(image), (230, 170, 60), (60, 60, 66)), (ImageDraw.Draw(mask), 255, 255))
    for draw, shade, stem in layers:
        draw.polygon([(180, 60), (420, 60), (490, 250), (110, 250)], fill=shade)
        draw.rectangle((290, 250, 310, 500), fill=stem)
        draw.ellipse((200, 490, 400, 560), fill=stem)
    return image, np.asarray(mask) >= 128


def sample_lamp() -> tuple[Image.Image, np.ndarray]:
    """The demo catalogue's desk lamp: smooth shading that leaves the alignment little to hold on to."""
    image = Image.open(settings.BASE_DIR / "sample_catalogue" / "images" / "lamp-amber.png").convert("RGB")
    return image, estimate_protect_mask(image).mask


def flat_square() -> tuple[Image.Image, np.ndarray]:
    """The extreme case: one colour, no edge inside the product."""
    image = Image.new("RGB", (SIDE, SIDE), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((150, 150, 450, 450), fill=(40, 90, 160))
    mask = np.zeros((SIDE, SIDE), bool)
    mask[150:451, 150:451] = True
    return image, mask


def textured_photo() -> tuple[Image.Image, np.ndarray]:
    """A real photograph (an espresso cup on a wooden table): texture everywhere, the cup as the product."""
    image = Image.fromarray(skimage_data.coffee())
    mask = np.zeros((image.height, image.width), bool)
    yy, xx = np.mgrid[0 : image.height, 0 : image.width]
    mask |= ((xx - 230) / 150.0) ** 2 + ((yy - 150) / 120.0) ** 2 <= 1.0
    return image, mask


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def assert_clean_pass(report) -> None:  # type: ignore[no-untyped-def]
    assert report.verdict == "pass", report.reasons
    assert report.reasons == ["the product matches the original within tolerance"]
    assert not any("align" in reason for reason in report.reasons)
    assert report.alignment.correlation is not None and report.alignment.correlation >= 0.99


@pytest.mark.parametrize("product", [plain_lamp, sample_lamp, flat_square, textured_photo],
                         ids=["plain", "sample-lamp", "flat", "textured"])
def test_a_pixel_identical_variant_passes_without_alignment_warning(product):
    image, mask = product()
    report = compare(image, image.copy(), mask, ocr=False)
    assert_clean_pass(report)
    assert report.alignment.method == "resize"


@pytest.mark.parametrize("product", [plain_lamp, sample_lamp, textured_photo],
                         ids=["plain", "sample-lamp", "textured"])
def test_a_near_identical_variant_passes_without_alignment_warning(product):
    image, mask = product()
    # Saved again as a high-quality JPEG with a one-level brightness lift: what a store's re-encode does.
    near = np.clip(np.asarray(jpeg(image, 95), dtype=np.int16) + 1, 0, 255).astype(np.uint8)
    report = compare(image, Image.fromarray(near), mask, ocr=False)
    assert_clean_pass(report)


def test_an_identical_product_on_a_new_background_passes():
    image, mask = plain_lamp()
    rgb = np.asarray(image)
    backdrop = np.zeros_like(rgb)
    backdrop[...] = (200, 220, 240)
    variant = np.where(mask[:, :, None], rgb, backdrop)
    assert_clean_pass(compare(image, Image.fromarray(variant), mask, ocr=False))


def test_a_changed_flat_product_still_fails_the_alignment_shortcut():
    image, mask = flat_square()
    changed = np.asarray(image).copy()
    changed[150:451, 150:451] = (160, 40, 40)  # the same shape in another colour is another product
    report = compare(image, Image.fromarray(changed), mask, ocr=False)
    assert report.verdict != "pass"
