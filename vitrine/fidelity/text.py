"""Printed text on the product, read by OCR on the original and at the same place on the aligned variant.

OCR (RapidOCR through :mod:`vitrine.inference.ocr`) has two steps of very different cost: detection
(finding the lines, a few hundred ms per image on one core) and recognition (reading one line, a few ms
per line). Detection runs once per source image: its lines, with their boxes, are kept in a
:class:`TextCache` under the image's content hash, so every further variant of that image only has its
lines recognised at the aligned places. The cache is an interface so that this package stays free of
Django: the review app passes one backed by the shared cache (Redis), which every worker process sees.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Protocol

import numpy as np

from vitrine.fidelity import source
from vitrine.inference.ocr import TextReader

MIN_CONFIDENCE = 0.5
# The report runs on one core (workers scale by processes). onnxruntime's default pool takes every core
# and spin-waits: on a process pinned to one core that alone costs tens of milliseconds per call.
OCR_THREADS = 1
# A variant line belongs to an original line when it covers this share of the original line's box.
MIN_COVER = 0.3

TextBox = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class ReadLine:
    text: str
    box: TextBox


@functools.lru_cache(maxsize=1)
def _reader() -> TextReader:
    return TextReader(threads=OCR_THREADS)


def read_lines(rgb: np.ndarray) -> list[ReadLine]:
    """Legible text lines (confidence >= MIN_CONFIDENCE) in an RGB uint8 image."""
    return [
        ReadLine(line.text.strip(), tuple(float(v) for v in line.box))
        for line in _reader().find_lines(rgb)
        if line.confidence >= MIN_CONFIDENCE and line.text.strip()
    ]


def recognise(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognition only (no detection): the text and confidence of each RGB crop holding one line."""
    return [(text.strip(), confidence) for text, confidence in _reader().read_lines(crops)]


def recognise_each(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Like :func:`recognise`, but each crop is read alone at its own width (no padding to a common
    width): the cheap way to read a few words cut out of a line."""
    return [(text.strip(), confidence) for text, confidence in _reader().read_each(crops)]


class TextCache(Protocol):
    """Where the original's lines are kept between reports: ``get`` gives None for a key it lacks."""

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any) -> None: ...


class MemoryTextCache:
    """A process-local LRU cache: the default outside the review app, and enough for scripts."""

    def __init__(self, maxsize: int = 64) -> None:
        self._maxsize = maxsize
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def content_key(image: np.ndarray, *parts: object, image_digest: str | None = None) -> str:
    """A cache key for ``image``'s pixels (and the parts that decide what was read from them);
    ``image_digest`` is ``source.digest(image)`` when the caller already has it (hashing a 1024x1024
    image costs a few ms)."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((image.shape, str(image.dtype), *parts)).encode())
    digest.update((image_digest or source.digest(image)).encode())
    return f"fidelity-text:{digest.hexdigest()}"


def lines_to_cache(lines: list[ReadLine]) -> list[list[Any]]:
    """Plain lists, so any cache backend (pickle or JSON) can store them."""
    return [[line.text, [float(v) for v in line.box]] for line in lines]


def lines_from_cache(value: Any) -> list[ReadLine]:
    return [ReadLine(str(text), tuple(float(v) for v in box)) for text, box in value]


def normalised(text: str) -> str:
    return "".join(text.split())


def similarity(original: str, variant: str) -> float:
    original, variant = normalised(original), normalised(variant)
    if original == variant:
        return 1.0
    return SequenceMatcher(None, original, variant, autojunk=False).ratio()


def cover(box: TextBox, other: TextBox) -> float:
    """Share of ``box`` covered by ``other``."""
    width = min(box[2], other[2]) - max(box[0], other[0])
    height = min(box[3], other[3]) - max(box[1], other[1])
    area = (box[2] - box[0]) * (box[3] - box[1])
    return max(0.0, width) * max(0.0, height) / area if area > 0 else 0.0
