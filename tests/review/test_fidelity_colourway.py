"""The colourway kind of the fidelity report: a good recolour passes, a missed target or a lost print fails."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vitrine.inference import testing
from vitrine.inference.colourspace import rgb_to_lab_exact
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.review.fidelity import compare


@pytest.fixture(scope="module")
def recoloured() -> tuple[Image.Image, np.ndarray, np.ndarray, Image.Image, tuple[float, ...]]:
    image, mask, logo = testing.textured_product(192, color=(178, 34, 52))
    engine = Engine(EngineConfig(device="cpu", cpu_threads=1))
    result = engine.render(RenderRequest(image=image, recipe="colourway", params={"target": "#1F3A93"}, mask=mask))
    target = tuple(float(v) for v in rgb_to_lab_exact((0x1F, 0x3A, 0x93))[0])
    return image, mask, logo, result.image, target


def test_a_faithful_colourway_passes_and_reports_its_distance(recoloured) -> None:  # type: ignore[no-untyped-def]
    image, mask, _, variant, target = recoloured
    report = compare(image, variant, mask, kind="colourway", target_colour=target, ocr=False)
    assert report.measures["target_delta_e"] <= 3.0
    assert report.verdict == "pass", report.reasons
    # The same picture judged as an ordinary edit is a colour change.
    assert compare(image, variant, mask, kind="background", ocr=False).verdict != "pass"


def test_missing_the_target_fails(recoloured) -> None:  # type: ignore[no-untyped-def]
    image, mask, _, variant, _ = recoloured
    far = tuple(float(v) for v in rgb_to_lab_exact((0xF2, 0xD1, 0x6B))[0])
    report = compare(image, variant, mask, kind="colourway", target_colour=far, ocr=False)
    assert report.measures["target_delta_e"] > 6.0
    assert report.verdict == "fail"
    assert any("misses its target colour" in reason for reason in report.reasons)


def test_a_lost_print_is_not_excused_by_the_recolour(recoloured) -> None:  # type: ignore[no-untyped-def]
    image, mask, logo, variant, target = recoloured
    damaged = np.asarray(variant).copy()
    body = np.median(damaged[mask & ~logo], axis=0).astype(np.uint8)
    damaged[logo] = body  # the logo painted over in the new colour
    report = compare(image, Image.fromarray(damaged), mask, kind="colourway", target_colour=target, ocr=False)
    assert report.verdict != "pass"
