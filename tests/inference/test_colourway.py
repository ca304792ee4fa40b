"""The colourway recipe: the target reached, shading and print kept, nothing outside the product touched."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image
from skimage.color import rgb2lab

from tests import photos
from vitrine.inference.colourspace import delta_e00, dominant_lab, parse_lab, rgb_to_lab_exact
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import ColourOutOfReach, UnsupportedParameter
from vitrine.inference.masks import dilate, erode, mask_to_image


def highpass_correlation(
    before: np.ndarray, after: np.ndarray, mask: np.ndarray, kept: np.ndarray | None = None
) -> float:
    """Correlation of the high-pass L* channels inside the (eroded) mask, away from print that ``kept`` its
    colour (whose edges change contrast by design: a white logo stands out less on a yellow shirt)."""
    inside = erode(mask, 3)
    if kept is not None:
        inside &= ~dilate(kept, 4)

    def highpass(rgb: np.ndarray) -> np.ndarray:
        lightness = rgb2lab(rgb)[..., 0].astype(np.float32)
        return lightness - cv2.GaussianBlur(lightness, (0, 0), 2.0)

    return float(np.corrcoef(highpass(before)[inside], highpass(after)[inside])[0, 1])


@pytest.mark.parametrize(
    ("kind", "color", "target"),
    [
        ("garment", (178, 34, 52), "#1F3A93"),
        ("garment", (178, 34, 52), "#F2D16B"),
        ("packshot", (40, 110, 70), "#222222"),
        ("garment", (235, 235, 230), "#7A1F3D"),  # white to burgundy: lightness must move too
    ],
)
def test_colourway_reaches_the_target_and_keeps_detail(
    classical_engine: Engine, kind: str, color: tuple[int, int, int], target: str
) -> None:
    image, mask, logo = photos.textured_product(160, kind=kind, color=color, logo=color[0] < 200)
    result = classical_engine.render(
        RenderRequest(image=image, recipe="colourway", params={"target": target}, mask=mask)
    )
    source, output = np.asarray(image), np.asarray(result.image)
    achieved, _ = dominant_lab(output, mask)
    target_lab = rgb_to_lab_exact(Image.new("RGB", (1, 1), target).getpixel((0, 0)))[0]
    assert delta_e00(achieved, target_lab) <= 3.0
    assert result.metadata.details["delta_e00_to_target"] == pytest.approx(delta_e00(achieved, target_lab), abs=1e-3)
    assert highpass_correlation(source, output, mask, logo) >= 0.9
    assert np.array_equal(output[~mask], source[~mask])
    # The white print is an outlier of the dominant colour: its bytes stay.
    assert np.array_equal(output[logo], source[logo])
    assert not np.array_equal(output[mask & ~logo], source[mask & ~logo])


def test_exclusion_mask_and_photo_target(classical_engine: Engine) -> None:
    image, mask, _ = photos.textured_product(128, color=(40, 60, 150), logo=False)
    keep = np.zeros(mask.shape, bool)
    keep[60:80, 50:80] = True
    other_sku, _, _ = photos.textured_product(128, color=(30, 130, 60), logo=False, seed=3)
    result = classical_engine.render(
        RenderRequest(
            image=image,
            recipe="colourway",
            params={"target_image": "sku", "exclude": "keep"},
            mask=mask,
            assets={"sku": other_sku, "keep": mask_to_image(keep)},
        )
    )
    source, output = np.asarray(image), np.asarray(result.image)
    assert np.array_equal(output[keep], source[keep])
    assert not result.edit_mask[keep].any()
    measured, _ = dominant_lab(np.asarray(other_sku), mask)
    assert delta_e00(dominant_lab(output, mask)[0], measured) <= 3.0
    assert result.metadata.details["target_source"] == "image"


def test_target_must_be_given_once_and_be_reachable(classical_engine: Engine) -> None:
    image, mask, _ = photos.textured_product(96)
    with pytest.raises(UnsupportedParameter, match="exactly one of 'target'"):
        classical_engine.render(RenderRequest(image=image, recipe="colourway", mask=mask))
    with pytest.raises(UnsupportedParameter, match="exactly one of"):
        classical_engine.render(
            RenderRequest(image=image, recipe="colourway", mask=mask,
                          params={"target": "#000000", "target_lab": "50,0,0"})
        )  # fmt: skip
    with pytest.raises(UnsupportedParameter, match="not a Lab colour"):
        classical_engine.render(RenderRequest(image=image, recipe="colourway", mask=mask, params={"target_lab": "x"}))
    # A saturated green at full lightness does not exist on an sRGB screen: refused, not silently missed.
    with pytest.raises(ColourOutOfReach, match="CIEDE2000"):
        classical_engine.render(
            RenderRequest(image=image, recipe="colourway", mask=mask, params={"target_lab": "99,-100,90"})
        )


def test_parse_lab() -> None:
    assert parse_lab("32.5, 10,-41") == (32.5, 10.0, -41.0)
    with pytest.raises(ValueError, match="outside CIELAB"):
        parse_lab("120,0,0")


def test_cli_colourway_on_a_textured_packshot(tmp_path: Path, capsys) -> None:
    image, mask, logo = photos.textured_product(160, kind="packshot", color=(196, 120, 40))
    image.save(tmp_path / "shot.png")
    mask_to_image(mask).save(tmp_path / "mask.png")
    call_command(
        "edit", str(tmp_path / "shot.png"), "--recipe", "colourway", "--param", "target=#3A5FCD",
        "--mask", str(tmp_path / "mask.png"), "--out", str(tmp_path / "out.png"),
    )  # fmt: skip
    source, output = np.asarray(image), np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))
    target = rgb_to_lab_exact((0x3A, 0x5F, 0xCD))[0]
    assert delta_e00(dominant_lab(output, mask)[0], target) <= 3.0
    assert highpass_correlation(source, output, mask, logo) >= 0.9
    assert np.array_equal(output[~mask], source[~mask])
    printed = capsys.readouterr().out
    assert "colourway via classical" in printed and "target #3A5FCD, CIEDE2000 to target" in printed
