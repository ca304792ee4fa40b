"""Enclosed background in classical masks: a mug's handle opening and the space inside a bag's strap are
left free to change when the detection is confident; an uncertain one stays product and goes to review."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.masks import classical_protect_mask, estimate_protect_mask

WHITE = (255, 255, 255)
BLUE = (40, 90, 160)


def textured(mask: np.ndarray, colour: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rgb = np.empty((*mask.shape, 3), np.uint8)
    rgb[...] = WHITE
    pattern = np.clip(np.asarray(colour, np.int16) + rng.integers(-30, 31, (*mask.shape, 3)), 0, 255)
    rgb[mask] = pattern[mask].astype(np.uint8)
    return rgb


def mug(size: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A mug with a ring handle on white: (rgb, product truth, the handle's opening)."""
    product = np.zeros((size, size), np.uint8)
    cv2.rectangle(product, (40, 40), (100, 125), 1, -1)
    cv2.ellipse(product, (104, 82), (22, 26), 0, 0, 360, 1, 8)
    opening = np.zeros_like(product)
    cv2.ellipse(opening, (104, 82), (17, 21), 0, 0, 360, 1, -1)
    opening = opening.astype(bool) & ~product.astype(bool)
    return textured(product.astype(bool), BLUE), product.astype(bool), opening


def bag(size: int = 180) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A tote bag whose strap arcs above its body: (rgb, product truth, the space inside the strap)."""
    product = np.zeros((size, size), np.uint8)
    cv2.rectangle(product, (35, 90), (145, 160), 1, -1)
    cv2.ellipse(product, (90, 92), (38, 55), 0, 180, 360, 1, 6)
    inside = np.zeros_like(product)
    cv2.ellipse(inside, (90, 92), (33, 50), 0, 180, 360, 1, -1)
    inside = inside.astype(bool) & ~product.astype(bool)
    return textured(product.astype(bool), (150, 60, 40), seed=1), product.astype(bool), inside


def core(region: np.ndarray, pixels: int = 3) -> np.ndarray:
    """The region without its rim (the mask's morphology moves edges by a pixel or two)."""
    return cv2.erode(region.astype(np.uint8), np.ones((2 * pixels + 1, 2 * pixels + 1), np.uint8)).astype(bool)


@pytest.mark.parametrize("make", [mug, bag], ids=["mug-handle", "bag-strap"])
def test_background_seen_through_the_product_is_left_out_of_the_protect_mask(make) -> None:  # type: ignore[no-untyped-def]
    rgb, truth, opening = make()
    protect = classical_protect_mask(rgb)
    assert protect.holes_opened == 1
    assert not protect.mask[core(opening)].any()
    assert protect.mask[core(truth)].all()
    assert protect.confidence > 0.9 and protect.review_reasons == ()


def test_a_label_inside_the_body_stays_product() -> None:
    rgb, _, _ = mug()
    rgb[70:82, 55:75] = 255  # a white label printed on the mug's body
    protect = classical_protect_mask(rgb)
    assert protect.mask[70:82, 55:75].all()
    assert protect.holes_opened == 1 and protect.review_reasons == ()


def test_an_uncertain_opening_stays_product_and_asks_for_review() -> None:
    # A thick ring: the opening could be background, or a white part of the product.
    product = np.zeros((160, 160), np.uint8)
    cv2.circle(product, (80, 80), 44, 1, -1)
    cv2.circle(product, (80, 80), 14, 0, -1)
    rgb = textured(product.astype(bool), BLUE)
    protect = classical_protect_mask(rgb)
    assert protect.mask[75:86, 75:86].all()
    assert protect.holes_opened == 0
    assert "might be background seen through it" in protect.review_reasons[0]


def test_the_alpha_channel_keeps_its_own_holes() -> None:
    rgb, truth, opening = mug()
    alpha = np.where(truth, 255, 0).astype(np.uint8)
    protect = estimate_protect_mask(Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA"))
    assert protect.method == "alpha"
    assert not protect.mask[opening].any() and protect.holes_opened == 0


def test_a_new_background_shows_through_the_handle(classical_engine: Engine) -> None:
    rgb, truth, opening = mug()
    result = classical_engine.render(RenderRequest(
        image=Image.fromarray(rgb), recipe="background", params={"mode": "solid", "color": "#C81E1E",
                                                                   "shadow": False}))
    output = np.asarray(result.image)
    assert (output[core(opening)] == (200, 30, 30)).all()
    assert np.array_equal(output[core(truth)], rgb[core(truth)])
    details = result.metadata.details
    assert details["mask_holes_opened"] == 1 and details["review_reasons"] == []
