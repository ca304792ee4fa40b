"""The per-pixel measures, computed on the analysis frame with cv2 filters in float32.

All functions take the original and the aligned composite (variant inside the product mask, original
outside), so windows that straddle the mask edge see the same background on both sides and a replaced
background cannot leak into any product measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vitrine.fidelity.colour import delta_e_ciede2000, rgb_to_lab

SSIM_SIGMA = 1.5
SSIM_C1 = np.float32(0.01**2)
SSIM_C2 = np.float32(0.03**2)
GMSD_C = np.float32(0.0026)  # the paper's constant for intensities in [0, 1]
# Hamming distance (of 256 bits) under which an ORB descriptor still describes the same detail.
DESCRIPTOR_MATCH_BITS = 24
MIN_KEYPOINTS = 20
LUMA = np.float32([0.299, 0.587, 0.114])
# Structure is compared just above the pixel grid: resampling and JPEG soften detail finer than this
# (in analysis pixels) without changing the product; letters and patterns are coarser.
SSIM_PRESMOOTH_SIGMA = 0.7


def presmoothed(grey: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(grey, (0, 0), SSIM_PRESMOOTH_SIGMA, borderType=cv2.BORDER_REFLECT)


def luma(rgb: np.ndarray) -> np.ndarray:
    """Float32 luminance in [0, 1] from float32 RGB in [0, 1]."""
    return cv2.transform(rgb, LUMA.reshape(1, 3)) if rgb.ndim == 3 else rgb


def ssim_map(grey1: np.ndarray, grey2: np.ndarray) -> np.ndarray:
    """Local SSIM (Gaussian window, sigma 1.5) of two float32 images in [0, 1]."""

    def blur(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (0, 0), SSIM_SIGMA, borderType=cv2.BORDER_REFLECT)

    mu1, mu2 = blur(grey1), blur(grey2)
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    var1 = blur(grey1 * grey1) - mu1_sq
    var2 = blur(grey2 * grey2) - mu2_sq
    cov = blur(grey1 * grey2) - mu12
    return ((2 * mu12 + SSIM_C1) * (2 * cov + SSIM_C2)) / (
        (mu1_sq + mu2_sq + SSIM_C1) * (var1 + var2 + SSIM_C2)
    )


def gradient_similarity_map(grey1: np.ndarray, grey2: np.ndarray) -> np.ndarray:
    """GMS map of Xue et al. (2014): Prewitt gradient magnitudes after 2x average pooling, at half size."""
    kernel_x = np.float32([[1, 0, -1], [1, 0, -1], [1, 0, -1]]) / 3
    kernel_y = kernel_x.T

    def magnitude(image: np.ndarray) -> np.ndarray:
        half = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
        gx = cv2.filter2D(half, -1, kernel_x, borderType=cv2.BORDER_REPLICATE)
        gy = cv2.filter2D(half, -1, kernel_y, borderType=cv2.BORDER_REPLICATE)
        return cv2.magnitude(gx, gy)

    m1, m2 = magnitude(grey1), magnitude(grey2)
    return (2 * m1 * m2 + GMSD_C) / (m1 * m1 + m2 * m2 + GMSD_C)


def delta_e_map(rgb1: np.ndarray, rgb2: np.ndarray, where: np.ndarray) -> np.ndarray:
    """CIEDE2000 between two float32 RGB images, evaluated only where ``where`` is set (0 elsewhere)."""
    result = np.zeros(where.shape, np.float32)
    if where.any():
        result[where] = delta_e_ciede2000(rgb_to_lab(rgb1[where][None]), rgb_to_lab(rgb2[where][None]))[0]
    return result


@dataclass(frozen=True)
class KeypointAgreement:
    ratio: float | None  # None when the product has too few keypoints to judge
    total: int
    lost: list[tuple[float, float]]  # analysis-frame positions of keypoints whose detail changed


def keypoint_agreement(
    original_grey: np.ndarray,
    composite_grey: np.ndarray,
    keypoints: list[cv2.KeyPoint],
    original_descriptors: np.ndarray | None,
    where: np.ndarray,
    extractor: cv2.ORB,
) -> KeypointAgreement:
    """Share of the original's ORB keypoints inside ``where`` whose descriptor, recomputed at the same
    (aligned) place in the variant, is still within DESCRIPTOR_MATCH_BITS: logos, letters and pattern
    motifs carry most keypoints, so a changed letter or a removed logo shows here even when its area is
    small."""
    if original_descriptors is None:
        return KeypointAgreement(ratio=None, total=0, lost=[])
    height, width = where.shape
    chosen = [
        index
        for index, kp in enumerate(keypoints)
        if where[min(height - 1, int(kp.pt[1])), min(width - 1, int(kp.pt[0]))]
    ]
    if len(chosen) < MIN_KEYPOINTS:
        return KeypointAgreement(ratio=None, total=len(chosen), lost=[])
    chosen_keypoints = [keypoints[i] for i in chosen]
    computed_keypoints, variant_descriptors = extractor.compute(composite_grey, chosen_keypoints)
    if variant_descriptors is None or len(computed_keypoints) != len(chosen_keypoints):
        # compute() drops keypoints too close to the border; keep the pairs that survived on both sides.
        positions = {kp.pt: row for row, kp in enumerate(computed_keypoints or [])}
        pairs = [(i, positions[keypoints[i].pt]) for i in chosen if keypoints[i].pt in positions]
        if len(pairs) < MIN_KEYPOINTS or variant_descriptors is None:
            return KeypointAgreement(ratio=None, total=len(pairs), lost=[])
        chosen = [i for i, _ in pairs]
        variant_descriptors = variant_descriptors[[row for _, row in pairs]]
    distances = np.unpackbits(original_descriptors[chosen] ^ variant_descriptors, axis=1).sum(axis=1)
    matched = distances <= DESCRIPTOR_MATCH_BITS
    lost = [keypoints[i].pt for i, ok in zip(chosen, matched, strict=True) if not ok]
    return KeypointAgreement(ratio=float(matched.mean()), total=len(chosen), lost=lost)
