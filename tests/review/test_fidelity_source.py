"""Per-source work: computed once for the variants of one source image, and the report is the same whether
it was reused or not."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data as skimage_data

from vitrine.fidelity import FidelityReport, engine, source
from vitrine.fidelity.text import MemoryTextCache


def coffee_pair() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The espresso cup photo, its cup as the product, and three variants: shifted, brightened, unchanged."""
    original = skimage_data.coffee()
    height, width = original.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    mask = ((xx - 230) / 150.0) ** 2 + ((yy - 150) / 120.0) ** 2 <= 1.0
    shifted = np.roll(original, (2, -3), axis=(0, 1))
    brighter = np.clip(original.astype(np.int16) + 12, 0, 255).astype(np.uint8)
    return original, mask, [shifted, brighter, original.copy()]


@pytest.fixture(autouse=True)
def empty_source_cache() -> None:
    source.DEFAULT_SOURCE_CACHE.clear()


def without_timing(report: FidelityReport) -> dict:
    return {key: value for key, value in report.to_dict().items() if key != "elapsed_ms"}


def test_per_source_work_runs_once_for_the_variants_of_one_source(monkeypatch: pytest.MonkeyPatch) -> None:
    original, mask, variants = coffee_pair()
    frames = []
    real_frame_around = engine.frame_around
    monkeypatch.setattr(engine, "frame_around", lambda *a: frames.append(a) or real_frame_around(*a))
    for variant in variants:
        engine.compare(original, variant, mask, ocr=False)
    assert len(frames) == 1
    # Another mask on the same photo is other work.
    engine.compare(original, variants[0], np.roll(mask, 20, axis=1), ocr=False)
    assert len(frames) == 2


def test_a_report_is_the_same_with_the_source_work_reused() -> None:
    original, mask, variants = coffee_pair()
    for variant in variants:
        source.DEFAULT_SOURCE_CACHE.clear()
        first = engine.compare(original, variant, mask, ocr=True, text_cache=MemoryTextCache())
        again = engine.compare(original, variant, mask, ocr=True, text_cache=MemoryTextCache())
        assert without_timing(again) == without_timing(first)


def test_changing_the_callers_original_afterwards_does_not_reach_the_cache() -> None:
    original, mask, variants = coffee_pair()
    kept = original.copy()
    before = engine.compare(original, variants[0], mask, ocr=False)
    original[:] = 0  # the caller reuses its buffer
    after = engine.compare(kept, variants[0], mask, ocr=False)
    assert without_timing(after) == without_timing(before)
