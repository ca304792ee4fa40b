"""Typesetting a translated line where the original was: size, weight, colour, alignment and room to grow.

The text_localize recipe measures each detected line here (its em size from the body of its ink, its stroke
weight, its colours), then lays the translation out at the same size and centre line, widening only over
plain background next to the line, never over the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vitrine.inference.errors import TextDoesNotFit
from vitrine.inference.fonts import FontBook, truetype
from vitrine.inference.ocr import TextLine


@dataclass(frozen=True)
class LineLayout:
    line: TextLine
    translation: str
    origin: str
    font_path: str
    font_size: int
    stroke: int  # px of outline in the text colour: how a regular font matches a bold original
    color: tuple[int, int, int]
    position: tuple[float, float]  # where PIL draws the text (left, top anchor "la")
    ink: tuple[int, int, int, int]  # the rendered text's pixels, x0 y0 x1 y1 (exclusive)


def _colours(source: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(background colour, text colour, ink mask of the box) from the box's pixels."""
    x0, y0, x1, y1 = box
    patch = source[y0:y1, x0:x1].astype(np.float32)
    rim = np.concatenate([patch[0], patch[-1], patch[:, 0], patch[:, -1]])
    background = np.median(rim, axis=0)
    distance = np.linalg.norm(patch - background, axis=2)
    strongest = float(np.percentile(distance, 99)) if distance.size else 0.0
    if strongest < 24.0:
        # No clear ink: write in whichever of black or white contrasts with the background.
        luminance = float(background @ np.array([0.299, 0.587, 0.114], np.float32))
        text = np.array([0, 0, 0] if luminance > 128 else [255, 255, 255], np.float32)
        return background, text, np.zeros(distance.shape, bool)
    ink = distance >= 0.6 * strongest
    return background, np.median(patch[ink], axis=0), ink


def _body_extent(ink: np.ndarray) -> tuple[float, float]:
    """Top and bottom rows of a line's body: the rows holding the central 96% of its ink, so a lone
    descender or accent (which fonts draw differently) does not set the size."""
    mass = np.cumsum(ink.sum(axis=1))
    if mass.size == 0 or mass[-1] == 0:
        return 0.0, float(ink.shape[0])
    top = int(np.searchsorted(mass, 0.02 * mass[-1]))
    bottom = int(np.searchsorted(mass, 0.98 * mass[-1])) + 1
    return float(top), float(bottom)


def _stroke_thickness(ink: np.ndarray) -> float:
    """Mean stroke width of glyph pixels: twice the area over the outline length (2wL / 2L = w)."""
    inner = cv2.erode(ink.astype(np.uint8), np.ones((3, 3), np.uint8))
    outline = int(ink.sum()) - int(inner.sum())
    return 2.0 * float(ink.sum()) / max(1, outline)


def _rendered_ink(text: str, font: ImageFont.FreeTypeFont, stroke: int) -> np.ndarray:
    left, top, right, bottom = font.getbbox(text, anchor="la", stroke_width=stroke)
    canvas = Image.new("L", (right - left + 2, bottom - top + 2), 0)
    ImageDraw.Draw(canvas).text(
        (1 - left, 1 - top), text, font=font, fill=255, anchor="la", stroke_width=stroke, stroke_fill=255
    )
    return np.asarray(canvas) >= 128


def _matching_stroke(original_ink: np.ndarray, text: str, font: ImageFont.FreeTypeFont) -> int:
    """Outline width (px) that brings ``font`` closest to the original's stroke weight: 0 for a regular
    original, 1-2 px for a bold one at common sizes."""
    if not original_ink.any():
        return 0
    target = _stroke_thickness(original_ink)
    candidates = range(max(1, int(font.size) // 8) + 1)
    return min(candidates, key=lambda px: abs(_stroke_thickness(_rendered_ink(text, font, px)) - target))


def _alignment(box: tuple[int, int, int, int], width: int, requested: str) -> str:
    if requested != "auto":
        return requested
    x0, _, x1, _ = box
    if abs((x0 + x1) / 2 - width / 2) < 0.05 * width:
        return "center"
    if width - x1 < 0.08 * width and x0 > 0.08 * width:
        return "right"
    return "left"


def line_layout(
    source: np.ndarray,
    line: TextLine,
    translation: str,
    origin: str,
    params: dict[str, Any],
    fonts: FontBook,
    product: np.ndarray | None,
    erase_mask: np.ndarray,
) -> LineLayout:
    """Where and how ``translation`` is drawn in place of ``line``: the original's em size, stroke weight, colour,
    alignment and body centre, widening over plain background (never ``product``) up to ``max_growth``, shrunk
    at most to ``min_font_scale``; :class:`TextDoesNotFit` when even that leaves no room."""
    height, width = source.shape[:2]
    x0, y0, x1, y1 = line.box
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    background, color, ink = _colours(source, (x0, y0, x1, y1))
    ink_rows = np.flatnonzero(ink.any(axis=1))
    ink_top, ink_bottom = (y0 + ink_rows[0], y0 + ink_rows[-1] + 1) if ink_rows.size else (y0, y1)

    # Em size of the original: its body height over the body height the same text has at 100 px.
    original_path = params["font"] or fonts.font_for(line.text)
    body_top, body_bottom = _body_extent(ink)
    reference_top, reference_bottom = _body_extent(_rendered_ink(line.text, truetype(original_path, 100), 0))
    per_em = (reference_bottom - reference_top) / 100.0
    size = max(6, round((body_bottom - body_top) / max(0.01, per_em)))
    stroke = _matching_stroke(ink, line.text, truetype(original_path, size))
    if stroke:
        # The outline adds its width above and below: take it off the size so the height still matches.
        size = max(6, round((body_bottom - body_top - 2 * stroke) / max(0.01, per_em)))
    font_path = params["font"] or fonts.font_for(translation)
    font = truetype(font_path, size)
    left, top, right, bottom = font.getbbox(translation, anchor="la", stroke_width=stroke)
    needed = right - left

    align = _alignment((x0, y0, x1, y1), width, params["align"])
    room_left, room_right = _room(
        source, (x0, ink_top, x1, ink_bottom), background, product, erase_mask
    )
    box_width = x1 - x0
    growth = box_width * (params["max_growth"] - 1.0)
    if align == "left":
        available = box_width + min(room_right, growth)
    elif align == "right":
        available = box_width + min(room_left, growth)
    else:
        available = box_width + 2 * min(room_left, room_right, growth / 2)
    if needed > available:
        scaled = int(size * available / needed)
        if scaled < size * params["min_font_scale"]:
            raise TextDoesNotFit(
                f"{translation!r} does not fit where {line.text!r} was: it needs {needed} px at the original "
                f"size and there is room for {int(available)} px even at {params['min_font_scale']:.0%} of "
                "that size; shorten the translation"
            )
        stroke = round(stroke * scaled / size)
        size = max(6, scaled)
        font = truetype(font_path, size)
        left, top, right, bottom = font.getbbox(translation, anchor="la", stroke_width=stroke)
        needed = right - left

    # Bodies share a centre line: rendered canvas row r is y + top - 1 + r (see _rendered_ink).
    rendered_top, rendered_bottom = _body_extent(_rendered_ink(translation, font, stroke))
    y = y0 + (body_top + body_bottom) / 2.0 - (rendered_top + rendered_bottom) / 2.0 - top + 1
    if align == "left":
        x = x0 - left
    elif align == "right":
        x = x1 - right
    else:
        x = (x0 + x1) / 2.0 - (left + right) / 2.0
    ink_box = (
        max(0, int(np.floor(x + left))),
        max(0, int(np.floor(y + top))),
        min(width, int(np.ceil(x + right))),
        min(height, int(np.ceil(y + bottom))),
    )
    return LineLayout(
        line=line,
        translation=translation,
        origin=origin,
        font_path=font_path,
        font_size=size,
        stroke=stroke,
        color=tuple(round(float(c)) for c in color),
        position=(x, y),
        ink=ink_box,
    )

def _room(
    source: np.ndarray,
    band_box: tuple[int, int, int, int],
    background: np.ndarray,
    product: np.ndarray | None,
    erase_mask: np.ndarray,
) -> tuple[int, int]:
    """Plain columns (background colour, not product) directly left and right of a line."""
    x0, y0, x1, y1 = band_box
    band = source[y0:y1].astype(np.float32)
    plain = (np.linalg.norm(band - background, axis=2) < 18.0).all(axis=0)
    plain |= erase_mask[y0:y1].all(axis=0)  # another line's erased box is free once erased
    if product is not None:
        plain &= ~product[y0:y1].any(axis=0)
    blocked_left = np.flatnonzero(~plain[:x0])
    blocked_right = np.flatnonzero(~plain[x1:])
    room_left = x0 - (blocked_left[-1] + 1 if blocked_left.size else 0)
    room_right = blocked_right[0] if blocked_right.size else plain.size - x1
    # Keep a small gap to whatever blocks the line.
    gap = max(2, (y1 - y0) // 4)
    return max(0, room_left - gap), max(0, room_right - gap)


def model_region(line: TextLine, shape: tuple[int, int], params: dict[str, Any]) -> tuple[int, int, int, int]:
    """Where the edit model may write a line: its box, grown by ``max_growth`` across and half a line
    above and below (a translation is rarely the original's width)."""
    x0, y0, x1, y1 = line.box
    grow_x = round((x1 - x0) * (params["max_growth"] - 1.0) / 2)
    grow_y = max(2, (y1 - y0) // 2)
    height, width = shape
    return max(0, x0 - grow_x), max(0, y0 - grow_y), min(width, x1 + grow_x), min(height, y1 + grow_y)
