"""The cleanup recipe: promotional overlays gone (OCR proves it), the product byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from tests import photos
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import NoTextFound, UnsupportedParameter
from vitrine.inference.ocr import fold

STICKERS = ("包邮", "限时特价", "¥99")


def read(engine: Engine, image: Image.Image) -> str:
    return "".join(fold(line.text) for line in engine.text_reader.find_lines(np.asarray(image.convert("RGB"))))


def test_cli_removes_stickers_and_keeps_the_product(tmp_path: Path, classical_engine: Engine, capsys) -> None:
    image, mask = photos.promo_packshot()
    assert all(fold(text).strip("¥") in read(classical_engine, image).replace("￥", "") for text in STICKERS)
    image.save(tmp_path / "promo.png")
    call_command("edit", str(tmp_path / "promo.png"), "--recipe", "cleanup", "--out", str(tmp_path / "out.png"))
    output = Image.open(tmp_path / "out.png").convert("RGB")
    text = read(classical_engine, output)
    for sticker in ("包邮", "限时特价", "99"):
        assert sticker not in text
    assert np.array_equal(np.asarray(output)[mask], np.asarray(image)[mask])
    printed = capsys.readouterr().out
    assert "cleanup via classical" in printed
    assert printed.count("against the background around it") == 3 and "removed text: 包邮" in printed


def test_fill_matches_the_background_and_text_on_the_product_stays(classical_engine: Engine) -> None:
    image, mask = photos.promo_packshot(background=(236, 240, 244), product_text="ABC")
    result = classical_engine.render(RenderRequest(image=image, recipe="cleanup", mask=mask))
    details = result.metadata.details
    assert set(details["removed_text"]) >= {"包邮", "限时特价"}
    assert len(details["regions"]) == 3
    assert details["fill_delta_e00_max"] < 2.0
    output, source = np.asarray(result.image), np.asarray(image)
    assert np.array_equal(output[mask], source[mask])
    assert np.array_equal(output[~result.edit_mask], source[~result.edit_mask])
    assert "ABC" in read(classical_engine, result.image).upper()


def test_textured_background_is_filled_with_a_patch(classical_engine: Engine) -> None:
    image, mask = photos.promo_packshot(stickers=("包邮",), background=(200, 200, 200))
    rng = np.random.default_rng(1)
    rgb = np.asarray(image).copy()
    y, x = np.mgrid[0 : rgb.shape[0], 0 : rgb.shape[1]]
    weave = (np.sin(x / 1.5) * np.sin(y / 1.5) * 18 + rng.normal(0, 4, x.shape)).astype(np.int16)
    sticker = (rgb[..., 1] < 100) | (rgb.min(axis=2) > 245)  # red sticker and its white letters
    sticker[mask] = False
    sticker[:, 120:] = False
    plain = ~mask & ~sticker
    rgb[plain] = np.clip(200 + weave[plain, None], 0, 255).astype(np.uint8)
    textured = Image.fromarray(rgb)
    result = classical_engine.render(RenderRequest(image=textured, recipe="cleanup", mask=mask))
    regions = result.metadata.details["regions"]
    assert [r["method"] for r in regions] == ["patch"], regions
    assert regions[0]["fill_delta_e00"] < 3.0
    assert "包邮" not in read(classical_engine, result.image)
    assert np.array_equal(np.asarray(result.image)[mask], rgb[mask])


def test_merchant_box_removes_text_on_the_product_only_there(classical_engine: Engine) -> None:
    image, mask = photos.promo_packshot(stickers=(), product_text="SALE")
    ys, xs = np.nonzero(mask)
    box = f"{xs.min()},{ys.min()},{xs.max() + 1},{ys.max() + 1}"
    with pytest.raises(NoTextFound):
        classical_engine.render(RenderRequest(image=image, recipe="cleanup", mask=mask))
    result = classical_engine.render(RenderRequest(image=image, recipe="cleanup", mask=mask, params={"boxes": box}))
    assert "SALE" not in read(classical_engine, result.image).upper()
    kept = result.protect_mask.mask
    assert kept.sum() < mask.sum()
    assert np.array_equal(np.asarray(result.image)[kept], np.asarray(image)[kept])
    with pytest.raises(UnsupportedParameter, match="not a box"):
        classical_engine.render(RenderRequest(image=image, recipe="cleanup", mask=mask, params={"boxes": "1,2"}))


def test_text_localize_removes_a_line_translated_as_nothing(classical_engine: Engine) -> None:
    photo = photos.text_photo([("SALE", (20, 20), 36), ("COTTON", (20, 70), 30)], size=(224, 120))
    result = classical_engine.render(
        RenderRequest(image=photo, recipe="text_localize",
                      params={"target_language": "de", "translations": {"SALE": "", "COTTON": "COTTON"}})
    )  # fmt: skip
    [line] = result.metadata.details["lines"]
    assert (line["source"], line["target"], line["origin"]) == ("SALE", "", "removed")
    text = read(classical_engine, result.image)
    assert "sale" not in text and "cotton" in text
    unchanged = ~result.edit_mask
    assert np.array_equal(np.asarray(result.image)[unchanged], np.asarray(photo)[unchanged])


def test_a_small_sticker_beside_a_large_product_goes_whole(classical_engine: Engine) -> None:
    image, mask = photos.promo_packshot((640, 480), stickers=("包邮",))
    # Grow the product so the sticker is well under 2% of it.
    rgb = np.asarray(image).copy()
    big = np.zeros(mask.shape, bool)
    big[120:460, 180:560] = True
    rgb[big & ~mask] = (60, 100, 170)
    mask = mask | big
    photo = Image.fromarray(rgb)
    result = classical_engine.render(RenderRequest(image=photo, recipe="cleanup", mask=mask))
    output = np.asarray(result.image)
    [region] = result.metadata.details["regions"]
    x0, y0, x1, y1 = region["box"]
    sticker = rgb[y0:y1, x0:x1]
    assert (sticker[..., 0] > 150).any() and (sticker[..., 1] < 60).any()  # the red badge was in the region
    assert not ((output[..., 0] > 150) & (output[..., 1] < 60) & ~mask).any()  # and none of it is left
    assert region["fill_delta_e00"] < 2.0
    assert np.array_equal(output[mask], rgb[mask])
