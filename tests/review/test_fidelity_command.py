"""manage.py fidelity: the report for two files, as text or JSON, and clear errors for bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests.review.test_fidelity import on_backdrop, packshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    image, mask = packshot()
    changed, _ = packshot("ACNE")
    paths = {
        "original": tmp_path / "original.png",
        "variant": tmp_path / "variant.jpg",
        "changed": tmp_path / "changed.png",
        "mask": tmp_path / "mask.png",
    }
    Image.fromarray(image).save(paths["original"])
    Image.fromarray(on_backdrop(image, mask)).save(paths["variant"], quality=95)
    Image.fromarray(on_backdrop(changed, mask)).save(paths["changed"])
    Image.fromarray(mask.astype(np.uint8) * 255).save(paths["mask"])
    return paths


def run(*arguments: str) -> str:
    out = io.StringIO()
    call_command("fidelity", *arguments, stdout=out)
    return out.getvalue()


def test_json_report_for_two_files(files):
    printed = run(
        str(files["original"]), str(files["changed"]), "--mask", str(files["mask"]), "--json", "--no-ocr"
    )
    report = json.loads(printed)
    assert report["verdict"] in ("review", "fail") and 0 <= report["score"] < 0.75
    assert {"ssim", "delta_e_p95", "keypoint_match", "changed_share"} <= set(report["measures"])
    assert report["reasons"] and report["mask"]["source"] == "given"


def test_text_summary_and_diff_images(files, tmp_path):
    printed = run(
        str(files["original"]),
        str(files["variant"]),
        "--mask",
        str(files["mask"]),
        "--no-ocr",
        "--artefacts",
        str(tmp_path / "diff"),
    )
    assert printed.startswith("verdict: pass (score ")
    assert "the product matches the original within tolerance" in printed
    assert sorted(p.name for p in (tmp_path / "diff").iterdir()) == [
        "aligned.png",
        "heatmap.png",
        "outlines.png",
        "pair.png",
    ]


def test_without_a_mask_it_is_estimated(files):
    report = json.loads(run(str(files["original"]), str(files["variant"]), "--json", "--no-ocr"))
    assert report["mask"]["source"] == "estimated" and report["mask"]["confidence"] > 0.5


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f, tmp: [str(tmp / "missing.png"), str(f["variant"])], "cannot read"),
        (lambda f, tmp: [str(f["original"]), str(_write(tmp / "notes.png", b"hello"))], "cannot use"),
        (
            lambda f, tmp: [
                str(f["original"]),
                str(f["variant"]),
                "--mask",
                str(_write(tmp / "m.png", b"x")),
            ],
            "cannot read mask",
        ),
        (
            lambda f, tmp: [str(f["original"]), str(f["variant"]), "--mask", str(_small_mask(tmp))],
            "the mask is 20x20 px but the image is 256x256 px",
        ),
        (lambda f, tmp: [str(f["original"]), str(f["variant"]), "--ignore-box", "1,2,3"], "four numbers"),
    ],
)
def test_bad_input_is_a_clear_error(files, tmp_path, make, message):
    with pytest.raises(CommandError, match=message):
        run(*make(files, tmp_path), "--no-ocr")


def test_unreadable_input_exits_non_zero(files, tmp_path):
    broken = _write(tmp_path / "broken.png", b"\x89PNG\r\n\x1a\nnot really")
    finished = subprocess.run(
        [sys.executable, "manage.py", "fidelity", str(files["original"]), str(broken), "--no-ocr"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode != 0
    assert "cannot use" in finished.stderr and str(broken) in finished.stderr


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _small_mask(directory: Path) -> Path:
    path = directory / "small-mask.png"
    Image.new("L", (20, 20), 255).save(path)
    return path
