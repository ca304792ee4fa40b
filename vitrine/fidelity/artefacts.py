"""The reviewer's diff images, as PNG bytes: pure functions of the two images and the report.

* ``heatmap.png``  -- the product area of the original, greyed, with the change per pixel in colour
  (dark = unchanged, yellow = at or beyond the per-pixel tolerance).
* ``outlines.png`` -- the aligned variant's product area with every changed region outlined in red and
  numbered in the order of the report's ``regions``; the compared product area is outlined in green.
* ``pair.png``     -- original and aligned variant side by side (same crop, same scale).
* ``aligned.png``  -- the whole variant resampled onto the original's canvas, for overlay and slider views.
"""

from __future__ import annotations

import cv2
import numpy as np

from vitrine.fidelity import align
from vitrine.fidelity.analysis import Analysis
from vitrine.fidelity.engine import reanalyse
from vitrine.fidelity.imaging import ImageInput, as_rgb, png_bytes
from vitrine.fidelity.report import FidelityReport

CHANGE_RED = (230, 40, 40)
PRODUCT_GREEN = (40, 200, 90)
PAIR_GAP = 8


def render_artefacts(original: ImageInput, variant: ImageInput, report: FidelityReport) -> dict[str, bytes]:
    """Diff images for a report made earlier from the same two images."""
    original_rgb = as_rgb(original, name="original")
    variant_rgb = as_rgb(variant, name="variant")
    expected = tuple(report.original_size), tuple(report.variant_size)
    actual = (original_rgb.shape[1], original_rgb.shape[0]), (variant_rgb.shape[1], variant_rgb.shape[0])
    if actual != expected:
        raise ValueError(
            f"the images are {actual[0][0]}x{actual[0][1]} and {actual[1][0]}x{actual[1][1]} but the report "
            f"was made for {expected[0][0]}x{expected[0][1]} and {expected[1][0]}x{expected[1][1]}"
        )
    analysis = reanalyse(original_rgb, variant_rgb, report)
    return {
        "heatmap.png": png_bytes(_heatmap(analysis, report)),
        "outlines.png": png_bytes(_outlines(analysis, report)),
        "pair.png": png_bytes(_pair(analysis)),
        "aligned.png": png_bytes(_aligned_canvas(original_rgb, variant_rgb, report)),
    }


def _to_u8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)


def _heatmap(analysis: Analysis, report: FidelityReport) -> np.ndarray:
    limits = report.thresholds
    # Each pixel's change in units of its tolerance: 1 = at the per-pixel limit.
    structure = (1 - analysis.ssim) / max(1e-6, 1 - limits["pixel_ssim"])
    colour = analysis.delta_e / max(1e-6, limits["pixel_delta_e"])
    change = np.maximum(np.maximum(structure, colour), (~analysis.valid).astype(np.float32))
    change = np.where(analysis.compared, np.clip(change, 0, 1), 0).astype(np.float32)
    colours = cv2.applyColorMap(_to_u8(change), cv2.COLORMAP_INFERNO)[:, :, ::-1].astype(np.float32) / 255
    grey = np.repeat(cv2.cvtColor(analysis.original, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2) * 0.6 + 0.2
    weight = np.where(analysis.compared, 0.35 + 0.65 * change, 0.0)[:, :, None]
    return _to_u8(grey * (1 - weight) + colours * weight)


def _outlines(analysis: Analysis, report: FidelityReport) -> np.ndarray:
    canvas = np.ascontiguousarray(_to_u8(analysis.aligned))
    product_contours, _ = cv2.findContours(
        analysis.compared.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    cv2.drawContours(canvas, product_contours, -1, PRODUCT_GREEN, 1, cv2.LINE_AA)
    changed_contours, _ = cv2.findContours(
        analysis.changed.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    cv2.drawContours(canvas, changed_contours, -1, CHANGE_RED, 2, cv2.LINE_AA)
    inverse = np.linalg.inv(analysis.frame.to_original)
    for number, region in enumerate(report.regions, start=1):
        x, y, _ = inverse @ np.array([region.box[0], region.box[1], 1.0])
        position = (int(max(0, x)), int(max(12, y)))
        cv2.putText(
            canvas, str(number), position, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 3, cv2.LINE_AA
        )
        cv2.putText(canvas, str(number), position, cv2.FONT_HERSHEY_SIMPLEX, 0.45, CHANGE_RED, 1, cv2.LINE_AA)
    return canvas


def _pair(analysis: Analysis) -> np.ndarray:
    height, width = analysis.compared.shape
    canvas = np.full((height, 2 * width + PAIR_GAP, 3), 255, np.uint8)
    canvas[:, :width] = _to_u8(analysis.original)
    canvas[:, width + PAIR_GAP :] = _to_u8(analysis.aligned)
    return canvas


def _aligned_canvas(original: np.ndarray, variant: np.ndarray, report: FidelityReport) -> np.ndarray:
    pose = np.asarray(report.alignment.matrix, dtype=np.float64)
    size = (original.shape[1], original.shape[0])
    return align.warp_antialiased(variant, pose, size)
