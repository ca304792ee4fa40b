"""Perceptual colour for the classical recipes: CIELAB conversions, CIEDE2000 and a product's dominant colour.

Pixel transforms run through OpenCV's float32 Lab (fast, both directions consistent); the figures that are
reported and thresholded (a dominant colour, its distance to a target) use scikit-image's exact float64
conversion on a few values only.
"""

from __future__ import annotations

import re

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab

Lab = tuple[float, float, float]

# Pixels sampled when measuring a dominant colour: the median needs no more, and large photos stay fast.
DOMINANT_SAMPLE = 20_000
# A pixel belongs to the dominant colour when its chroma lies this close (a*b* units) to the estimate ...
DOMINANT_AB_RADIUS = 16.0
# ... and its lightness this close: shading on fabric spans a wide range of L*.
DOMINANT_L_RADIUS = 45.0

_LAB_TEXT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_lab(text: str) -> Lab:
    """``"L,a,b"`` (CIELAB D65, L in 0..100) as a tuple; ValueError with the reason otherwise."""
    match = _LAB_TEXT.match(text)
    if not match:
        raise ValueError(f'{text!r} is not a Lab colour; write it as "L,a,b", e.g. "32.5,10,-41"')
    lab = tuple(float(v) for v in match.groups())
    if not 0.0 <= lab[0] <= 100.0 or not all(-128.0 <= v <= 127.0 for v in lab[1:]):
        raise ValueError(f"{text!r} is outside CIELAB: L must lie in 0..100 and a, b in -128..127")
    return lab[0], lab[1], lab[2]


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB (..., 3) to float32 CIELAB D65 through OpenCV."""
    shape = rgb.shape
    flat = rgb.reshape(-1, 1, 3).astype(np.float32) / np.float32(255.0)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(shape)


def from_lab(lab: np.ndarray) -> np.ndarray:
    """float32 CIELAB (..., 3) to uint8 RGB, out-of-gamut values clipped."""
    shape = lab.shape
    rgb = cv2.cvtColor(lab.reshape(-1, 1, 3).astype(np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8).reshape(shape)


def rgb_to_lab_exact(rgb: tuple[int, int, int] | np.ndarray) -> np.ndarray:
    return rgb2lab(np.asarray(rgb, np.float64).reshape(-1, 1, 3) / 255.0).reshape(-1, 3)


def lab_to_rgb_exact(lab: Lab) -> tuple[int, int, int]:
    rgb = lab2rgb(np.asarray(lab, np.float64).reshape(1, 1, 3)).reshape(3)
    r, g, b = (int(v) for v in np.clip(np.rint(rgb * 255.0), 0, 255))
    return r, g, b


def delta_e00(lab1: Lab | np.ndarray, lab2: Lab | np.ndarray) -> float:
    return float(deltaE_ciede2000(np.asarray(lab1, np.float64), np.asarray(lab2, np.float64)))


def _sample(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    pixels = rgb[mask]
    if len(pixels) > DOMINANT_SAMPLE:
        # A fixed stride, not a random draw: the same photo always measures the same.
        pixels = pixels[:: len(pixels) // DOMINANT_SAMPLE + 1]
    return pixels


def dominant_lab(rgb: np.ndarray, mask: np.ndarray) -> tuple[Lab, float]:
    """The product's dominant colour (exact CIELAB) and the share of its pixels that carry it.

    A trimmed median: pixels far in chroma from the running estimate (a logo, a zip, a label) are left
    out, so a small print does not pull the colour; shading, which moves L* mostly, stays in.
    """
    pixels = _sample(rgb, mask)
    if len(pixels) == 0:
        raise ValueError("the mask is empty: there is no product colour to measure")
    lab = rgb_to_lab_exact(pixels)
    estimate = np.median(lab, axis=0)
    members = np.ones(len(lab), bool)
    for _ in range(4):
        members = (np.hypot(lab[:, 1] - estimate[1], lab[:, 2] - estimate[2]) < DOMINANT_AB_RADIUS) & (
            np.abs(lab[:, 0] - estimate[0]) < DOMINANT_L_RADIUS
        )
        if not members.any():
            break
        estimate = np.median(lab[members], axis=0)
    return (float(estimate[0]), float(estimate[1]), float(estimate[2])), float(members.mean())
