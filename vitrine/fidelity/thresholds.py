"""Thresholds per edit kind: calibrated defaults, deployment overrides from settings, template overrides.

Each measure has a ``*_pass`` limit (within it the measure is fine) and a ``*_fail`` limit (beyond it the
measure alone fails the variant). The score maps every measure onto [0, 1] through these two limits, so
the limits of all measures read on one scale: 1 = identical, 0.75 = at the pass limit, 0.25 = at the fail
limit. ``hard_floor`` is the score below which a variant is failed outright instead of being reviewed.

The defaults were calibrated on the calibration split of the labelled sets in ``bench/fidelity_sets``
(bench/RESULTS.md has the figures). Resolution order, later wins: ``DEFAULT_THRESHOLDS`` <-
``KIND_THRESHOLDS[kind]`` <- ``settings.FIDELITY_THRESHOLDS["*"]`` <- ``settings.FIDELITY_THRESHOLDS[kind]``
<- the partial dict a template passes to ``compare(thresholds=...)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from vitrine.edit_kinds import BACKGROUND as KIND_BACKGROUND
from vitrine.edit_kinds import CLEANUP as KIND_CLEANUP
from vitrine.edit_kinds import COLOURWAY as KIND_COLOURWAY
from vitrine.edit_kinds import KINDS
from vitrine.edit_kinds import MODEL_SWAP as KIND_MODEL_SWAP
from vitrine.edit_kinds import TEXT_LOCALIZE as KIND_TEXT_LOCALIZE
from vitrine.fidelity.registry import MEASURES, PASS_CHECKS

# Direction and ideal value of every measure, from the one registry the engine and the review page read.
MEASURE_HIGHER_IS_BETTER: dict[str, bool] = {measure.name: measure.higher_is_better for measure in MEASURES}
MEASURE_IDEAL: dict[str, float] = {measure.name: measure.ideal for measure in MEASURES}

DEFAULT_THRESHOLDS: dict[str, float] = {
    # masked mean SSIM of luminance, pre-smoothed by 0.7 px (1 = identical)
    "ssim_pass": 0.95,
    "ssim_fail": 0.75,
    # gradient magnitude similarity deviation (0 = identical)
    "gmsd_pass": 0.100,
    "gmsd_fail": 0.250,
    # CIEDE2000 percentiles over the product
    "delta_e_p50_pass": 1.5,
    "delta_e_p50_fail": 6.0,
    "delta_e_p95_pass": 3.8,
    "delta_e_p95_fail": 12.0,
    # share of the product's keypoints whose descriptor still matches at the aligned position
    "keypoint_match_pass": 0.98,
    "keypoint_match_fail": 0.70,
    # worst similarity of an OCR'd text line (1 = same string)
    "text_match_pass": 0.99,
    "text_match_fail": 0.50,
    # share of the product changed beyond the per-pixel tolerances: all of it, the largest area whose
    # structure changed, the largest area whose colour alone changed
    "changed_share_pass": 0.008,
    "changed_share_fail": 0.100,
    "largest_change_pass": 0.0003,
    "largest_change_fail": 0.050,
    "colour_change_pass": 0.0015,
    "colour_change_fail": 0.100,
    # share of the product that lies outside the variant's frame
    "missing_share_pass": 0.015,
    "missing_share_fail": 0.060,
    # largest area just outside the mask where the variant still shows the product (an outline pushed
    # outwards), as a share of the product
    "outline_growth_pass": 0.0008,
    "outline_growth_fail": 0.030,
    # colourway only: CIEDE2000 of the product's dominant colour to the target colour. The recipe holds its
    # own output within 3; saved as JPEG, a two-shade pattern at the gamut's edge moved its dominant colour
    # (a trimmed median) by up to 3.8 on calibration, while targets missed on purpose miss by 9 and more.
    "target_delta_e_pass": 4.0,
    "target_delta_e_fail": 6.0,
    # per-pixel tolerances that define "changed"
    "pixel_delta_e": 3.0,
    "pixel_ssim": 0.50,
    # pixels (at analysis resolution) trimmed off the mask edge before measuring
    "mask_erosion_px": 2.0,
    # depth (analysis pixels) of the band along the compared area's edge where a colour change is kept
    # however thin (elsewhere changes thinner than a 5 px disc are resampling and JPEG noise), and the
    # CIEDE2000 a pixel there must exceed; 0 = no such band (the paste-back seam may lie there)
    "edge_band_px": 0.0,
    "edge_band_delta_e": 6.0,
    # beside strong luminance edges of the original (print on the product), a colour change counts only
    # beyond this CIEDE2000; 0 = the usual pixel_delta_e everywhere
    "luma_edge_delta_e": 0.0,
    # outline growth counts only where the grown area ends in an edge this sharp (share of the full
    # product-to-background contrast reached within 2 px either side); 0 = any end counts
    "growth_edge_sharpness": 0.0,
    # each ignore box grows by this share of its height on every side (the halo of rewritten text)
    "ignore_box_margin": 0.15,
    # an estimated mask below this confidence cannot pass on its own: the verdict becomes review
    "mask_confidence_min": 0.5,
    # an alignment whose ECC correlation on the product stays below this cannot pass on its own
    "alignment_correlation_min": 0.80,
    "hard_floor": 0.25,
}

KIND_THRESHOLDS: dict[str, dict[str, float]] = {
    KIND_BACKGROUND: {},
    # Skin and hair next to the garment change legitimately and segmentation edges are soft there.
    # A new model's skin, hair and arms border the garment, often in colours close to it: growth of the
    # garment's outline is left to the reviewer's eye.
    KIND_MODEL_SWAP: {
        "mask_erosion_px": 5.0,
        "changed_share_pass": 0.015,
        "largest_change_pass": 0.002,
        "outline_growth_pass": 0.5,
        "outline_growth_fail": 1.0,
    },
    # Rewritten text is left out through ignore_boxes (grown by ignore_box_margin for the inpainting halo);
    # everything else on the product must stay exactly as strict.
    KIND_TEXT_LOCALIZE: {},
    # The recolour is mapped back before measuring (fidelity/colourway.py); what one map cannot explain
    # (shading clipped at the gamut's edge) leaves small colour residue, so colour is a little looser.
    # A recolour saved as JPEG bleeds the new body colour into the print beside it (chroma is stored at
    # half resolution in 8 px blocks): within a few pixels of print edges, colour counts from ΔE 6, also
    # compared with both sides' chroma smoothed as JPEG stores it (see the engine).
    KIND_COLOURWAY: {
        "delta_e_p50_pass": 2.5,
        "delta_e_p95_pass": 6.0,
        "delta_e_p95_fail": 15.0,
        "luma_edge_delta_e": 6.0,
    },
    # Clean-up only fills around the product and pastes the product back unchanged: the product itself is
    # held to the strictest standard, up to its edge (a fill run over the edge shows there first). The fill
    # diffuses the product's own edge colour into the hole beside it, a soft ramp: only a grown area that
    # ends in a sharp edge is the product grown.
    KIND_CLEANUP: {"edge_band_px": 4.0, "growth_edge_sharpness": 0.4},
}

# Limits that are not pass/fail pairs of a measure, with the range each may take.
_SCALAR_RANGES: dict[str, tuple[float, float]] = {
    "pixel_delta_e": (0.0, 100.0),
    "pixel_ssim": (-1.0, 1.0),
    "mask_erosion_px": (0.0, 64.0),
    "edge_band_px": (0.0, 64.0),
    "edge_band_delta_e": (0.0, 100.0),
    "growth_edge_sharpness": (0.0, 1.0),
    "luma_edge_delta_e": (0.0, 100.0),
    "ignore_box_margin": (0.0, 2.0),
    "mask_confidence_min": (0.0, 1.0),
    "alignment_correlation_min": (-1.0, 1.0),
    "hard_floor": (0.0, 1.0),
}


class ThresholdError(ValueError):
    pass


def _registry_covered() -> None:
    """Every measure and pass check of the registry has its default thresholds (checked at import)."""
    needed = [f"{measure.name}_{end}" for measure in MEASURES for end in ("pass", "fail")]
    needed += [check.threshold for check in PASS_CHECKS]
    missing = [name for name in needed if name not in DEFAULT_THRESHOLDS]
    if missing:
        raise ImproperlyConfigured(f"fidelity measures without default thresholds: {', '.join(missing)}")


_registry_covered()


def _settings_overrides(kind: str) -> list[Mapping[str, float]]:
    from django.conf import settings

    try:
        configured = getattr(settings, "FIDELITY_THRESHOLDS", {})
    except ImproperlyConfigured:  # used outside a Django project (scripts, notebooks): defaults only
        return []
    if not isinstance(configured, Mapping):
        raise ThresholdError("settings.FIDELITY_THRESHOLDS must be a dict of {kind or '*': {name: value}}")
    unknown_kinds = set(configured) - {*KINDS, "*"}
    if unknown_kinds:
        raise ThresholdError(
            f"settings.FIDELITY_THRESHOLDS names unknown edit kinds {sorted(unknown_kinds)}; known: {KINDS}"
        )
    return [configured.get("*", {}), configured.get(kind, {})]


def ocr_enabled_by_default() -> bool:
    """settings.FIDELITY_OCR, or True outside a Django project."""
    from django.conf import settings

    try:
        return bool(getattr(settings, "FIDELITY_OCR", True))
    except ImproperlyConfigured:
        return True


def thresholds_resolve(kind: str, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The effective thresholds for ``kind`` with a template's partial ``overrides`` applied."""
    if kind not in KINDS:
        raise ThresholdError(f"unknown edit kind {kind!r}; expected one of {KINDS}")
    effective = {**DEFAULT_THRESHOLDS, **KIND_THRESHOLDS[kind]}
    for layer in [*_settings_overrides(kind), overrides or {}]:
        effective.update(_validated_layer(layer))
    _check_order(effective)
    return effective


def _validated_layer(layer: Mapping[str, float]) -> dict[str, float]:
    unknown = set(layer) - set(DEFAULT_THRESHOLDS)
    if unknown:
        raise ThresholdError(
            f"unknown fidelity threshold(s) {sorted(unknown)}; known: {sorted(DEFAULT_THRESHOLDS)}"
        )
    validated: dict[str, float] = {}
    for name, value in layer.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ThresholdError(f"fidelity threshold {name!r} must be a finite number, got {value!r}")
        if name in _SCALAR_RANGES:
            low, high = _SCALAR_RANGES[name]
            if not low <= value <= high:
                raise ThresholdError(f"fidelity threshold {name!r} must lie in [{low}, {high}], got {value}")
        validated[name] = float(value)
    return validated


def _check_order(effective: Mapping[str, float]) -> None:
    """Each measure's limits must sit in order: ideal, then pass, then fail, moving away from ideal."""
    for measure, higher_is_better in MEASURE_HIGHER_IS_BETTER.items():
        ideal, pass_limit, fail_limit = (
            MEASURE_IDEAL[measure],
            effective[f"{measure}_pass"],
            effective[f"{measure}_fail"],
        )
        ordered = ideal > pass_limit > fail_limit if higher_is_better else ideal < pass_limit < fail_limit
        if not ordered:
            direction = "ideal > pass > fail" if higher_is_better else "ideal < pass < fail"
            raise ThresholdError(
                f"thresholds for {measure!r} must satisfy {direction} (ideal {ideal}), "
                f"got pass {pass_limit} and fail {fail_limit}"
            )
