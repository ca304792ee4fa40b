"""The one list of what decides a fidelity verdict: scored measures and pass checks.

The engine computes exactly these measures (it refuses to report one that is not listed, or to miss
one), the thresholds take their direction and ideal value from here, and the review page lists every
entry in this order with the reviewer's label. A new measure is added here first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """A scored measure: ``{name}_pass`` and ``{name}_fail`` thresholds map it onto the score."""

    name: str
    label: str  # what the review page calls it
    higher_is_better: bool
    ideal: float  # its value for an identical pair
    kinds: tuple[str, ...] = ()  # the edit kinds it is measured for; empty: every kind


@dataclass(frozen=True)
class PassCheck:
    """Not scored, but below ``threshold`` it keeps a variant from passing (the verdict becomes review)."""

    name: str
    label: str
    threshold: str  # the threshold's name


MEASURES: tuple[Measure, ...] = (
    Measure("ssim", "Structure (SSIM)", True, 1.0),
    Measure("gmsd", "Edges and fine pattern (GMSD)", False, 0.0),
    Measure("delta_e_p50", "Colour shift, typical (ΔE p50)", False, 0.0),
    Measure("delta_e_p95", "Colour shift, worst areas (ΔE p95)", False, 0.0),
    Measure("keypoint_match", "Logo and pattern detail (keypoints kept)", True, 1.0),
    Measure("text_match", "Printed text (similarity)", True, 1.0),
    Measure("changed_share", "Share of the product changed", False, 0.0),
    Measure("largest_change", "Largest region whose structure changed", False, 0.0),
    Measure("colour_change", "Largest region whose colour changed", False, 0.0),
    Measure("missing_share", "Product cut off by the frame", False, 0.0),
    Measure("outline_growth", "Outline grown beyond the mask", False, 0.0),
    Measure("target_delta_e", "Colour reached vs the target swatch (ΔE00)", False, 0.0, kinds=("colourway",)),
)

PASS_CHECKS: tuple[PassCheck, ...] = (
    PassCheck("mask_confidence", "Product outline confidence (estimated masks)", "mask_confidence_min"),
    PassCheck("alignment_correlation", "Alignment with the original (correlation)", "alignment_correlation_min"),
)


def measure_names_for(kind: str) -> tuple[str, ...]:
    """The measures the engine reports for an edit kind, in the order the review page lists them."""
    return tuple(measure.name for measure in MEASURES if not measure.kinds or kind in measure.kinds)
