"""The analysis frame (the product's box cut from the original at analysis resolution) and the maps
measured on one pair in it: what the engine measures, the reasons describe and the diff images draw."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from vitrine.fidelity import align
from vitrine.fidelity.report import Box

# Long side, in pixels, of the product's bounding box at analysis resolution (never upscaled).
ANALYSIS_SIDE = 512
FRAME_MARGIN = 0.06


@dataclass(frozen=True)
class Frame:
    crop: Box  # x0, y0, x1, y1 of the original that the frame shows
    size: tuple[int, int]  # w, h at analysis resolution
    to_original: np.ndarray  # 3x3: frame pixel -> original pixel

    @classmethod
    def around(cls, crop: Box, size: tuple[int, int]) -> Frame:
        x0, y0, x1, y1 = crop
        translate = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
        return cls(crop=crop, size=size, to_original=translate @ align.resize_map(size, (x1 - x0, y1 - y0)))

    def cut(self, image: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = self.crop
        if self.size == (x1 - x0, y1 - y0):
            return image[y0:y1, x0:x1]
        return cv2.resize(image[y0:y1, x0:x1], self.size, interpolation=cv2.INTER_AREA)

    def box_to_original(self, x: float, y: float, w: float, h: float) -> Box:
        corners = self.to_original @ np.array([[x - 0.5, x + w - 0.5], [y - 0.5, y + h - 0.5], [1.0, 1.0]])
        return (
            math.floor(corners[0, 0]),
            math.floor(corners[1, 0]),
            math.ceil(corners[0, 1]),
            math.ceil(corners[1, 1]),
        )

    def point_to_original(self, x: float, y: float) -> tuple[float, float]:
        point = self.to_original @ np.array([x, y, 1.0])
        return float(point[0]), float(point[1])


@dataclass(frozen=True)
class Analysis:
    """The maps measured on one pair in the analysis frame (the diff images are drawn from them)."""

    frame: Frame
    registration: align.Registration
    limits: Mapping[str, float]
    original: np.ndarray  # float32 RGB in [0, 1]
    aligned: np.ndarray  # float32 RGB: the variant resampled into the frame
    composite: np.ndarray  # aligned inside ``product``, original outside
    product: np.ndarray  # bool: the product mask minus the ignore boxes
    compared: np.ndarray  # bool: ``product`` eroded, the pixels every measure averages over
    valid: np.ndarray  # bool: pixels that fall inside the variant's frame
    ssim: np.ndarray  # local SSIM of the structure grey
    delta_e: np.ndarray  # CIEDE2000 (0 outside ``compared``)
    structure_changed: np.ndarray  # bool: local SSIM under its tolerance, specks removed
    colour_changed: np.ndarray  # bool: CIEDE2000 over its tolerance, specks removed
    changed: np.ndarray  # bool: structure or colour changed beyond tolerance, or missing
    # float32 in [0, 1]: the grey SSIM and GMSD compare, of ``original`` and ``composite`` (luminance;
    # a colourway's lightness, see engine.compare)
    original_grey: np.ndarray
    composite_grey: np.ndarray


def frame_around(mask: np.ndarray, variant_shape: tuple[int, ...]) -> Frame:
    """The product's box plus a margin, at analysis resolution: at most ANALYSIS_SIDE on the long side,
    never upscaled, and never finer than the variant's own resolution (a variant rendered smaller has no
    finer detail to compare, and comparing above it would flag the missing detail as changed)."""
    height, width = mask.shape
    bx, by, bw, bh = cv2.boundingRect(mask.astype(np.uint8))
    margin = max(8, round(FRAME_MARGIN * max(bw, bh)))
    x0, y0 = max(0, bx - margin), max(0, by - margin)
    x1, y1 = min(width, bx + bw + margin), min(height, by + bh + margin)
    variant_resolution = min(variant_shape[1] / width, variant_shape[0] / height)
    scale = min(1.0, ANALYSIS_SIDE / max(x1 - x0, y1 - y0), variant_resolution)
    return Frame.around(
        (x0, y0, x1, y1), (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    )
