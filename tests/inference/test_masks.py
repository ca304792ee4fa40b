from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image

from tests import photos
from vitrine.inference.errors import BadInput, InvalidMask, LowConfidenceMask, NoProductFound
from vitrine.inference.masks import (
    ProtectMask,
    classical_protect_mask,
    estimate_protect_mask,
    mask_from_supplied,
    require_usable,
)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_alpha_channel_is_the_mask() -> None:
    image, truth = photos.packshot(96, transparent=True)
    protect = estimate_protect_mask(image)
    assert protect.method == "alpha" and protect.confidence == 1.0
    assert np.array_equal(protect.mask, truth)


def test_real_photo_cutout_uses_its_alpha() -> None:
    cutout = photos.cutout(skimage.data.coffee())
    protect = estimate_protect_mask(cutout)
    assert protect.method == "alpha"
    assert np.array_equal(protect.mask, np.asarray(cutout)[..., 3] >= 250)
    assert 0.05 < protect.share < 0.95


@pytest.mark.parametrize(
    ("background", "product"),
    [((255, 255, 255), (40, 90, 160)), ((235, 235, 238), (150, 30, 30)), ((20, 20, 20), (220, 200, 60))],
)
def test_classical_mask_finds_a_packshot_on_a_plain_background(background, product) -> None:
    image, truth = photos.packshot(128, background=background, product_color=product)
    protect = estimate_protect_mask(image)
    assert protect.method == "classical"
    assert iou(protect.mask, truth) > 0.97
    assert protect.confidence > 0.9
    assert protect.warnings == ()


def test_classical_mask_fills_enclosed_background_coloured_parts() -> None:
    image, truth = photos.packshot(128)
    pixels = np.asarray(image).copy()
    pixels[60:70, 60:68] = 255  # a white label inside the product
    protect = classical_protect_mask(pixels)
    assert protect.mask[60:70, 60:68].all()
    assert iou(protect.mask, truth) > 0.97


@pytest.mark.parametrize("photo", [skimage.data.coffee, skimage.data.chelsea, skimage.data.astronaut])
def test_classical_mask_is_not_trusted_on_real_scenes(photo) -> None:
    protect = classical_protect_mask(photo())
    assert protect.confidence < 0.6
    assert "the background is not plain" in protect.warnings[0]
    with pytest.raises(BadInput, match="the background is not plain"):
        require_usable(protect, min_confidence=0.6)


def test_classical_mask_reports_a_product_barely_distinct_from_the_background() -> None:
    image, _ = photos.packshot(128, background=(250, 250, 250), product_color=(238, 238, 238))
    protect = classical_protect_mask(np.asarray(image))
    assert "close to the background" in " ".join(protect.warnings)
    assert protect.confidence < 0.6


def test_blank_image_has_no_product() -> None:
    protect = estimate_protect_mask(Image.new("RGB", (64, 64), (255, 255, 255)))
    assert not protect.mask.any() and protect.confidence == 0.0
    with pytest.raises(NoProductFound, match="no product was found in the photo \\(no product stands out"):
        require_usable(protect, min_confidence=0.6)


def test_full_and_empty_supplied_masks_are_refused() -> None:
    full = mask_from_supplied(np.ones((32, 32), bool), (32, 32))
    with pytest.raises(InvalidMask, match="covers the whole photo"):
        require_usable(full, min_confidence=0.0)
    empty = mask_from_supplied(Image.new("L", (32, 32), 0), (32, 32))
    with pytest.raises(NoProductFound):
        require_usable(empty, min_confidence=0.0)


def test_supplied_mask_must_match_the_image() -> None:
    with pytest.raises(InvalidMask, match="the mask is 40x32 px but the image is 32x32 px"):
        mask_from_supplied(Image.new("L", (40, 32), 255), (32, 32))
    with pytest.raises(InvalidMask, match="single-channel"):
        mask_from_supplied(np.zeros((32, 32, 3), np.uint8), (32, 32))


def test_supplied_mask_formats() -> None:
    grey = np.zeros((16, 16), np.uint8)
    grey[4:8, 4:8] = 200
    assert mask_from_supplied(grey, (16, 16)).mask.sum() == 16
    binary = (grey > 0).astype(np.uint8)
    assert mask_from_supplied(binary, (16, 16)).mask.sum() == 16
    rgba = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (0, 0, 8, 16))
    assert mask_from_supplied(rgba, (16, 16)).mask.sum() == 128


def test_confidence_floor_is_applied() -> None:
    uncertain = ProtectMask(np.eye(8, dtype=bool), 0.4, "classical", ("the background is not plain",))
    with pytest.raises(LowConfidenceMask, match=r"confidence 0\.40, needs 0\.60: the background is not plain"):
        require_usable(uncertain, min_confidence=0.6)
    assert require_usable(uncertain, min_confidence=0.3) is uncertain
