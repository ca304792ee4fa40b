"""CIELAB and CIEDE2000 in float32 (scikit-image's versions work in float64 and cost several times more)."""

from __future__ import annotations

import cv2
import numpy as np

_25_POW_7 = np.float32(25.0**7)
_DEG = np.float32(np.pi / 180.0)
_COS_30, _SIN_30 = np.float32(np.cos(np.pi / 6)), np.float32(np.sin(np.pi / 6))
_COS_6, _SIN_6 = np.float32(np.cos(np.pi / 30)), np.float32(np.sin(np.pi / 30))
_COS_63, _SIN_63 = np.float32(np.cos(0.35 * np.pi)), np.float32(np.sin(0.35 * np.pi))


def _pow7(x: np.ndarray) -> np.ndarray:
    """x**7 by multiplication (numpy's float32 power is several times slower)."""
    square = x * x
    return square * square * square * x


# sRGB (D65) to CIE XYZ, and the D65 white point (the constants scikit-image's rgb2lab uses).
_SRGB_TO_XYZ = np.float32(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_D65_WHITE = np.float32([0.95047, 1.0, 1.08883])
_EPSILON = np.float32((6 / 29) ** 3)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (float32 in [0, 1] or uint8) to CIELAB D65, L in [0, 100], shape (..., 3) kept.

    Exact to float32 precision (OpenCV's own float conversion quantises a and b to 1/32); cv2.pow and
    cv2.transform keep it as fast as that one."""
    shape = rgb.shape
    flat = rgb.reshape(-1, 1, 3)
    flat = flat.astype(np.float32) / np.float32(255.0) if flat.dtype == np.uint8 else flat.astype(np.float32)
    # For non-integer exponents cv2.pow takes absolute values; np.where keeps only the valid branch.
    gamma = cv2.pow((flat + np.float32(0.055)) / np.float32(1.055), 2.4)
    linear = np.where(flat <= np.float32(0.04045), flat / np.float32(12.92), gamma)
    xyz = cv2.transform(linear, _SRGB_TO_XYZ / _D65_WHITE[:, None])
    f = np.where(
        xyz > _EPSILON, cv2.pow(xyz, 1 / 3), xyz / np.float32(3 * (6 / 29) ** 2) + np.float32(4 / 29)
    )
    lab = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab.reshape(shape)


def delta_e_ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """Per-pixel CIEDE2000 (Sharma, Wu & Dalal 2005) between two Lab arrays of shape (..., 3)."""
    lab1 = lab1.astype(np.float32, copy=False)
    lab2 = lab2.astype(np.float32, copy=False)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]

    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) * np.float32(0.5)
    c_mean7 = _pow7(c_mean)
    g = np.float32(0.5) * (1 - np.sqrt(c_mean7 / (c_mean7 + _25_POW_7)))
    a1p = a1 * (1 + g)
    a2p = a2 * (1 + g)
    c1p = np.hypot(a1p, b1)
    c2p = np.hypot(a2p, b2)
    # Hues in [0, 2pi): arctan2 gives (-pi, pi], so only negative angles move.
    h1p = np.arctan2(b1, a1p)
    h1p[h1p < 0] += np.float32(2 * np.pi)
    h2p = np.arctan2(b2, a2p)
    h2p[h2p < 0] += np.float32(2 * np.pi)

    chroma_product = c1p * c2p
    achromatic = chroma_product == 0
    dh = h2p - h1p
    dh[dh > np.pi] -= np.float32(2 * np.pi)
    dh[dh < -np.pi] += np.float32(2 * np.pi)
    dh[achromatic] = 0
    d_l = l2 - l1
    d_c = c2p - c1p
    d_h = 2 * np.sqrt(chroma_product) * np.sin(dh * np.float32(0.5))

    l_mean = (l1 + l2) * np.float32(0.5)
    cp_mean = (c1p + c2p) * np.float32(0.5)
    hp_mean = h1p + h2p
    far_apart = ~achromatic & (np.abs(h1p - h2p) > np.pi)
    below = hp_mean < 2 * np.pi
    hp_mean[far_apart & below] += np.float32(2 * np.pi)
    hp_mean[far_apart & ~below] -= np.float32(2 * np.pi)
    hp_mean[~achromatic] *= np.float32(0.5)

    # T's four cosines from one cosine and one sine (multiple-angle formulas): two transcendental
    # functions instead of four, the dearest part of the formula.
    cos1, sin1 = np.cos(hp_mean), np.sin(hp_mean)
    cos2, sin2 = cos1 * cos1 - sin1 * sin1, 2 * sin1 * cos1
    cos3, sin3 = cos2 * cos1 - sin2 * sin1, sin2 * cos1 + cos2 * sin1
    cos4, sin4 = cos2 * cos2 - sin2 * sin2, 2 * sin2 * cos2
    t = (
        1
        - np.float32(0.17) * (cos1 * _COS_30 + sin1 * _SIN_30)
        + np.float32(0.24) * cos2
        + np.float32(0.32) * (cos3 * _COS_6 - sin3 * _SIN_6)
        - np.float32(0.20) * (cos4 * _COS_63 + sin4 * _SIN_63)
    )
    d_theta = 30 * _DEG * np.exp(-(((hp_mean / _DEG - 275) / 25) ** 2))
    cp_mean7 = _pow7(cp_mean)
    r_c = 2 * np.sqrt(cp_mean7 / (cp_mean7 + _25_POW_7))
    l_offset2 = (l_mean - 50) ** 2
    s_l = 1 + np.float32(0.015) * l_offset2 / np.sqrt(20 + l_offset2)
    s_c = 1 + np.float32(0.045) * cp_mean
    s_h = 1 + np.float32(0.015) * cp_mean * t
    r_t = -np.sin(2 * d_theta) * r_c

    term_l = d_l / s_l
    term_c = d_c / s_c
    term_h = d_h / s_h
    return np.sqrt(np.maximum(term_l**2 + term_c**2 + term_h**2 + r_t * term_c * term_h, 0)).astype(
        np.float32
    )
