"""Turning the caller's images, masks and boxes into the arrays the measures expect, or saying why not."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence

import cv2
import numpy as np
from PIL import Image

from vitrine.fidelity.report import Box

ImageInput = np.ndarray | Image.Image
MIN_SIDE = 16


class FidelityInputError(ValueError):
    pass


def as_rgb(image: ImageInput, *, name: str) -> np.ndarray:
    """An HxWx3 uint8 RGB array (alpha dropped, grey expanded)."""
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
    if not isinstance(image, np.ndarray):
        raise FidelityInputError(f"{name} must be a numpy array or a PIL image, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise FidelityInputError(f"{name} must hold 8-bit pixels (uint8), got {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise FidelityInputError(f"{name} must be HxW, HxWx3 or HxWx4, got shape {image.shape}")
    if min(image.shape[:2]) < MIN_SIDE:
        raise FidelityInputError(f"{name} is {image.shape[1]}x{image.shape[0]}: sides under {MIN_SIDE} px")
    return np.ascontiguousarray(image[:, :, :3])


def as_mask(mask: ImageInput, *, shape: tuple[int, int], name: str = "product_mask") -> np.ndarray:
    """A bool HxW mask of the original's size; grey masks count from half intensity."""
    if isinstance(mask, Image.Image):
        mask = np.asarray(mask.convert("L"))
    if not isinstance(mask, np.ndarray):
        raise FidelityInputError(f"{name} must be a numpy array or a PIL image, got {type(mask).__name__}")
    if mask.ndim == 3 and mask.shape[2] in (1, 3, 4):
        mask = mask[:, :, -1] if mask.shape[2] == 4 else mask[:, :, 0]
    if mask.ndim != 2:
        raise FidelityInputError(f"{name} must be HxW, got shape {mask.shape}")
    if mask.shape != shape:
        raise FidelityInputError(
            f"{name} is {mask.shape[1]}x{mask.shape[0]} but the original is {shape[1]}x{shape[0]}"
        )
    if mask.dtype == bool:
        binary = mask
    elif mask.dtype == np.uint8:
        binary = mask >= 128
    elif np.issubdtype(mask.dtype, np.floating):
        binary = mask >= 0.5
    else:
        raise FidelityInputError(f"{name} must be bool, uint8 or float, got {mask.dtype}")
    if not binary.any():
        raise FidelityInputError(f"{name} is empty: there is no product area to compare")
    return np.ascontiguousarray(binary)


def as_boxes(boxes: Iterable[Sequence[float]] | None, *, shape: tuple[int, int]) -> list[Box]:
    """Boxes (x0, y0, x1, y1) clipped to the image; each must have a positive area."""
    height, width = shape
    clipped: list[Box] = []
    for box in boxes or ():
        if len(box) != 4:
            raise FidelityInputError(f"ignore box {tuple(box)!r} must be (x0, y0, x1, y1)")
        x0, y0, x1, y1 = (round(float(v)) for v in box)
        if x1 <= x0 or y1 <= y0:
            raise FidelityInputError(f"ignore box {(x0, y0, x1, y1)} must have x1 > x0 and y1 > y0")
        x0, x1 = max(0, x0), min(width, x1)
        y0, y1 = max(0, y0), min(height, y1)
        if x1 <= x0 or y1 <= y0:
            raise FidelityInputError(f"ignore box {tuple(box)!r} lies outside the {width}x{height} original")
        clipped.append((x0, y0, x1, y1))
    return clipped


def png_bytes(rgb_or_grey: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", _to_bgr(rgb_or_grey), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return encoded.tobytes()


def mask_to_base64_png(mask: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).convert("1").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def mask_from_base64_png(data: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("L")) >= 128


def _to_bgr(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
