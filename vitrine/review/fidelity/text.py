"""Printed text on the product, read by OCR on the original and at the same place on the aligned variant.

OCR (RapidOCR through :mod:`vitrine.inference.ocr`) takes about a second per image on one CPU core, so
callers can skip this step; the pixel measures still catch most changed letters, this step names them
("text 'ACME' now reads 'ACNE'").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from vitrine.inference.ocr import TextReader

MIN_CONFIDENCE = 0.5
# A variant line belongs to an original line when it covers this share of the original line's box.
MIN_COVER = 0.3

TextBox = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class ReadLine:
    text: str
    box: TextBox


@functools.lru_cache(maxsize=1)
def _reader() -> TextReader:
    return TextReader()


def read_lines(rgb: np.ndarray) -> list[ReadLine]:
    """Legible text lines (confidence >= MIN_CONFIDENCE) in an RGB uint8 image."""
    return [
        ReadLine(line.text.strip(), tuple(float(v) for v in line.box))
        for line in _reader().find_lines(rgb)
        if line.confidence >= MIN_CONFIDENCE and line.text.strip()
    ]


def normalised(text: str) -> str:
    return "".join(text.split())


def similarity(original: str, variant: str) -> float:
    original, variant = normalised(original), normalised(variant)
    if original == variant:
        return 1.0
    return SequenceMatcher(None, original, variant, autojunk=False).ratio()


@dataclass(frozen=True)
class LineComparison:
    original: ReadLine
    variant_text: str | None  # None: nothing legible over the original line any more
    similarity: float


def compare_lines(original_lines: list[ReadLine], variant_lines: list[ReadLine]) -> list[LineComparison]:
    """Pair each original line with the variant text read over the same place (boxes in one frame)."""
    comparisons = []
    for line in original_lines:
        covering = sorted(
            (v for v in variant_lines if cover(line.box, v.box) >= MIN_COVER), key=lambda v: v.box[0]
        )
        if not covering:
            comparisons.append(LineComparison(line, None, 0.0))
            continue
        read = " ".join(v.text for v in covering)
        comparisons.append(LineComparison(line, read, similarity(line.text, read)))
    return comparisons


def cover(box: TextBox, other: TextBox) -> float:
    """Share of ``box`` covered by ``other``."""
    width = min(box[2], other[2]) - max(box[0], other[0])
    height = min(box[3], other[3]) - max(box[1], other[1])
    area = (box[2] - box[0]) * (box[3] - box[1])
    return max(0.0, width) * max(0.0, height) / area if area > 0 else 0.0
