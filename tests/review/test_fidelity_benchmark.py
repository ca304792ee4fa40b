"""The labelled fidelity benchmark: how it is built, and a reduced run that must meet the targets."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import color

from vitrine.review.fidelity import benchmark

ALTERING_KINDS = {
    "colour_drift",
    "letter_changed",
    "logo_removed",
    "pattern_blurred",
    "outline_warped",
    "object_added",
    "texture_replaced",
    "part_cut_off",
    "frame_cropped",
}
PRESERVING_KINDS = {"background", "shift", "scale", "jpeg", "round_trip", "mixed"}


@pytest.fixture(scope="module")
def first_products() -> list[benchmark.Product]:
    return benchmark.products()[:2]  # a packshot and a photograph


def test_pairs_cover_every_edit_of_both_families(first_products):
    pairs = list(benchmark.build_pairs(first_products))
    assert {p.edit for p in pairs if p.altering} == ALTERING_KINDS
    assert {p.edit for p in pairs if not p.altering} == PRESERVING_KINDS
    assert {benchmark.products()[i].family for i in (0, 1)} == {"packshot", "photo"}
    for pair in pairs:
        assert pair.variant.dtype == np.uint8 and pair.variant.ndim == 3
        assert pair.mask.shape == pair.original.shape[:2] and pair.mask.any()
    again = list(benchmark.build_pairs(first_products))
    assert all(np.array_equal(a.variant, b.variant) for a, b in zip(pairs, again, strict=True))


def test_colour_drift_is_at_least_three_delta_e(first_products):
    rng = np.random.default_rng(0)
    for product in first_products:
        for _ in range(3):
            drifted = benchmark.colour_drift(product, rng)
            moved = np.any(drifted != product.image, axis=2)
            delta_e = color.deltaE_ciede2000(
                color.rgb2lab(product.image[moved]), color.rgb2lab(drifted[moved])
            )
            assert np.median(delta_e) >= 3.0


def test_a_changed_letter_touches_only_its_own_slot(first_products):
    packshot = first_products[0]
    changed = benchmark.letter_changed(packshot, np.random.default_rng(1))
    ys, xs = np.nonzero(np.any(changed != packshot.image, axis=2))
    assert len(xs) > 0 and xs.max() - xs.min() < 40 and ys.max() - ys.min() < 50  # one glyph at 512 px


@pytest.mark.slow
def test_reduced_benchmark_meets_the_targets():
    # A draw of its own (not the one the thresholds were calibrated on): 6 products, 87 pairs.
    evaluation = benchmark.evaluate(benchmark.build_pairs(benchmark.products(seed=303)[:6], seed=404))
    misses = [(o.pair, o.verdict, o.reasons) for o in evaluation.misses()]
    assert evaluation.auroc >= 0.98, misses
    assert evaluation.altering_caught_rate >= 0.95, misses
    assert evaluation.preserving_pass_rate >= 0.90, misses
