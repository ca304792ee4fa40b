"""compare(): align the variant onto the original, measure the product, score it, explain it.

Everything runs on an analysis frame: the product's bounding box (plus a margin) cut from the original
and resized so its long side is at most ANALYSIS_SIDE. The variant is resampled into the same frame
through the registration, then pasted inside the product mask over the original (the composite), so
every measure compares product with product and nothing else.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from vitrine.fidelity import align, colourway, measures, reading, scoring, source, text
from vitrine.fidelity.analysis import Analysis, Frame, frame_around
from vitrine.fidelity.colour import delta_e_ciede2000, rgb_to_lab
from vitrine.fidelity.imaging import (
    FidelityInputError,
    ImageInput,
    as_boxes,
    as_mask,
    as_rgb,
    mask_from_base64_png,
    mask_to_base64_png,
)
from vitrine.fidelity.registry import measure_names_for
from vitrine.fidelity.report import (
    VERDICT_PASS,
    Alignment,
    AnalysisFrame,
    Box,
    ChangedRegion,
    FidelityReport,
    MaskInfo,
    TextComparison,
)
from vitrine.fidelity.thresholds import (
    KIND_BACKGROUND,
    KIND_COLOURWAY,
    ocr_enabled_by_default,
    thresholds_resolve,
)

# Share of the photo's long side: how far a variant may shift a product that the photo already crops.
PHOTO_EDGE_SLIVER = 0.016
# Changed regions smaller than this share of the product are noise (and never reported).
MIN_REGION_SHARE = 0.0002
MAX_REGIONS = 12
# Colour is compared after smoothing (in half-resolution pixels): JPEG's chroma blocks and sub-pixel
# resampling at edges are high-frequency, a colour drift is not.
COLOUR_SIGMA = 1.0
# Changed areas thinner than these kernels (a 3 px square, a 5 px disc) are noise (see _measure).
STRUCTURE_SPECK = np.ones((3, 3), np.uint8)
COLOUR_SPECK = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
# A changed region is a change of structure when at least this share of it lost structure.
STRUCTURE_SHARE_OF_REGION = 0.25
# Strong luminance edges (a Sobel magnitude on 0..1 luminance: a step of about a fifth of the range) and
# how far beside them a JPEG's chroma bleeds (analysis pixels); see the luma_edge_delta_e threshold.
LUMA_EDGE_GRADIENT = 0.8
LUMA_EDGE_PX = 3.0
# There the chroma of both sides is also compared smoothed as JPEG stores it (colourway.chroma_smoothed).
# The colour of the edge band (edge_band_px) is compared at full resolution, smoothed this much, and gaps
# along it up to this size are closed (see _band_changes).
BAND_SIGMA = 0.7
BAND_CLOSING = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
# How far from the compared area's edge GMSD stops (analysis pixels): its gradient kernel at half resolution
# reaches this far, and the outline is measured elsewhere (see _gmsd).
GMSD_EDGE_PX = 4.0
# Growth of the outline (analysis pixels): how much deeper than the seam along the rest of the outline
# the product must show, and how far out; and how far out the variant's background is sampled beside it.
GROWTH_BAND = (2.0, 16.0)
GROWTH_REFERENCE = 22.0
# A band pixel belongs to the product when it is within this CIEDE2000 of the product's colour at the
# nearest point of the outline and beyond it from the background next to it.
GROWTH_DELTA_E = 8.0


def compare(
    original: ImageInput,
    variant: ImageInput,
    product_mask: ImageInput | None = None,
    kind: str = KIND_BACKGROUND,
    thresholds: Mapping[str, float] | None = None,
    *,
    ignore_boxes: Iterable[Sequence[float]] | None = None,
    ocr: bool | None = None,
    mask_confidence: float | None = None,
    mask_method: str = "given",
    text_cache: text.TextCache | None = None,
    target_colour: Sequence[float] | None = None,
) -> FidelityReport:
    """The SKU-fidelity report of ``variant`` against ``original``.

    ``product_mask`` (bool, 0/255 or a PIL "L" image of the original's size) marks the product; without
    one it is estimated (the report says so, with the estimate's confidence). ``kind`` selects the edit
    kind's thresholds and ``thresholds`` overrides some of them. ``ignore_boxes`` ((x0, y0, x1, y1) in
    original pixels) are areas legitimately rewritten, such as localized text; each grows by the
    ``ignore_box_margin`` threshold. ``ocr`` turns reading printed text (the slow step) on or off; by
    default settings.FIDELITY_OCR decides (on outside a Django project). ``mask_confidence`` is the
    confidence of a given mask that was itself estimated (e.g. by the renderer's segmentation): below
    the ``mask_confidence_min`` threshold the variant cannot pass. ``mask_method`` names how that mask was
    made; an outline found automatically in a photo of a scene (``grabcut``) never passes on its own.
    ``text_cache`` keeps the original's text lines between calls (by content hash), so OCR detection runs
    once per source image; by default a cache local to this process.
    ``target_colour`` (CIELAB) is the colour a ``colourway`` variant had to reach; see
    :mod:`vitrine.fidelity.colourway`.
    """
    started = time.perf_counter()
    limits = thresholds_resolve(kind, thresholds)
    read_text = ocr_enabled_by_default() if ocr is None else ocr
    original_rgb = as_rgb(original, name="original")
    variant_rgb = as_rgb(variant, name="variant")
    shape = original_rgb.shape[:2]
    boxes = as_boxes(ignore_boxes, shape=shape)
    if product_mask is None:
        mask, mask_info = _estimated_mask(original, original_rgb)
    else:
        mask = as_mask(product_mask, shape=shape)
        mask_info = MaskInfo(
            source="given", method=mask_method, area_share=round(float(mask.mean()), 5),
            confidence=None if mask_confidence is None else round(float(mask_confidence), 4),
        )
    product_full = mask.copy()
    for x0, y0, x1, y1 in boxes:
        margin = round(limits["ignore_box_margin"] * (y1 - y0))
        product_full[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin] = False
    if not product_full.any():
        raise FidelityInputError("the ignore boxes cover the whole product mask: nothing is left to compare")

    target_delta_e = None
    reference_rgb = original_rgb  # what the variant's pixels must match
    if kind == KIND_COLOURWAY:
        if target_colour is not None:
            target_delta_e = colourway.target_delta_e(variant_rgb, mask, target_colour)
        # The original as the recolour should have left it; text is still read on the original itself
        # (its reading is cached per source image).
        reference_rgb = colourway.recoloured_original(original_rgb, variant_rgb, mask)
    # What depends on the original alone is reused for further variants of it; a colourway's reference
    # is recoloured per variant, so there is nothing to reuse.
    work = (
        source.DEFAULT_SOURCE_CACHE.work(original_rgb, product_full, variant_rgb.shape)
        if kind != KIND_COLOURWAY
        else None
    )
    # A colourway is registered and its structure (keypoints, SSIM, GMSD) compared on lightness, not
    # luma: the recolour keeps the order of lightness (scaled and shifted, see colourway.py) but not of
    # luma, which weighs the channels apart, so two shades of a pattern that a hue turn leaves at nearly
    # the same luma swap their order under the map's small residue and every ORB test across them flips.
    grey = colourway.lightness_grey if kind == KIND_COLOURWAY else None
    analysis, keypoints = _analyse(reference_rgb, variant_rgb, product_full, limits, work, grey)
    compared_area = int(analysis.compared.sum())
    product_box = _product_box(analysis)
    regions = _regions(analysis, product_box, compared_area)
    compared_delta_e = analysis.delta_e[analysis.compared]
    values: dict[str, float | None] = {
        "ssim": float(analysis.ssim[analysis.compared].mean()),
        "gmsd": _gmsd(analysis),
        "delta_e_p50": float(np.percentile(compared_delta_e, 50)),
        "delta_e_p95": float(np.percentile(compared_delta_e, 95)),
        "keypoint_match": keypoints.ratio,
        "text_match": None,
        # Parts outside the variant's frame count in missing_share only, with their own limits.
        "changed_share": float((analysis.changed & analysis.valid).sum() / compared_area),
        # The largest connected change of structure and of colour, apart: a changed letter is a small area,
        # while colour noise along edges forms small areas too and only a large one is a colour change.
        "largest_change": _largest_area(analysis.structure_changed & analysis.valid) / compared_area,
        "colour_change": _largest_area(analysis.colour_changed & analysis.valid) / compared_area,
        "missing_share": float((~analysis.valid & analysis.compared).sum() / compared_area),
        "outline_growth": _outline_growth(analysis, work) / compared_area,
    }
    if kind == KIND_COLOURWAY:
        values["target_delta_e"] = target_delta_e

    expected = measure_names_for(kind)
    if set(values) != set(expected):
        raise RuntimeError(f"the engine's measures {sorted(values)} differ from the registry's {expected}")
    values = {name: values[name] for name in expected}  # the registry's order, as the page lists them

    notes = [_mask_note(mask_info)] if mask_info.source == "estimated" else []
    if kind == KIND_COLOURWAY and target_colour is None:
        notes.append("no target colour was given, so whether the colourway reached it was not checked")
    text_comparisons: list[TextComparison] = []
    if read_text:
        text_comparisons = reading.read_and_compare_text(
            original_rgb,
            variant_rgb,
            product_full,
            analysis,
            regions,
            text_cache if text_cache is not None else reading.DEFAULT_TEXT_CACHE,
            adds_text=kind in reading.KINDS_WRITING_TEXT,
            original_digest=work.original_digest if work is not None else None,
        )
        if text_comparisons:
            values["text_match"] = min(t.similarity for t in text_comparisons)
        else:
            notes.append("no printed text was found on the product")
    else:
        notes.append("printed text was not read (OCR skipped)")
    if keypoints.ratio is None:
        notes.append("too few keypoints on the product to compare logo and pattern detail")

    scores = scoring.measure_scores(values, limits)
    score = min(scores.values())
    alignment = _alignment(analysis, original_rgb, variant_rgb)
    blockers = _pass_blockers(alignment, mask_info, limits)
    verdict = scoring.verdict_for(score, limits, pass_blocked=bool(blockers))
    if verdict == VERDICT_PASS:
        reasons = ["the product matches the original within tolerance"]
    else:
        lost_where = _where_lost(keypoints.lost, analysis.frame, product_box)
        reasons = scoring.describe(values, scores, regions, text_comparisons, lost_where) + blockers

    return FidelityReport(
        verdict=verdict,
        score=round(score, 4),
        kind=kind,
        measures={name: (None if v is None else round(v, 5)) for name, v in values.items()},
        measure_scores={name: round(s, 4) for name, s in scores.items()},
        reasons=reasons,
        notes=notes,
        regions=regions,
        text=text_comparisons,
        alignment=alignment,
        mask=mask_info,
        frame=AnalysisFrame(
            box=analysis.frame.crop,
            scale=round(analysis.frame.size[0] / (analysis.frame.crop[2] - analysis.frame.crop[0]), 6),
            mask_png=(work or source.SourceWork("", "")).get(
                "mask_png", lambda: mask_to_base64_png(analysis.product)
            ),
        ),
        thresholds=limits,
        ignore_boxes=boxes,
        original_size=(original_rgb.shape[1], original_rgb.shape[0]),
        variant_size=(variant_rgb.shape[1], variant_rgb.shape[0]),
        ocr=read_text,
        elapsed_ms=round(1000 * (time.perf_counter() - started), 1),
    )


def _luma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _analyse(
    original: np.ndarray,
    variant: np.ndarray,
    product_full: np.ndarray,
    limits: Mapping[str, float],
    work: source.SourceWork | None = None,
    grey: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[Analysis, measures.KeypointAgreement]:
    """Register and measure one pair: RGB uint8 arrays and the bool product mask of the original's size.
    ``work`` keeps what depends on the original alone (None: compute everything here). ``grey`` turns RGB
    uint8 into the uint8 grey the pair is registered and its structure compared on (default: luma)."""
    structure_grey = grey
    grey = grey or _luma
    work = work if work is not None else source.SourceWork("", "")

    def original_side() -> tuple[Frame, np.ndarray, np.ndarray, np.ndarray, tuple, np.ndarray | None]:
        frame = frame_around(product_full, variant.shape[:2])
        original_frame = frame.cut(original)
        product = frame.cut(product_full.astype(np.uint8) * 255) >= 128
        if not product.any():
            raise FidelityInputError("the product mask is too thin to measure at analysis resolution")
        original_grey = grey(original_frame)
        keypoints, descriptors = align.orb_detector().detectAndCompute(original_grey, product.astype(np.uint8))
        return frame, original_frame, product, original_grey, tuple(keypoints), descriptors

    frame, original_frame, product, original_grey, keypoints, descriptors = work.get("frame", original_side)
    if structure_grey is not None:
        # The grey structure is compared on is the one just made: not converted again.
        work.get("structure_grey", lambda: original_grey.astype(np.float32) * np.float32(1 / 255))
    # The variant is reduced to the analysis scale once, in colour; with luma the alignment works on that
    # reduction turned grey (another grey, such as the colourway kind's lightness, is not linear in the
    # channels and is taken from the full-size variant).
    variant_reductions = align.Reductions(variant)
    registration = align.register(
        original_grey,
        product,
        align.GreyReductions(variant_reductions) if structure_grey is None else grey(variant),
        frame.to_original,
        (original.shape[1], original.shape[0]),
        (list(keypoints), descriptors),
        work.get("levels", lambda: align.original_levels(original_grey, product)),
    )
    analysis = _measure(
        original, variant_reductions, frame, product, registration, limits, original_frame, work, structure_grey
    )
    # The same 8-bit grey conversion on both sides, so identical pixels give identical descriptors (a
    # structure grey other than luminance was made from the same 8-bit composite, and is exact in float).
    if structure_grey is not None:
        composite_grey = np.rint(analysis.composite_grey * 255).astype(np.uint8)
    else:
        composite_grey = grey(np.clip(analysis.composite * 255 + 0.5, 0, 255).astype(np.uint8))
    agreement = measures.keypoint_agreement(
        original_grey,
        composite_grey,
        list(keypoints),
        descriptors,
        analysis.compared,
        align.orb_detector(),
    )
    return analysis, agreement


def reanalyse(original: np.ndarray, variant: np.ndarray, report: FidelityReport) -> Analysis:
    """The analysis maps of a stored report, rebuilt from its frame, mask and alignment (no new fit)."""
    product = mask_from_base64_png(report.frame.mask_png)
    frame = Frame.around(report.frame.box, (product.shape[1], product.shape[0]))
    original_to_variant = align.to3(np.asarray(report.alignment.matrix, dtype=np.float64))
    registration = align.Registration(
        matrix=(original_to_variant @ frame.to_original)[:2],
        method=report.alignment.method,
        correlation=report.alignment.correlation,
        refined=report.alignment.refined,
    )
    grey = colourway.lightness_grey if report.kind == KIND_COLOURWAY else None
    return _measure(original, variant, frame, product, registration, report.thresholds, grey=grey)


def _measure(
    original: np.ndarray,
    variant: np.ndarray | align.Reductions,
    frame: Frame,
    product: np.ndarray,
    registration: align.Registration,
    limits: Mapping[str, float],
    original_frame: np.ndarray | None = None,
    work: source.SourceWork | None = None,
    grey: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Analysis:
    """The maps of one registered pair; ``grey`` (RGB uint8 to uint8) is the grey structure is compared
    on (default: luminance)."""
    scale = np.float32(1 / 255)
    reductions = variant if isinstance(variant, align.Reductions) else align.Reductions(variant)
    variant = reductions.image

    def structure_grey(rgb: np.ndarray) -> np.ndarray:
        if grey is None:
            return measures.luma(rgb)
        return grey(np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)).astype(np.float32) * scale

    work = work if work is not None else source.SourceWork("", "")
    original_f = work.get(
        "original_f",
        lambda: (frame.cut(original) if original_frame is None else original_frame).astype(np.float32) * scale,
    )
    if variant.shape == original.shape and np.allclose(registration.matrix, frame.to_original[:2], atol=1e-9):
        # Same framing, plain resize: the variant is cut exactly as the original was (an exact paste-back
        # then compares pixel for pixel, and only the product's box is resampled).
        aligned = frame.cut(variant).astype(np.float32) * scale
    else:
        # Resampled in 8 bits and converted after: the reduction of a full-size variant is the costly step,
        # and a rounding of half a grey level is far below every tolerance.
        aligned = align.warp_antialiased(reductions, registration.matrix, frame.size).astype(np.float32) * scale
    valid = _inside_variant(registration.matrix, frame.size, variant.shape[:2])
    compared = _eroded(product, limits["mask_erosion_px"])
    if not compared.any():
        compared = product  # a product thinner than the erosion: measure what there is
    # Where the photo itself crops the product, a variant shifted by a few pixels loses a sliver of it
    # along that edge; that sliver is not compared (anything deeper counts as missing).
    sliver = ~valid & _near_photo_edge(frame, original.shape[:2])
    if (compared & ~sliver).any():
        compared &= ~sliver
    composite = np.where(product[:, :, None], aligned, original_f)
    original_grey = work.get("structure_grey", lambda: structure_grey(original_f))
    composite_grey = structure_grey(composite)
    ssim = measures.ssim_map(
        work.get("ssim_grey", lambda: measures.presmoothed(original_grey)),
        measures.presmoothed(composite_grey),
    )
    delta_e = _delta_e_map(original_f, composite, compared, work)
    # Specks and lines a few pixels wide are resampling and compression noise (JPEG's chroma blocks
    # along colour edges are the widest), not a change anyone could see: both maps are opened.
    structure_changed = _opened(ssim < limits["pixel_ssim"], STRUCTURE_SPECK) & compared
    colour_over = delta_e > limits["pixel_delta_e"]
    if limits.get("luma_edge_delta_e", 0.0) > 0:
        # Beside print a JPEG bleeds the body's chroma into it: there a change counts only beyond the looser
        # tolerance, both as compared and with both sides' chroma smoothed as JPEG stores it (like for
        # like: the bleed at low qualities exceeds the tolerance itself, the same smoothing on the
        # reference bleeds it alike, while a part drifted in colour keeps its drift away from its edge).
        like = _delta_e_map(colourway.chroma_smoothed(original_f, cv2.BORDER_REFLECT),
                            colourway.chroma_smoothed(composite, cv2.BORDER_REFLECT), compared)
        colour_over &= ~(
            _near_luma_edges(original_f) & (np.minimum(delta_e, like) <= limits["luma_edge_delta_e"])
        )
    colour_changed = _opened(colour_over, COLOUR_SPECK) & compared
    # .get: reports stored before these thresholds existed are redrawn without them
    if limits.get("edge_band_px", 0.0) > 0:
        # Along the edge a change is kept however thin: a fill run a few pixels over the product's edge
        # is a band thinner than the speck filter, and a stronger tolerance keeps JPEG's ringing out.
        band = compared & ~_eroded(compared, limits["edge_band_px"])
        colour_changed |= _band_changes(original_f, composite, band, limits["edge_band_delta_e"])
    changed = (structure_changed | colour_changed | ~valid) & compared
    return Analysis(
        frame=frame,
        registration=registration,
        limits=limits,
        original=original_f,
        aligned=aligned,
        composite=composite,
        product=product,
        compared=compared,
        valid=valid,
        ssim=ssim,
        delta_e=delta_e,
        structure_changed=structure_changed,
        colour_changed=colour_changed,
        changed=changed,
        original_grey=original_grey,
        composite_grey=composite_grey,
    )


def _band_changes(original: np.ndarray, composite: np.ndarray, band: np.ndarray, tolerance: float) -> np.ndarray:
    """Pixels of ``band`` (along the compared area's edge) whose colour changed beyond ``tolerance``,
    compared at full resolution after a light smoothing (BAND_SIGMA): a fill run a few pixels over the
    edge is as thin as the half-resolution colour map's smoothing, which would dilute it under the
    tolerance. Gaps along the band are closed, so a smear broken by a pixel reads as one area."""
    if not band.any():
        return band
    ys, xs = np.nonzero(band)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = (slice(max(0, y0 - 2), y1 + 2), slice(max(0, x0 - 2), x1 + 2))
    original_s = cv2.GaussianBlur(original[crop], (0, 0), BAND_SIGMA)
    composite_s = cv2.GaussianBlur(composite[crop], (0, 0), BAND_SIGMA)
    where = band[crop]
    over = np.zeros(band.shape, bool)
    over[crop] = measures.delta_e_map(original_s, composite_s, where) > tolerance
    return (cv2.morphologyEx(over.astype(np.uint8), cv2.MORPH_CLOSE, BAND_CLOSING) > 0) & band


def _estimated_mask(original_input: ImageInput, original: np.ndarray) -> tuple[np.ndarray, MaskInfo]:
    from vitrine.inference.masks import estimate_protect_mask

    # The estimator prefers the alpha channel, so it gets the caller's image with alpha intact.
    image = (
        original_input
        if isinstance(original_input, Image.Image)
        else Image.fromarray(
            original_input if original_input.ndim == 3 and original_input.shape[2] == 4 else original
        )
    )
    estimate = estimate_protect_mask(image)
    if not estimate.mask.any():
        detail = "; ".join(estimate.warnings) or "the estimator found nothing"
        raise FidelityInputError(f"no product could be found in the original ({detail}); pass a product_mask")
    info = MaskInfo(
        source="estimated",
        method=estimate.method,
        confidence=round(float(estimate.confidence), 4),
        area_share=round(float(estimate.mask.mean()), 5),
        warnings=tuple(estimate.warnings),
    )
    return as_mask(estimate.mask, shape=original.shape[:2]), info


def _mask_note(info: MaskInfo) -> str:
    warnings = f"; {'; '.join(info.warnings)}" if info.warnings else ""
    return f"the product mask was estimated ({info.method}, confidence {info.confidence:.2f}{warnings})"


# Outlines that can be clean and still be the wrong object (another thing in the scene): a person checks.
UNVERIFIED_MASK_METHODS = ("grabcut",)


def _pass_blockers(alignment: Alignment, mask_info: MaskInfo, limits: Mapping[str, float]) -> list[str]:
    """Reasons a variant whose measures all pass still needs a reviewer's eye."""
    blockers = []
    if mask_info.source == "estimated" and (mask_info.confidence or 0.0) < limits["mask_confidence_min"]:
        blockers.append(
            f"the product mask was estimated with low confidence ({mask_info.confidence:.2f}), so the "
            "measures may cover the wrong area"
        )
    elif mask_info.confidence is not None and mask_info.confidence < limits["mask_confidence_min"]:
        blockers.append(
            f"the product outline the edit kept was estimated with low confidence ({mask_info.confidence:.2f}): "
            "parts of the product may have been replaced or background kept; check its edges"
        )
    elif mask_info.source == "given" and mask_info.method in UNVERIFIED_MASK_METHODS:
        confidence = "" if mask_info.confidence is None else f" (outline confidence {mask_info.confidence:.2f})"
        blockers.append(
            f"the product was outlined automatically in a photo of a scene{confidence}: check that the kept "
            "area is the whole product and nothing else"
        )
    if alignment.correlation is None or alignment.correlation < limits["alignment_correlation_min"]:
        detail = (
            "it did not converge"
            if alignment.correlation is None
            else f"correlation {alignment.correlation:.2f}"
        )
        blockers.append(f"the variant could not be aligned closely with the original ({detail})")
    return blockers


def _inside_variant(
    pose: np.ndarray, frame_size: tuple[int, int], variant_shape: tuple[int, ...]
) -> np.ndarray:
    width, height = frame_size
    # The map is affine: when the frame's corner pixels fall inside, every pixel does.
    corners = pose @ np.array([[0, width - 1, 0, width - 1], [0, 0, height - 1, height - 1], [1, 1, 1, 1]], float)
    if (corners >= -0.5).all() and (corners[0] <= variant_shape[1] - 0.5).all() and (
        corners[1] <= variant_shape[0] - 0.5
    ).all():
        return np.ones((height, width), bool)
    xs = np.arange(width, dtype=np.float32)[None, :]
    ys = np.arange(height, dtype=np.float32)[:, None]
    vx = pose[0, 0] * xs + pose[0, 1] * ys + pose[0, 2]
    vy = pose[1, 0] * xs + pose[1, 1] * ys + pose[1, 2]
    return (vx >= -0.5) & (vy >= -0.5) & (vx <= variant_shape[1] - 0.5) & (vy <= variant_shape[0] - 0.5)


def _largest_area(mask: np.ndarray) -> int:
    # Labelled within the mask's bounding box only (most change maps are nearly empty).
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    if w == 0 or h == 0:
        return 0
    count, _, stats, _ = cv2.connectedComponentsWithStats(
        mask[y : y + h, x : x + w].astype(np.uint8), connectivity=8
    )
    return int(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0


def _opened(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel) > 0


def _near_photo_edge(frame: Frame, original_shape: tuple[int, ...]) -> np.ndarray:
    """Frame pixels within PHOTO_EDGE_SLIVER of the original photo's border."""
    height, width = original_shape[:2]
    tolerance = PHOTO_EDGE_SLIVER * max(height, width)
    frame_width, frame_height = frame.size
    xs = frame.to_original[0, 0] * np.arange(frame_width) + frame.to_original[0, 2]
    ys = frame.to_original[1, 1] * np.arange(frame_height) + frame.to_original[1, 2]
    near_x = (xs < tolerance) | (xs > width - 1 - tolerance)
    near_y = (ys < tolerance) | (ys > height - 1 - tolerance)
    return near_x[None, :] | near_y[:, None]


def _near_luma_edges(rgb: np.ndarray) -> np.ndarray:
    """Pixels within LUMA_EDGE_PX of a strong luminance edge (print on the product) of ``rgb``."""
    luma = measures.luma(rgb)
    magnitude = np.hypot(cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1))
    strong = (magnitude <= LUMA_EDGE_GRADIENT).astype(np.uint8)
    return cv2.distanceTransform(strong, cv2.DIST_L2, 3) <= LUMA_EDGE_PX


def _eroded(mask: np.ndarray, radius: float) -> np.ndarray:
    size = 2 * round(radius) + 1
    if size <= 1:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


def _delta_e_map(
    original: np.ndarray, composite: np.ndarray, compared: np.ndarray, work: source.SourceWork | None = None
) -> np.ndarray:
    """CIEDE2000 at half resolution (colour is low-frequency and JPEG halves chroma anyway), shown at full
    resolution."""
    height, width = compared.shape
    half = (max(1, width // 2), max(1, height // 2))
    work = work if work is not None else source.SourceWork("", "")
    original_half = work.get(
        "delta_e_original", lambda: _smoothed(cv2.resize(original, half, interpolation=cv2.INTER_AREA))
    )
    composite_half = _smoothed(cv2.resize(composite, half, interpolation=cv2.INTER_AREA))
    where = cv2.resize(compared.astype(np.uint8), half, interpolation=cv2.INTER_NEAREST) > 0
    small = measures.delta_e_map(original_half, composite_half, where)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST) * compared


def _smoothed(rgb: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(rgb, (0, 0), COLOUR_SIGMA, borderType=cv2.BORDER_REFLECT)


def _gmsd(analysis: Analysis) -> float:
    gms = measures.gradient_similarity_map(analysis.original_grey, analysis.composite_grey)
    # Away from the outline: the gradient kernel (at half resolution) reaches GMSD_EDGE_PX beyond a pixel,
    # and at the outline it would weigh the paste-back seam and a sub-pixel shift of the outline, which
    # on a plain product (no other edges) outweigh everything else. The outline has its own measures.
    inner = _eroded(analysis.compared, GMSD_EDGE_PX)
    where = (
        cv2.resize(
            (inner if inner.any() else analysis.compared).astype(np.uint8),
            (gms.shape[1], gms.shape[0]),
            interpolation=cv2.INTER_NEAREST,
        )
        > 0
    )
    return float(gms[where].std()) if where.any() else 0.0


def _outline_growth(analysis: Analysis, work: source.SourceWork | None = None) -> float:
    """Analysis pixels of the largest area just outside the product mask where the variant still shows
    the product deeper than it does along the rest of the outline. A band pixel shows the product when
    its colour matches the product's edge next to it, differs from the variant's background further out,
    and the original there did not already look like the product (a mask cut through a photograph).
    Every paste-back leaves a seam of some depth all round; only depth beyond the seam's usual depth
    counts. The composite compares product with product, so this is the only place where an outline
    pushed outwards over a plain product shows."""
    product = analysis.product
    work = work if work is not None else source.SourceWork("", "")
    outline = work.get("outline", lambda: _outline_geometry(analysis.original, product))
    if outline is None:
        return 0.0
    # The band as far as it lies inside the variant's frame (all of it, unless the variant crops it).
    inside = analysis.valid[outline.ys, outline.xs]
    if not inside.any():
        return 0.0
    every = bool(inside.all())
    ys, xs, away, reference, judged, edge = (
        (values if every else values[inside])
        for values in (outline.ys, outline.xs, outline.away, outline.reference, outline.judged, outline.edge)
    )
    original_lab = outline.original_lab if every else outline.original_lab[inside]
    labels, distance, lookup = outline.labels, outline.distance, outline.lookup
    aligned = _smoothed(analysis.aligned)
    shown = rgb_to_lab(aligned[ys, xs])
    like = judged & (delta_e_ciede2000(shown, edge) < GROWTH_DELTA_E)
    if like.any():
        like[like] &= (
            delta_e_ciede2000(shown[like], rgb_to_lab(aligned[reference[like, 1], reference[like, 0]]))
            >= GROWTH_DELTA_E
        )
    if like.any():
        like[like] &= delta_e_ciede2000(original_lab[like], edge[like]) >= GROWTH_DELTA_E
    if not like.any():
        return 0.0
    shows_product = np.zeros(product.shape, np.uint8)
    shows_product[ys[like], xs[like]] = 1
    # Only what is connected to the product: grow from the outline outwards through such pixels.
    kept = cv2.dilate(product.astype(np.uint8), np.ones((3, 3), np.uint8)) & shows_product
    for _ in range(int(GROWTH_BAND[1])):
        grown = cv2.dilate(kept, np.ones((3, 3), np.uint8)) & shows_product
        if np.array_equal(grown, kept):
            break
        kept = grown
    sharpness = analysis.limits.get("growth_edge_sharpness", 0.0)
    if sharpness > 0:
        band = np.zeros(product.shape, bool)
        band[ys, xs] = True
        kept = _ending_sharply(kept, band, ys, xs, away, edge, aligned[reference[:, 1], reference[:, 0]], aligned,
                               sharpness)
    depth_of = np.zeros(len(lookup), np.float32)
    kept_ys, kept_xs = np.nonzero(kept)
    np.maximum.at(depth_of, labels[kept_ys, kept_xs], distance[kept_ys, kept_xs])
    seam = float(np.median(depth_of[outline.band_labels if every else np.unique(labels[ys, xs])]))
    beyond = kept.astype(bool) & (distance > seam + GROWTH_BAND[0])
    return float(_largest_area(beyond))


@dataclass(frozen=True)
class _Outline:
    """The band just outside the product's outline (its pixels ``ys``, ``xs`` in row order), each pixel's
    nearest product pixel, the direction away from it, the reference pixel further out, and the original's
    colours there: all of it depends on the original and its mask only (see :func:`_outline_growth`)."""

    distance: np.ndarray  # distance to the product, analysis pixels
    labels: np.ndarray  # label of the nearest pixel of the eroded product
    lookup: np.ndarray  # label -> (x, y) of that pixel
    ys: np.ndarray
    xs: np.ndarray
    nearest: np.ndarray
    away: np.ndarray
    reference: np.ndarray
    judged: np.ndarray  # the reference lies further out than the pixel
    edge: np.ndarray  # Lab of the smoothed original at the nearest product pixel
    original_lab: np.ndarray  # Lab of the smoothed original at the band pixel
    band_labels: np.ndarray  # np.unique(labels[ys, xs])


def _outline_geometry(original_f: np.ndarray, product: np.ndarray) -> _Outline | None:
    inner = _eroded(product, 2.0)
    if not inner.any():
        return None
    distance = cv2.distanceTransform((~product).astype(np.uint8), cv2.DIST_L2, 5)
    band = (distance > 0) & (distance <= GROWTH_BAND[1])
    if not band.any():
        return None
    # The nearest pixel of the product (eroded past its anti-aliased edge) for every band pixel.
    _, labels = cv2.distanceTransformWithLabels(
        (~inner).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    inner_ys, inner_xs = np.nonzero(inner)
    lookup = np.zeros((int(labels.max()) + 1, 2), np.int32)
    lookup[labels[inner_ys, inner_xs]] = np.stack([inner_xs, inner_ys], axis=1)
    ys, xs = np.nonzero(band)
    nearest = lookup[labels[ys, xs]]
    away = np.stack([xs, ys], axis=1).astype(np.float32) - nearest
    away /= np.maximum(np.linalg.norm(away, axis=1, keepdims=True), 1e-6)
    height, width = product.shape
    # The frame's margin may be narrower than GROWTH_REFERENCE: the reference then stops at the frame's
    # edge, which still has to lie further out than the pixel it is compared with.
    reference = np.clip(np.round(nearest + GROWTH_REFERENCE * away).astype(np.int32), 0, [width - 1, height - 1])
    judged = distance[reference[:, 1], reference[:, 0]] >= distance[ys, xs] + GROWTH_BAND[0]
    original = _smoothed(original_f)
    return _Outline(
        distance=distance,
        labels=labels,
        lookup=lookup,
        ys=ys,
        xs=xs,
        nearest=nearest,
        away=away,
        reference=reference,
        judged=judged,
        edge=rgb_to_lab(original[nearest[:, 1], nearest[:, 0]]),
        original_lab=rgb_to_lab(original[ys, xs]),
        band_labels=np.unique(labels[ys, xs]),
    )


def _ending_sharply(
    kept: np.ndarray,
    band: np.ndarray,
    ys: np.ndarray,
    xs: np.ndarray,
    away: np.ndarray,
    edge: np.ndarray,
    beyond: np.ndarray,
    aligned: np.ndarray,
    sharpness: float,
) -> np.ndarray:
    """``kept`` (grown areas, uint8) without those that fade out: a product grown outwards ends in its
    own sharp edge, while a fill that diffused the product's edge colour ends in a ramp. At each pixel of
    a grown area's outer end, the colour change across 4 px (2 px either side, outwards) is compared with
    the full contrast between the product's edge (``edge``, Lab) and the variant's background further out
    (``beyond``, RGB, per band pixel); an area stays when the median reaches ``sharpness`` of it."""
    count, labels = cv2.connectedComponents(kept, connectivity=8)
    if count <= 1:
        return kept
    index = np.full(band.shape, -1, np.int64)
    index[ys, xs] = np.arange(len(ys))
    outer = kept.astype(bool) & ~(cv2.erode(kept, np.ones((3, 3), np.uint8)) > 0)
    ends = outer & band
    end_ys, end_xs = np.nonzero(ends)
    which = index[end_ys, end_xs]
    height, width = kept.shape
    points = np.stack([end_xs, end_ys], axis=1).astype(np.float32)
    inward = np.clip(np.round(points - 2 * away[which]).astype(np.int32), 0, [width - 1, height - 1])
    outward = np.clip(np.round(points + 2 * away[which]).astype(np.int32), 0, [width - 1, height - 1])
    inside_lab = rgb_to_lab(aligned[inward[:, 1], inward[:, 0]])
    outside_lab = rgb_to_lab(aligned[outward[:, 1], outward[:, 0]])
    across = delta_e_ciede2000(inside_lab, outside_lab)
    full = np.maximum(delta_e_ciede2000(edge[which], rgb_to_lab(beyond[which])), 1e-3)
    ratio = across / full
    keep = np.zeros(count, bool)
    component = labels[end_ys, end_xs]
    for label in np.unique(component):
        keep[label] = float(np.median(ratio[component == label])) >= sharpness
    return (keep[labels] & (labels > 0)).astype(np.uint8)


def _product_box(analysis: Analysis) -> Box:
    return analysis.frame.box_to_original(*cv2.boundingRect(analysis.compared.astype(np.uint8)))


def _regions(analysis: Analysis, product_box: Box, compared_area: int) -> list[ChangedRegion]:
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(analysis.changed.astype(np.uint8), 8)
    regions = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        share = area / compared_area
        if share < MIN_REGION_SHARE:
            continue
        inside = labels[y : y + h, x : x + w] == label
        delta_e = float(np.median(analysis.delta_e[y : y + h, x : x + w][inside]))
        ssim = float(analysis.ssim[y : y + h, x : x + w][inside].mean())
        missing = float((~analysis.valid[y : y + h, x : x + w][inside]).mean())
        if missing > 0.5:
            cause = "missing"
        elif (
            float(analysis.structure_changed[y : y + h, x : x + w][inside].mean()) < STRUCTURE_SHARE_OF_REGION
        ):
            cause = "colour"  # the detail is intact, only its colour moved
        else:
            cause = "structure"
        regions.append(
            ChangedRegion(
                box=analysis.frame.box_to_original(x, y, w, h),
                share=round(share, 5),
                cause=cause,
                delta_e=round(delta_e, 2),
                ssim=round(ssim, 3),
                where=scoring.location(*analysis.frame.point_to_original(*centroids[label]), product_box),
            )
        )
    regions.sort(key=lambda r: r.share, reverse=True)
    return regions[:MAX_REGIONS]


def _where_lost(lost: list[tuple[float, float]], frame: Frame, product_box: Box) -> str | None:
    if not lost:
        return None
    x, y = np.median(np.asarray(lost), axis=0)
    return scoring.location(*frame.point_to_original(x, y), product_box)


def _alignment(analysis: Analysis, original: np.ndarray, variant: np.ndarray) -> Alignment:
    """The registration as a map between the full images (kept at full precision: the diff images are
    redrawn from it). The shift is relative to a plain resize of the original onto the variant's canvas."""
    original_to_variant = align.to3(analysis.registration.matrix) @ np.linalg.inv(analysis.frame.to_original)
    plain = np.linalg.inv(
        align.resize_map((variant.shape[1], variant.shape[0]), (original.shape[1], original.shape[0]))
    )
    width, height = analysis.frame.size
    centre = analysis.frame.to_original @ np.array([(width - 1) / 2, (height - 1) / 2, 1.0])
    moved = original_to_variant @ centre - plain @ centre
    correlation = analysis.registration.correlation
    return Alignment(
        matrix=tuple(tuple(float(v) for v in row) for row in original_to_variant[:2]),
        method=analysis.registration.method,
        shift_px=(round(float(moved[0]), 2), round(float(moved[1]), 2)),
        scale=round(math.sqrt(abs(np.linalg.det(original_to_variant[:2, :2]))), 5),
        rotation_deg=round(math.degrees(math.atan2(original_to_variant[1, 0], original_to_variant[0, 0])), 3),
        correlation=None if correlation is None else round(correlation, 5),
        refined=analysis.registration.refined,
    )
