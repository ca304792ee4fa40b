"""The ``colourway`` kind: a recolour is judged on what it must keep (structure, pattern, print, text) and on
whether its colour reached the target.

A colourway changes the product's colour on purpose, so before the usual measures run the variant's
recoloured pixels are mapped back: one affine map in CIELAB, fitted from variant to original over the
product, is applied to each pixel where it brings the pixel closer to the original. A consistent recolour
(shading kept, hue turned) maps back almost exactly; print left in its own colour stays as it is; a lost
logo, a changed pattern or a moved seam cannot be explained by one map, and still shows. Then the
product's dominant colour in the variant (a trimmed median) is compared with the target: ``target_delta_e``
(CIEDE2000) is thresholded like every other measure.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vitrine.fidelity.colour import delta_e_ciede2000, rgb_to_lab

SAMPLE = 60_000
# A pixel is of the dominant colour when its a*b* lie this close to the running estimate, and its L* this close.
AB_RADIUS = 16.0
L_RADIUS = 45.0


def _lab_to_rgb8(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(lab.reshape(-1, 1, 3).astype(np.float32), cv2.COLOR_Lab2RGB).reshape(-1, 3)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def undo_recolour(original: np.ndarray, variant: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``variant`` with its product pixels mapped back toward the original's colours (see the module doc).

    Needs the two images in the same geometry (a colourway never moves the product); otherwise the variant
    is returned as it is."""
    if original.shape != variant.shape or not mask.any():
        return variant
    orig_lab = rgb_to_lab(original[mask]).reshape(-1, 3).astype(np.float64)
    var_lab = rgb_to_lab(variant[mask]).reshape(-1, 3).astype(np.float64)
    stride = max(1, len(var_lab) // SAMPLE)
    design = np.hstack([var_lab[::stride], np.ones((len(var_lab[::stride]), 1))])
    solution, *_ = np.linalg.lstsq(design, orig_lab[::stride], rcond=None)
    # Refit on the pixels the first map explains (the recoloured body), so unchanged print does not bend it.
    residual = np.linalg.norm(design @ solution - orig_lab[::stride], axis=1)
    body = residual <= np.percentile(residual, 70)
    if body.sum() >= 16:
        solution, *_ = np.linalg.lstsq(design[body], orig_lab[::stride][body], rcond=None)
    mapped = np.hstack([var_lab, np.ones((len(var_lab), 1))]) @ solution
    mapped_rgb = _lab_to_rgb8(mapped)
    before = np.abs(variant[mask].astype(np.int16) - original[mask].astype(np.int16)).sum(axis=1)
    after = np.abs(mapped_rgb.astype(np.int16) - original[mask].astype(np.int16)).sum(axis=1)
    pixels = variant[mask].copy()
    better = after < before
    pixels[better] = mapped_rgb[better]
    restored = variant.copy()
    restored[mask] = pixels
    return restored


def dominant_lab(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The product's dominant colour (CIELAB): a median trimmed of pixels far from it in chroma."""
    pixels = rgb[mask]
    if len(pixels) > SAMPLE:
        pixels = pixels[:: len(pixels) // SAMPLE + 1]
    lab = rgb_to_lab(pixels).reshape(-1, 3)
    estimate = np.median(lab, axis=0)
    for _ in range(4):
        members = (np.hypot(lab[:, 1] - estimate[1], lab[:, 2] - estimate[2]) < AB_RADIUS) & (
            np.abs(lab[:, 0] - estimate[0]) < L_RADIUS
        )
        if not members.any():
            break
        estimate = np.median(lab[members], axis=0)
    return estimate


def target_delta_e(variant: np.ndarray, mask: np.ndarray, target_lab: Sequence[float]) -> float:
    """CIEDE2000 between the variant product's dominant colour and the target."""
    dominant = dominant_lab(variant, mask)
    return float(delta_e_ciede2000(dominant[None, :], np.asarray(target_lab, np.float32)[None, :])[0])
