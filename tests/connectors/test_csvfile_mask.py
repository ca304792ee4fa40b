"""A merchant-supplied product mask through the CSV's "Image Mask" column: used as the protect mask, and a
bad mask never costs the photo."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from vitrine.connectors.csvfile.services import catalogue_import, csv_shop_ensure
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.platform.models import SourceImage
from vitrine.platform.services import blob_read

pytestmark = pytest.mark.django_db

HEADER = ["Handle", "Title", "Tags", "Image Src", "Image Position", "Image Alt Text", "Image Mask"]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    images = tmp_path / "images"
    images.mkdir()
    photo = Image.fromarray(skimage.data.astronaut())  # a person in front of a busy backdrop
    photo.save(images / "suit.jpg", quality=90)
    photo.save(images / "suit-2.jpg", quality=90)
    photo.save(images / "suit-3.jpg", quality=90)
    # The merchant's cut-out: the photo with the backdrop made transparent (a box here).
    cutout = photo.convert("RGBA")
    alpha = np.zeros((512, 512), np.uint8)
    alpha[60:512, 90:470] = 255
    cutout.putalpha(Image.fromarray(alpha))
    cutout.save(images / "suit-mask.png")
    Image.new("L", (100, 100), 255).save(images / "small-mask.png")
    write_csv(tmp_path / "products.csv", [
        {"Handle": "suit", "Title": "Flight suit", "Image Src": "images/suit.jpg", "Image Position": "1",
         "Image Mask": "images/suit-mask.png"},
        {"Handle": "suit", "Image Src": "images/suit-2.jpg", "Image Position": "2",
         "Image Mask": "images/small-mask.png"},
        {"Handle": "suit", "Image Src": "images/suit-3.jpg", "Image Position": "3",
         "Image Mask": "images/missing.png"},
    ])  # fmt: skip
    return tmp_path


def test_the_mask_column_becomes_the_protect_mask_and_bad_masks_only_warn(folder: Path) -> None:
    shop = csv_shop_ensure(name="Mask Shop", csv_path=folder / "products.csv", images_dir=folder)
    report = catalogue_import(shop=shop)
    assert report.images == 3  # no photo was lost to a bad mask
    first, second, third = SourceImage.objects.filter(product__shop=shop).order_by("position")

    assert first.protect_mask is not None and not any("mask" in w for w in first.intake_warnings)
    mask = np.asarray(Image.open(io.BytesIO(blob_read(first.protect_mask))))
    assert mask.shape == (512, 512) and set(np.unique(mask)) == {0, 255}
    assert (mask[60:, 90:470] == 255).all() and (mask[:60] == 0).all() and (mask[:, :90] == 0).all()

    assert second.protect_mask is None
    assert "the mask was not used: the mask is 100x100 px but the photo is 512x512 px" in second.intake_warnings
    assert third.protect_mask is None
    [missing] = [w for w in third.intake_warnings if "mask" in w]
    assert missing.startswith("the mask was not used") and "missing.png" in missing and "was not found" in missing

    # Importing again keeps the mask (the photo's address did not change: no download).
    catalogue_import(shop=shop)
    first.refresh_from_db()
    assert first.protect_mask is not None


def test_the_supplied_mask_drives_the_background_edit(folder: Path) -> None:
    classical_engine = Engine(EngineConfig(device="cpu", cpu_threads=1))
    shop = csv_shop_ensure(name="Mask Shop", csv_path=folder / "products.csv", images_dir=folder)
    catalogue_import(shop=shop)
    image = SourceImage.objects.filter(product__shop=shop).order_by("position").first()
    photo = Image.open(io.BytesIO(blob_read(image.image)))
    mask = Image.open(io.BytesIO(blob_read(image.protect_mask)))
    result = classical_engine.render(RenderRequest(image=photo, recipe="background", params={"mode": "solid"},
                                                   mask=mask))
    assert result.protect_mask.method == "supplied"
    output = np.asarray(result.image)
    assert np.array_equal(output[60:, 90:470], np.asarray(photo.convert("RGB"))[60:, 90:470])
    assert (output[:40, :40] == 255).all()  # the backdrop is replaced
