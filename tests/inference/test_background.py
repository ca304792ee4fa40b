from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image

from tests import photos
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import BadInput, UnsupportedParameter
from vitrine.inference.masks import erode


def assert_product_exact(source: Image.Image, result, *, erosion: int = 1) -> None:
    """Inside the eroded protect mask the output bytes equal the source bytes (at the result's offset)."""
    src = np.asarray(source.convert("RGB"))
    out = np.asarray(result.image)
    dx, dy = result.offset
    inside = erode(result.protect_mask.mask, erosion)
    ys, xs = np.nonzero(inside)
    assert ys.size > 0
    assert np.array_equal(out[ys, xs], src[ys - dy, xs - dx])


@pytest.mark.parametrize(
    "params",
    [
        {"mode": "solid", "color": "#2A9D8F"},
        {"mode": "gradient", "color": "#FFFFFF", "color2": "#223344", "direction": "vertical"},
        {"mode": "gradient", "direction": "radial"},
        {"mode": "gradient", "direction": "horizontal", "shadow": False},
        {"mode": "studio", "color": "#F4F4F4", "color2": "#B0B6C0"},
    ],
)
def test_classical_modes_keep_the_product_and_replace_the_rest(classical_engine: Engine, params) -> None:
    image, _ = photos.packshot(128)
    result = classical_engine.render(RenderRequest(image=image, recipe="background", params=params))
    assert_product_exact(image, result)
    assert result.metadata.backend == "classical" and result.metadata.model_id == ""
    assert result.protect_mask.method == "classical"
    out = np.asarray(result.image)
    corner = out[:6, :6].reshape(-1, 3)
    assert not np.array_equal(corner, np.asarray(image)[:6, :6].reshape(-1, 3))  # background replaced
    assert set(result.metadata.timings) >= {"mask", "composite", "prepare", "finish", "total"}


def test_solid_background_is_exactly_the_colour_away_from_the_product(classical_engine: Engine) -> None:
    image, truth = photos.packshot(128)
    result = classical_engine.render(
        RenderRequest(image=image, recipe="background", params={"mode": "solid", "color": "#102030", "shadow": False})
    )
    away = erode(~truth, 4)  # background beyond the feathered rim
    assert (np.asarray(result.image)[away] == (16, 32, 48)).all()


def test_contact_shadow_darkens_the_floor_under_the_product(classical_engine: Engine) -> None:
    image, truth = photos.packshot(128)
    rows = np.flatnonzero(truth.any(axis=1))
    params = {"mode": "solid", "color": "#FFFFFF"}
    with_shadow = np.asarray(
        classical_engine.render(RenderRequest(image=image, recipe="background", params=params)).image
    )
    without = np.asarray(
        classical_engine.render(
            RenderRequest(image=image, recipe="background", params={**params, "shadow": False})
        ).image
    )
    below = (slice(rows[-1] + 2, rows[-1] + 4), slice(60, 68))
    assert with_shadow[below].mean() < without[below].mean() - 10
    assert np.array_equal(with_shadow[:10], without[:10])  # nothing far above the floor changes


def test_scene_mode_composites_onto_a_real_photo(classical_engine: Engine) -> None:
    image, _ = photos.packshot(128)
    scene = Image.fromarray(skimage.data.rocket())
    result = classical_engine.render(
        RenderRequest(
            image=image, recipe="background", params={"mode": "scene", "scene": "rocket"}, assets={"rocket": scene}
        )
    )
    assert_product_exact(image, result)
    assert np.asarray(result.image)[:4, :4].std() > 0  # photo texture, not a flat fill
    with pytest.raises(UnsupportedParameter, match="'scene' names 'beach', but the request carries rocket"):
        classical_engine.render(
            RenderRequest(
                image=image, recipe="background", params={"mode": "scene", "scene": "beach"}, assets={"rocket": scene}
            )
        )


def test_transparent_cutout_of_a_real_photo_blends_its_own_rim(classical_engine: Engine) -> None:
    cutout = photos.cutout(skimage.data.chelsea())
    result = classical_engine.render(
        RenderRequest(image=cutout, recipe="background", params={"mode": "solid", "color": "#000000"})
    )
    assert result.protect_mask.method == "alpha"
    assert_product_exact(cutout, result, erosion=0)
    alpha = np.asarray(cutout)[..., 3]
    rim = (alpha > 0) & (alpha < 250)
    src = np.asarray(cutout)[..., :3].astype(float)
    expected = np.rint(src[rim] * (alpha[rim, None] / 255.0))
    assert np.abs(np.asarray(result.image)[rim] - expected).max() <= 1
    assert (np.asarray(result.image)[alpha == 0] == 0).all()


def test_real_photo_with_a_supplied_mask(classical_engine: Engine) -> None:
    photo = Image.fromarray(skimage.data.coffee())
    mask = np.zeros((photo.height, photo.width), bool)
    mask[60:330, 150:450] = True  # the cup and saucer
    result = classical_engine.render(
        RenderRequest(image=photo, recipe="background", params={"mode": "studio"}, mask=mask)
    )
    assert result.protect_mask.method == "supplied"
    assert_product_exact(photo, result, erosion=0)


def test_real_photo_without_a_mask_is_refused_not_guessed(classical_engine: Engine) -> None:
    photo = Image.fromarray(skimage.data.astronaut())
    with pytest.raises(BadInput) as caught:
        classical_engine.render(RenderRequest(image=photo, recipe="background"))
    assert "the background is not plain" in caught.value.merchant_message
    assert "transparent background or draw a mask" in caught.value.merchant_message


def test_marketplace_main_image(classical_engine: Engine) -> None:
    image, _ = photos.packshot(1300, background=(236, 236, 236))
    result = classical_engine.render(RenderRequest(image=image, recipe="background", params={"mode": "marketplace"}))
    out = np.asarray(result.image)
    side = out.shape[0]
    assert out.shape == (side, side, 3) and side >= 1000
    assert_product_exact(image, result)
    rows = np.flatnonzero(result.protect_mask.mask.any(axis=1))
    cols = np.flatnonzero(result.protect_mask.mask.any(axis=0))
    long_side = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    assert 0.84 <= long_side / side <= 0.86
    assert result.metadata.details["product_fill"] == pytest.approx(long_side / side, abs=0.01)
    near_product = erode(~result.protect_mask.mask, 4)  # outside the product and its feathered rim
    assert (out[near_product] == 255).all()  # pure #FFFFFF


@pytest.mark.parametrize(("size", "review"), [(400, True), (800, False)])
def test_marketplace_enlarges_a_small_product_and_records_the_factor(classical_engine: Engine, size, review) -> None:
    image, truth = photos.packshot(size)
    result = classical_engine.render(RenderRequest(image=image, recipe="background", params={"mode": "marketplace"}))
    out = np.asarray(result.image)
    details = result.metadata.details
    rows = np.flatnonzero(result.protect_mask.mask.any(axis=1))
    long_side = rows[-1] - rows[0] + 1
    assert out.shape == (1000, 1000, 3) and 0.82 <= long_side / 1000 <= 0.86
    factor = details["upscale"]
    assert factor == pytest.approx(long_side / (np.flatnonzero(truth.any(axis=1)).size), rel=0.03)
    assert details["upscale_method"] == "lanczos"
    assert (factor > 2.0) is review
    assert bool(details["review_reasons"]) is review
    if review:
        assert f"enlarged {factor:.1f}x (more than 2x)" in details["review_reasons"][0]
    # Source pixel (x, y) sits at output (x * factor + dx, y * factor + dy): the product lands there.
    dx, dy = result.offset
    ys, xs = np.nonzero(truth)
    centre = (round(xs.mean() * factor + dx), round(ys.mean() * factor + dy))
    assert result.protect_mask.mask[centre[1], centre[0]]
    shrunk = np.asarray(result.image.crop((dx, dy, dx + round(size * factor), dy + round(size * factor)))
                        .resize((size, size), Image.Resampling.LANCZOS)).astype(int)
    inner = erode(truth, 3)
    assert np.abs(shrunk[inner] - np.asarray(image).astype(int)[inner]).mean() < 12


def test_marketplace_enlarges_with_a_super_resolution_model_when_configured(tmp_path) -> None:
    import torch
    from torch.export import Dim, export

    torch.manual_seed(0)  # a tiny random-weight 2x model (no weights can be downloaded here)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 12, 3, padding=1), torch.nn.PixelShuffle(2), torch.nn.Sigmoid())
    dims = {2: Dim("height", min=2, max=8192), 3: Dim("width", min=2, max=8192)}
    path = tmp_path / "tiny-sr.pt2"
    torch.export.save(export(model, (torch.rand(1, 3, 16, 16),), dynamic_shapes=(dims,)), str(path))
    engine = Engine(EngineConfig(device="cpu", upscale_model=str(path)))
    image, _ = photos.packshot(400)
    params = {"mode": "marketplace", "min_side": 500}
    result = engine.render(RenderRequest(image=image, recipe="background", params=params))
    details = result.metadata.details
    assert details["upscale_method"] == "model:tiny-sr.pt2" and details["upscale"] > 1.0
    assert result.image.size == (500, 500)
    # The random model's output, not a Lanczos enlargement of the photo, is what the product shows now.
    lanczos = Engine(EngineConfig(device="cpu")).render(RenderRequest(image=image, recipe="background", params=params))
    assert lanczos.metadata.details["upscale_method"] == "lanczos"
    product = result.protect_mask.mask & lanczos.protect_mask.mask
    assert np.abs(np.asarray(result.image).astype(int)[product] - np.asarray(lanczos.image).astype(int)[product]
                  ).mean() > 10


def test_parameters_are_checked(classical_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    cases = [
        ({"colour": "#fff"}, "has no parameter 'colour'"),
        ({"mode": "neon"}, "must be one of solid, gradient"),
        ({"color": "teal"}, "is not a colour"),
        ({"feather": 2.5}, "must be a whole number"),
        ({"shadow_opacity": 3}, "must be at most 1.0"),
        ({"mode": "generate"}, "needs a 'prompt'"),
    ]
    for params, message in cases:
        with pytest.raises(UnsupportedParameter, match=message):
            classical_engine.render(RenderRequest(image=image, recipe="background", params=params))


def test_parameters_for_another_mode_are_reported(classical_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    result = classical_engine.render(
        RenderRequest(image=image, recipe="background", params={"mode": "solid", "prompt": "a beach"})
    )
    assert "parameter 'prompt' has no effect in background mode 'solid'" in result.metadata.warnings
