"""From measures to a score, a verdict and reasons a reviewer can read in one glance."""

from __future__ import annotations

from collections.abc import Mapping

from vitrine.fidelity.report import (
    VERDICT_FAIL,
    VERDICT_PASS,
    VERDICT_REVIEW,
    ChangedRegion,
    TextComparison,
)
from vitrine.fidelity.thresholds import MEASURE_IDEAL

SCORE_AT_PASS_LIMIT = 0.75
SCORE_AT_FAIL_LIMIT = 0.25


def measure_score(measure: str, value: float, limits: Mapping[str, float]) -> float:
    """Piecewise-linear map of a measure onto [0, 1]: 1 at the ideal value, 0.75 at the pass limit, 0.25 at
    the fail limit, 0 as far beyond the fail limit as the fail limit lies beyond the pass limit."""
    ideal, pass_limit, fail_limit = (
        MEASURE_IDEAL[measure],
        limits[f"{measure}_pass"],
        limits[f"{measure}_fail"],
    )
    # progress along ideal -> pass -> fail, in units of each segment (the sign handles both directions)
    to_pass = (value - ideal) / (pass_limit - ideal)
    if to_pass <= 0:
        return 1.0
    if to_pass <= 1:
        return 1.0 - (1.0 - SCORE_AT_PASS_LIMIT) * to_pass
    beyond_pass = (value - pass_limit) / (fail_limit - pass_limit)
    if beyond_pass <= 1:
        return SCORE_AT_PASS_LIMIT - (SCORE_AT_PASS_LIMIT - SCORE_AT_FAIL_LIMIT) * beyond_pass
    return max(0.0, SCORE_AT_FAIL_LIMIT * (2.0 - beyond_pass))


def measure_scores(measures: Mapping[str, float | None], limits: Mapping[str, float]) -> dict[str, float]:
    return {name: measure_score(name, value, limits) for name, value in measures.items() if value is not None}


def verdict_for(score: float, limits: Mapping[str, float], *, pass_blocked: bool) -> str:
    if score < limits["hard_floor"]:
        return VERDICT_FAIL
    if score >= SCORE_AT_PASS_LIMIT and not pass_blocked:
        return VERDICT_PASS
    return VERDICT_REVIEW


def describe(
    measures: Mapping[str, float | None],
    scores: Mapping[str, float],
    regions: list[ChangedRegion],
    text: list[TextComparison],
    lost_keypoints_where: str | None,
) -> list[str]:
    """One sentence per measure beyond its pass limit, worst first; repeated sentences are dropped."""
    sentences: list[str] = []
    for measure in sorted((m for m, s in scores.items() if s < SCORE_AT_PASS_LIMIT), key=scores.__getitem__):
        sentences.extend(_sentences(measure, measures, regions, text, lost_keypoints_where))
    return list(dict.fromkeys(sentences))


def _sentences(
    measure: str,
    measures: Mapping[str, float | None],
    regions: list[ChangedRegion],
    text: list[TextComparison],
    lost_keypoints_where: str | None,
) -> list[str]:
    value = measures[measure]
    assert value is not None
    colour_regions = [r for r in regions if r.cause == "colour"]
    structure_regions = [r for r in regions if r.cause == "structure"]
    if measure in ("delta_e_p50", "delta_e_p95"):
        p50, p95 = measures["delta_e_p50"], measures["delta_e_p95"]
        if measure == "delta_e_p50" or sum(r.share for r in colour_regions) > 0.5:
            return [
                f"colour shifted by ΔE {p50:.1f} across the product (ΔE {p95:.1f} at the 95th percentile)"
            ]
        if colour_regions:
            return [_colour_shift(r) for r in colour_regions[:2]]
        return [f"colour shifted in places: ΔE {p95:.1f} at the 95th percentile of the product"]
    if measure == "colour_change":
        return [_colour_shift(r) for r in colour_regions[:2]]
    if measure in ("changed_share", "largest_change"):
        if structure_regions:
            return [
                f"the product changed {r.where} ({_percent(r.share)} of its area, local SSIM {r.ssim:.2f})"
                for r in structure_regions[:2]
            ]
        return [_colour_shift(r) for r in colour_regions[:2]]
    if measure == "ssim":
        return [f"the product's structure differs from the original (masked SSIM {value:.2f})"]
    if measure == "gmsd":
        return [
            f"edges and fine pattern differ from the original (GMSD {value:.3f}): "
            "a pattern smoothed, sharpened or redrawn"
        ]
    if measure == "keypoint_match":
        where = f", mostly {lost_keypoints_where}" if lost_keypoints_where else ""
        return [
            f"logo or pattern detail changed: only {_percent(value)} of the product's keypoints still "
            f"match{where}"
        ]
    if measure == "text_match":
        return [
            f"text '{t.variant}' was added"
            if not t.original
            else f"text '{t.original}' is missing"
            if t.variant is None
            else f"text '{t.original}' now reads '{t.variant}'"
            for t in text
            if t.similarity < 1.0
        ]
    if measure == "outline_growth":
        return [f"the product's outline grew outwards ({_percent(value)} of its area beyond the mask)"]
    if measure == "missing_share":
        return [f"{_percent(value)} of the product is cut off by the variant's frame"]
    if measure == "target_delta_e":
        return [f"the colourway misses its target colour by ΔE {value:.1f}"]
    raise ValueError(f"no description for measure {measure!r}")


def _colour_shift(region: ChangedRegion) -> str:
    return f"colour shifted by ΔE {region.delta_e:.1f} {region.where} ({_percent(region.share)} of its area)"


def _percent(share: float) -> str:
    percent = 100 * share
    if percent < 0.1:
        return "under 0.1%"
    return f"{percent:.1f}%" if percent < 10 else f"{percent:.0f}%"


def location(centre_x: float, centre_y: float, box: tuple[float, float, float, float]) -> str:
    """Where a point sits in a box, in words: 'in the upper left of the product', 'at the top of ...'."""
    x0, y0, x1, y1 = box
    column = min(2, max(0, int(3 * (centre_x - x0) / max(x1 - x0, 1e-6))))
    row = min(2, max(0, int(3 * (centre_y - y0) / max(y1 - y0, 1e-6))))
    return {
        (0, 0): "in the upper left of the product",
        (0, 1): "at the top of the product",
        (0, 2): "in the upper right of the product",
        (1, 0): "on the left of the product",
        (1, 1): "in the centre of the product",
        (1, 2): "on the right of the product",
        (2, 0): "in the lower left of the product",
        (2, 1): "at the bottom of the product",
        (2, 2): "in the lower right of the product",
    }[(row, column)]
