"""The ``colourway`` kind: a recolour is judged on what it must keep (structure, pattern, print, text) and on
whether its colour reached the target.

A colourway changes the product's colour on purpose, so the usual measures compare the variant with the
original recoloured the same way: one map in CIELAB (lightness scaled and shifted, leaning on chroma where
a hue turn kept another lightness; the a*b* plane turned, scaled and shifted), fitted from original to
variant over the product (on the pixels it explains best), is applied to each of the original's pixels
where that brings it closer to the variant. A consistent recolour (shading kept, hue turned) is
reproduced almost exactly; print left in its own colour stays as it is; a lost logo, a changed pattern, a
moved seam or a part that drifted
apart from the rest cannot be explained by one map, and still shows. Then the
product's dominant colour in the variant (a trimmed median) is compared with the target: ``target_delta_e``
(CIEDE2000) is thresholded like every other measure. Structure is compared on lightness
(``lightness_grey``), which the recolour keeps in order, not on luma, which a hue turn can reorder.
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
# Percentiles of the pixels (best explained first) each refit of the map keeps.
REFIT_SHARES = (70, 50, 50)
# Chroma is smoothed this much (analysis pixels) where it must be compared as a JPEG stores it (at half
# resolution, in 8 px blocks): before lightness is taken, and beside print.
JPEG_CHROMA_SIGMA = 4.0
# The predicted lightness may also lean on the original's a*b* (a hue turn that keeps another lightness, such
# as HSL's or OKLab's, moves L* by an amount that depends on each pixel's chroma): at most this much L* per
# unit of a*b* chroma, and only where it at least halves the lightness residual of the plain scale and shift.
CHROMA_TILT = 0.6
TILT_GAIN = 0.5


def _lab_to_rgb8(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(lab.reshape(-1, 1, 3).astype(np.float32), cv2.COLOR_Lab2RGB).reshape(-1, 3)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def _fit(source: np.ndarray, wanted: np.ndarray, lean: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The recolour as a colourway makes it: lightness scaled and shifted, and the a*b* plane turned,
    scaled and shifted as a whole (a similarity: one complex factor and offset). A general affine map is
    not used: fitted on a body of one hue it is free in the directions that body does not span, and would
    send print or a lost logo anywhere, even onto the body's new colour.

    Lightness may also lean on the original's a*b* (``CHROMA_TILT``): a hue turn that keeps HSL's or
    OKLab's lightness moves L* by an amount that depends on each pixel's chroma, so two shades of a pattern
    that differ in chroma at a close L* change their contrast, even their order. Print is near neutral, so
    the lean cannot move it (nor explain a logo lost or recoloured on it). On a body of one hue (shades
    that are scaled copies of each other) a*b* follow L* and the lean is ill-posed: it is kept only where
    it at least halves the residual (``TILT_GAIN``), and otherwise the map is the plain scale and shift."""
    ramp = np.stack([source[:, 0], np.ones(len(source)), source[:, 1], source[:, 2]], axis=1)
    plain, *_ = np.linalg.lstsq(ramp[:, :2], wanted[:, 0], rcond=None)
    lightness = np.array([plain[0], plain[1], 0.0, 0.0])
    if lean:
        leaning, *_ = np.linalg.lstsq(ramp, wanted[:, 0], rcond=None)
        tilt = float(np.hypot(leaning[2], leaning[3]))
        if tilt > CHROMA_TILT:
            leaning[2:] *= CHROMA_TILT / tilt
            rest = wanted[:, 0] - source[:, 1:] @ leaning[2:]
            leaning[:2], *_ = np.linalg.lstsq(ramp[:, :2], rest, rcond=None)
        before = float(np.sqrt(np.mean((ramp @ lightness - wanted[:, 0]) ** 2)))
        after = float(np.sqrt(np.mean((ramp @ leaning - wanted[:, 0]) ** 2)))
        if after <= TILT_GAIN * before:
            lightness = leaning
    plane = source[:, 1] + 1j * source[:, 2]
    chroma, *_ = np.linalg.lstsq(
        np.stack([plane, np.ones(len(plane), complex)], axis=1), wanted[:, 1] + 1j * wanted[:, 2], rcond=None
    )
    return lightness, chroma


def _recolour(lab: np.ndarray, lightness: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    plane = chroma[0] * (lab[:, 1] + 1j * lab[:, 2]) + chroma[1]
    shifted = lightness[0] * lab[:, 0] + lightness[1] + lightness[2] * lab[:, 1] + lightness[3] * lab[:, 2]
    return np.stack([shifted, plane.real, plane.imag], axis=1)


def recoloured_original(original: np.ndarray, variant: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``original`` with its product pixels recoloured as the variant's recolour did (see the module doc):
    the reference every pixel measure compares the variant with.

    The map goes from original to variant on purpose. The other way round, a body of one hue (its colours
    along one line in CIELAB) lets one affine map send two clusters, the recoloured body and a part that
    drifted apart from it, back onto the same colours, and the drift disappears. From the original, both
    parts start from the same colours and no map can send them to two places: the drift stays in full.
    The map is kept to what a recolour does (see _fit), so colours the body does not have (print, a logo)
    are not sent anywhere the fit happens to allow.
    Needs the two images in the same geometry (a colourway never moves the product); otherwise the
    original is returned as it is."""
    if original.shape != variant.shape or not mask.any():
        return original
    orig_lab = rgb_to_lab(original[mask]).reshape(-1, 3).astype(np.float64)
    var_lab = rgb_to_lab(variant[mask]).reshape(-1, 3).astype(np.float64)
    stride = max(1, len(orig_lab) // SAMPLE)
    source, wanted = orig_lab[::stride], var_lab[::stride]
    # The first fit takes every pixel, print included: near neutral beside a chromatic body, print would
    # give the lean on chroma a lever to explain it, so the lean waits for the refits.
    lightness, chroma = _fit(source, wanted, lean=False)
    # Refit on the pixels the map explains best, a few rounds: print left in its own colour must not bend
    # the map, nor a part of the product that drifted apart from the rest.
    for share in REFIT_SHARES:
        residual = np.linalg.norm(_recolour(source, lightness, chroma) - wanted, axis=1)
        kept = residual <= np.percentile(residual, share)
        if kept.sum() < 16:
            break
        lightness, chroma = _fit(source[kept], wanted[kept])
    mapped_rgb = _lab_to_rgb8(_recolour(orig_lab, lightness, chroma))
    # Each pixel takes the recolour where that is what the variant shows (the body), and keeps its own
    # colour where that is closer (print the recolour left alone).
    shown = variant[mask].astype(np.int16)
    kept = np.abs(original[mask].astype(np.int16) - shown).sum(axis=1)
    moved = np.abs(mapped_rgb.astype(np.int16) - shown).sum(axis=1)
    pixels = original[mask].copy()
    recoloured = moved < kept
    pixels[recoloured] = mapped_rgb[recoloured]
    reference = original.copy()
    reference[mask] = pixels
    return reference


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


def chroma_smoothed(rgb: np.ndarray, border: int = cv2.BORDER_DEFAULT) -> np.ndarray:
    """RGB (uint8, or float 0..1) with its chroma smoothed by ``JPEG_CHROMA_SIGMA`` and its luma kept: the
    chroma roughly as a JPEG stores it."""
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    # All three planes, the luma put back after: faster than blurring a slice.
    smoothed = cv2.GaussianBlur(ycrcb, (0, 0), JPEG_CHROMA_SIGMA, borderType=border)
    smoothed[:, :, 0] = ycrcb[:, :, 0]
    back = cv2.cvtColor(smoothed, cv2.COLOR_YCrCb2RGB)
    return back if back.dtype == np.uint8 else np.clip(back, 0.0, 1.0)


def lightness_grey(rgb: np.ndarray) -> np.ndarray:
    """CIELAB lightness of RGB uint8 as uint8 (L* 0-100 spread over 0-255), with the chroma first smoothed
    as JPEG stores it: the grey a recolour keeps in order (see the engine, which registers a colourway and
    compares its keypoints on it). Lightness mixes chroma in, so without the smoothing JPEG's chroma blocks
    would reach it; luma detail stays at full resolution."""
    return np.ascontiguousarray(cv2.cvtColor(chroma_smoothed(rgb), cv2.COLOR_RGB2Lab)[:, :, 0])
