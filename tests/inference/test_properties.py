"""The promise as a property: for every recipe, random photos and masks, the product's bytes survive."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from tests import photos
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import BadInput
from vitrine.inference.masks import erode

SLOW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def photo_and_mask(draw: st.DrawFn, min_side: int = 24, max_side: int = 64) -> tuple[Image.Image, np.ndarray]:
    height, width = draw(st.integers(min_side, max_side)), draw(st.integers(min_side, max_side))
    pixels = draw(arrays(np.uint8, (height, width, 3)))
    mask = np.zeros((height, width), bool)
    for _ in range(draw(st.integers(1, 3))):
        y0, x0 = draw(st.integers(0, height - 4)), draw(st.integers(0, width - 4))
        y1, x1 = draw(st.integers(y0 + 3, height)), draw(st.integers(x0 + 3, width))
        mask[y0:y1, x0:x1] = True
    if draw(st.booleans()):  # ragged outline: flip a sprinkling of edge pixels
        noise = draw(arrays(np.bool_, (height, width)))
        mask ^= noise & (erode(mask, 1) != mask)
    if mask.mean() >= 0.99:
        mask[0, 0] = False
    return Image.fromarray(pixels), mask


def assert_exact(image: Image.Image, mask: np.ndarray, result) -> None:
    src, out = np.asarray(image), np.asarray(result.image)
    dx, dy = result.offset
    ys, xs = np.nonzero(erode(mask, 1))
    assert np.array_equal(out[ys + dy, xs + dx], src[ys, xs])
    ys, xs = np.nonzero(mask)  # in fact the whole hard mask is exact, not only its eroded core
    assert np.array_equal(out[ys + dy, xs + dx], src[ys, xs])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    photo_and_mask(),
    st.sampled_from(["solid", "gradient", "studio"]),
    st.integers(0, 4),
    st.booleans(),
)
def test_background_classical(classical_engine: Engine, sample, mode, feather, shadow) -> None:
    image, mask = sample
    result = classical_engine.render(RenderRequest(
        image=image, recipe="background", mask=mask,
        params={"mode": mode, "feather": feather, "shadow": shadow, "color": "#123456"},
    ))  # fmt: skip
    assert_exact(image, mask, result)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(430, 470), st.integers(0, 30), st.integers(0, 30), st.integers(0, 3), st.integers(0, 2**32 - 1))
def test_background_marketplace(classical_engine: Engine, side, top, left, feather, seed) -> None:
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (side + 40, side + 40, 3), dtype=np.uint8))
    mask = np.zeros((side + 40, side + 40), bool)
    mask[top : top + side, left : left + side // 2] = True
    mask[top + side // 3 : top + side // 2, left : left + side] = True
    result = classical_engine.render(RenderRequest(
        image=image, recipe="background", mask=mask, params={"mode": "marketplace", "min_side": 500,
                                                             "feather": feather},
    ))  # fmt: skip
    note(f"offset {result.offset}, canvas {result.image.size}")
    assert_exact(image, mask, result)


@SLOW
@given(photo_and_mask(32, 64), st.integers(0, 2**31))
def test_background_generate(diffusion_engine: Engine, sample, seed) -> None:
    image, mask = sample
    result = diffusion_engine.render(RenderRequest(
        image=image, recipe="background", mask=mask, seed=seed, params={"mode": "generate", "prompt": "a studio"},
    ))  # fmt: skip
    assert_exact(image, mask, result)


@SLOW
@given(photo_and_mask(32, 64), st.integers(0, 2**31), st.booleans())
def test_model_swap(segmentation_engine: Engine, sample, seed, keep_background) -> None:
    image, garment = sample
    result = segmentation_engine.render(RenderRequest(
        image=image, recipe="model_swap", mask=garment, seed=seed,
        params={"gender": "man", "age": "in his twenties", "keep_background": keep_background},
    ))  # fmt: skip
    assert_exact(image, garment, result)
    src, out = np.asarray(image), np.asarray(result.image)
    assert np.array_equal(out[~result.edit_mask], src[~result.edit_mask])


WORDS = {"Sale": "Rabatt", "New": "Neu", "Cotton": "Baumwolle", "Gift": "Geschenk"}


@SLOW
@given(
    st.sampled_from(sorted(WORDS)),
    st.integers(4, 40),
    st.integers(4, 40),
    st.integers(22, 30),
    st.tuples(st.integers(200, 255), st.integers(200, 255), st.integers(200, 255)),
    st.integers(0, 2**32 - 1),
)
def test_text_localize(classical_engine: Engine, word, x, y, font_px, background, seed) -> None:
    image = photos.text_photo([(word, (x, y), font_px)], size=(200, 120), background=background)
    # A random product below the text: it may touch the line, so the rewrite must work around it.
    rng = np.random.default_rng(seed)
    product = np.zeros((120, 200), bool)
    top, left = int(rng.integers(70, 100)), int(rng.integers(0, 150))
    product[top:, left : left + int(rng.integers(20, 50))] = True
    pixels = np.asarray(image).copy()
    pixels[product] = rng.integers(0, 256, (int(product.sum()), 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    try:
        result = classical_engine.render(RenderRequest(
            image=image, recipe="text_localize", mask=product, params={"target_language": "de", "translations": WORDS},
        ))  # fmt: skip
    except BadInput as exc:  # e.g. the product left no room: refused, never half-done
        note(f"refused: {exc}")
        return
    src, out = np.asarray(image), np.asarray(result.image)
    assert np.array_equal(out[~result.edit_mask], src[~result.edit_mask])
    protect = result.protect_mask.mask
    assert np.array_equal(out[protect], src[protect])
    assert [line["target"] for line in result.metadata.details["lines"]] == [WORDS[word]]
