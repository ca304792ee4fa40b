"""``manage.py edit``: runs without a database (these tests have no ``db`` fixture, so any query fails)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests import photos
from tests.inference.conftest import TINY_SD
from vitrine.inference.management.commands.edit import parse_param


def test_edit_writes_the_image_and_mask(tmp_path: Path, capsys) -> None:
    image, _ = photos.packshot(96, transparent=True)
    image.save(tmp_path / "shot.png")
    call_command(
        "edit",
        str(tmp_path / "shot.png"),
        "--recipe",
        "background",
        "--param",
        "mode=studio",
        "--param",
        "shadow_opacity=0.5",
        "--out",
        str(tmp_path / "out.jpg"),
        "--mask-out",
        str(tmp_path / "mask.png"),
    )
    output = Image.open(tmp_path / "out.jpg")
    assert output.size == (96, 96)
    mask = np.asarray(Image.open(tmp_path / "mask.png")) > 0
    assert np.array_equal(mask, np.asarray(image)[..., 3] >= 250)
    assert "background via classical" in capsys.readouterr().out


def test_edit_with_a_mask_seed_and_a_diffusion_model(tmp_path: Path, tiny_models, settings) -> None:
    settings.INFERENCE_MODEL_REGISTRY_FILE = str(tiny_models["registry"])
    settings.INFERENCE_DEVICE = "cpu"
    photo, truth = photos.packshot(64)
    photo.save(tmp_path / "shot.png")
    Image.fromarray(np.where(truth, 255, 0).astype(np.uint8)).save(tmp_path / "mask.png")
    outputs = []
    for name in ("a.png", "b.png"):
        call_command(
            "edit",
            str(tmp_path / "shot.png"),
            "--recipe",
            "background",
            "--mask",
            str(tmp_path / "mask.png"),
            "--param",
            "mode=generate",
            "--param",
            "prompt=a marble table",
            "--param",
            f"model={TINY_SD}",
            "--seed",
            "9",
            "--out",
            str(tmp_path / name),
        )
        outputs.append(np.asarray(Image.open(tmp_path / name)))
    assert np.array_equal(outputs[0], outputs[1])
    assert np.array_equal(outputs[0][truth], np.asarray(photo)[truth])


def test_edit_reports_engine_errors_as_command_errors(tmp_path: Path) -> None:
    Image.new("RGB", (64, 64), "white").save(tmp_path / "blank.png")
    with pytest.raises(CommandError, match="no product was found"):
        call_command("edit", str(tmp_path / "blank.png"), "--recipe", "background", "--out", str(tmp_path / "o.png"))
    with pytest.raises(CommandError, match="cannot read the photo"):
        call_command("edit", str(tmp_path / "missing.png"), "--recipe", "background", "--out", str(tmp_path / "o.png"))
    with pytest.raises(CommandError, match="write it as key=value"):
        call_command(
            "edit",
            str(tmp_path / "blank.png"),
            "--recipe",
            "background",
            "--param",
            "mode",
            "--out",
            str(tmp_path / "o.png"),
        )


def test_param_values_are_json_when_they_parse() -> None:
    assert parse_param("shadow=false") == ("shadow", False)
    assert parse_param("fill=0.8") == ("fill", 0.8)
    assert parse_param('translations={"a": "b"}') == ("translations", {"a": "b"})
    assert parse_param("prompt=a wooden table") == ("prompt", "a wooden table")
    assert parse_param("color=#FFFFFF") == ("color", "#FFFFFF")
