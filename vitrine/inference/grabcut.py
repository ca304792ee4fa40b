"""Classical product segmentation for photos without a plain background: GrabCut seeded from a prior.

The prior combines spectral-residual saliency (what stands out from the scene) with a centre prior
(product photos frame the product in the middle). Its strongest part seeds GrabCut as probable
foreground, the frame's edge as sure background, everything else as probable background; GrabCut's
colour models then settle the outline. It runs on a reduced copy (the colour models need no more) and
the outline is brought back to full size on a smoothed probability map.

The confidence says how much to trust the outline: whether it runs along clear edges of the photo, how
little it moves between GrabCut's last passes, how little of the frame edge it touches, and whether its
size is plausible for a product. Noise or a scene with nothing standing out
gives a low confidence; callers route such masks to a person instead of trusting them.
"""

from __future__ import annotations

import cv2
import numpy as np

from vitrine.inference.masks import ProtectMask, fill_holes

# Long side GrabCut works at: its cost grows with pixels, and product outlines survive this size.
WORK_SIDE = 320
SALIENCY_SIDE = 64
ITERATIONS = 5
# Share of the frame's short side treated as sure background along every edge.
EDGE_BAND = 0.03
# Prior above this quantile (of its values inside the frame) seeds probable foreground.
SEED_QUANTILE = 0.7
# Plausible share of the frame for a product; outside it the confidence falls.
MIN_SHARE, MAX_SHARE = 0.03, 0.85
# Below this an outline is a guess: the variant fails asking for a mask rather than reach a reviewer.
GRABCUT_MIN_USABLE = 0.2


def spectral_residual_saliency(grey: np.ndarray) -> np.ndarray:
    """Hou & Zhang (2007): the log spectrum minus its local average, back in space; float32 in [0, 1]."""
    small = cv2.resize(grey, (SALIENCY_SIDE, SALIENCY_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    spectrum = np.fft.fft2(small)
    log_amplitude = np.log(np.abs(spectrum) + 1e-6).astype(np.float32)
    residual = log_amplitude - cv2.blur(log_amplitude, (3, 3))
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = cv2.GaussianBlur(saliency.astype(np.float32), (0, 0), 2.5)
    saliency = cv2.resize(saliency, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    span = float(saliency.max() - saliency.min())
    return (saliency - saliency.min()) / span if span > 0 else np.zeros_like(saliency)


def centre_prior(height: int, width: int) -> np.ndarray:
    ys = (np.arange(height, dtype=np.float32) - (height - 1) / 2) / (0.35 * height)
    xs = (np.arange(width, dtype=np.float32) - (width - 1) / 2) / (0.35 * width)
    return np.exp(-0.5 * (ys[:, None] ** 2 + xs[None, :] ** 2)).astype(np.float32)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, bool)
    # The main body, plus parts at least a tenth its size (a cup's handle, a saucer).
    keep[1:] = areas >= 0.1 * areas.max()
    return keep[labels]


def _confidence_factors(
    rgb: np.ndarray, mask: np.ndarray, early: np.ndarray, edge: np.ndarray
) -> dict[str, float]:
    """Each in [0, 1]: ``edges`` -- the outline runs along edges much stronger than the photo's average
    (noise or a guessed blob does not); ``stability`` -- GrabCut's last passes barely moved it; ``touch``
    -- little of the frame edge is product; ``size`` -- a plausible share of the frame."""
    grey = cv2.GaussianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 1.0)
    gradient = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    kernel = np.ones((3, 3), np.uint8)
    as_u8 = mask.astype(np.uint8)
    contour = (cv2.dilate(as_u8, kernel) > 0) & ~(cv2.erode(as_u8, kernel) > 0)
    edge_ratio = float(gradient[contour].mean()) / max(float(gradient.mean()), 1e-6) if contour.any() else 0.0
    union = float((early | mask).sum())
    stability = float((early & mask).sum()) / union if union else 0.0
    share = float(mask.mean())
    return {
        "edges": float(np.clip((edge_ratio - 1.5) / 2.0, 0.0, 1.0)),
        "stability": float(np.clip((stability - 0.85) / 0.12, 0.0, 1.0)),
        "touch": float(np.clip(1.0 - 2.5 * float(mask[edge].mean()), 0.0, 1.0)),
        "size": float(np.clip(min(share / MIN_SHARE, (1.0 - share) / (1.0 - MAX_SHARE)), 0.0, 1.0)),
    }


def grabcut_protect_mask(rgb: np.ndarray, *, seed: int = 0) -> ProtectMask:
    """The product in a photo with a non-plain background, with a confidence in [0, 1]."""
    height, width = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else rgb.copy()
    h, w = small.shape[:2]
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    prior = spectral_residual_saliency(grey) * 0.5 + 0.5 * centre_prior(h, w)
    prior *= centre_prior(h, w) ** 0.5  # saliency at the very edge is rarely the product

    band = max(1, round(EDGE_BAND * min(h, w)))
    edge = np.zeros((h, w), bool)
    edge[:band], edge[-band:], edge[:, :band], edge[:, -band:] = True, True, True, True
    seeds = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    seeds[prior >= np.quantile(prior[~edge], SEED_QUANTILE)] = cv2.GC_PR_FGD
    seeds[edge] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(seed)  # GrabCut's k-means start: the same photo gives the same mask
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    warnings: list[str] = []
    try:
        cv2.grabCut(bgr, seeds, None, bgd, fgd, ITERATIONS - 2, cv2.GC_INIT_WITH_MASK)
        early = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD))
        cv2.grabCut(bgr, seeds, None, bgd, fgd, 2, cv2.GC_EVAL)
    except cv2.error:
        # One colour everywhere: GrabCut cannot fit two colour models, so there is no outline to find.
        empty = np.zeros((height, width), bool)
        return ProtectMask(empty, 0.0, "grabcut", ("no product stands out from the background",))
    small_mask = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD))
    small_mask = cv2.morphologyEx(small_mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    small_mask = fill_holes(_largest_component(small_mask))
    if not small_mask.any():
        empty = np.zeros((height, width), bool)
        return ProtectMask(empty, 0.0, "grabcut", ("no product stands out from the background",))

    # Confidence, from four independent signs of a trustworthy outline.
    factors = _confidence_factors(small, small_mask, early, edge)
    if factors["edges"] < 0.8:
        warnings.append("the outline does not follow clear edges in the photo")
    if factors["stability"] < 0.8:
        warnings.append("the outline kept moving while it was fitted")
    if factors["touch"] < 0.9:
        warnings.append("the product touches the frame edge")
    if factors["size"] < 1.0:
        warnings.append(f"the product would cover {small_mask.mean():.0%} of the photo, an unusual size")
    confidence = round(float(np.prod(list(factors.values()))), 4)

    # Back to full size through a smoothed map, so the outline is not a staircase of work pixels.
    soft = cv2.resize(small_mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    if scale < 1.0:
        soft = cv2.GaussianBlur(soft, (0, 0), max(0.5, 0.5 / scale))
    mask = soft >= 0.5
    return ProtectMask(mask=mask, confidence=confidence, method="grabcut", warnings=tuple(warnings))
