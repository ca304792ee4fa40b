"""Offline OCR through rapidocr-onnxruntime (PP-OCRv4 detection + recognition, models inside the wheel).

The recogniser's alphabet is Chinese plus Latin without most diacritics: it has no ``ö``, ``ß``, ``Ä``,
``Ö`` and often reads ``ü`` as ``u``. Read-back checks therefore compare diacritic-folded text and treat
characters the recogniser cannot emit as wildcards (see :func:`readback_similarity`).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import cv2
import numpy as np


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float
    quad: tuple[tuple[float, float], ...]  # four corners, clockwise from top-left

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Axis-aligned (x0, y0, x1, y1), x1/y1 exclusive."""
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return int(np.floor(min(xs))), int(np.floor(min(ys))), int(np.ceil(max(xs))), int(np.ceil(max(ys)))


@lru_cache(maxsize=4)
def _recogniser(threads: int) -> tuple[Any, threading.Lock]:
    """One RapidOCR per thread setting and process: building one loads three ONNX models."""
    from rapidocr_onnxruntime import RapidOCR

    options: dict[str, Any] = {}
    if threads > 0:
        options = {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
    return RapidOCR(**options), threading.Lock()


class TextReader:
    """Text detection and recognition; the models load on first use."""

    def __init__(self, *, threads: int = 0) -> None:
        self._threads = threads

    @cached_property
    def alphabet(self) -> frozenset[str]:
        ocr, _ = _recogniser(self._threads)
        return frozenset(ocr.text_rec.postprocess_op.character)

    def find_lines(self, rgb: np.ndarray) -> list[TextLine]:
        """Every text line: detection, then recognition of each detected box."""
        ocr, lock = _recogniser(self._threads)
        with lock:
            result, _ = ocr(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        lines = []
        for quad, text, score in result or []:
            lines.append(
                TextLine(text=text, confidence=float(score), quad=tuple((float(x), float(y)) for x, y in quad))
            )
        return lines

    def read_lines(self, rgb_crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Recognition only, one crop per line of text, in one batched call."""
        if not rgb_crops:
            return []
        ocr, lock = _recogniser(self._threads)
        with lock:
            results, _ = ocr.text_rec([cv2.cvtColor(crop, cv2.COLOR_RGB2BGR) for crop in rgb_crops])
        return [(text, float(score)) for text, score, *_ in results]

    def read_each(self, rgb_crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Recognition only, each crop alone at its own width. ``read_lines`` (RapidOCR's recogniser) pads
        every input to at least 320 px at height 48, and the model's time grows with that width: a crop of
        one word read at its own width costs a quarter of a line. Crops narrower than they are high are
        padded to a square (too few columns leave the recogniser too few steps to emit a character)."""
        if not rgb_crops:
            return []
        ocr, lock = _recogniser(self._threads)
        recogniser = ocr.text_rec
        read = []
        with lock:
            for crop in rgb_crops:
                ratio = max(1.0, crop.shape[1] / crop.shape[0])
                normalised = recogniser.resize_norm_img(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), ratio)
                predictions = recogniser.session(normalised[np.newaxis].astype(np.float32))[0]
                (text, score, *_), *_ = recogniser.postprocess_op(
                    predictions, False, wh_ratio_list=[ratio], max_wh_ratio=ratio
                )
                read.append((text, float(score)))
        return read


def _strip_diacritics(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Compare form: compatibility-normalised, diacritics dropped, case-folded, spaces removed."""
    return "".join(_strip_diacritics(text).casefold().split())


def _expected_units(text: str, alphabet: frozenset[str]) -> list[str | None]:
    """``text`` as the OCR could at best read it; None marks a character it cannot emit (a wildcard)."""
    units: list[str | None] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isspace():
            continue
        base = _strip_diacritics(ch)
        if ch in alphabet:
            units.extend(fold(ch))
        elif base != ch and all(b in alphabet for b in base):
            units.extend(fold(base))  # e.g. "ö" -> "o": the recogniser has the base letter only
        else:
            units.append(None)  # e.g. "ß": nothing in the alphabet comes close
    return units


def readable_share(text: str, alphabet: frozenset[str]) -> float:
    """How much of ``text`` the recogniser can read at all (1.0 for an empty text)."""
    units = _expected_units(text, alphabet)
    return sum(unit is not None for unit in units) / len(units) if units else 1.0


def readback_similarity(expected: str, read: str, alphabet: frozenset[str]) -> float:
    """1 - edit distance / length between what was rendered and what the OCR read back."""
    want = _expected_units(expected, alphabet)
    got = fold(read)
    if not want:
        return 1.0 if not got else 0.0
    previous = list(range(len(got) + 1))
    for i, wanted in enumerate(want, start=1):
        current = [i] + [0] * len(got)
        for j, seen in enumerate(got, start=1):
            substitution = previous[j - 1] + (0 if wanted is None or wanted == seen else 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        previous = current
    return max(0.0, 1.0 - previous[-1] / max(len(want), len(got)))


def text_overlap(read: str, removed: str) -> float:
    """Share of ``removed``'s characters that ``read`` contains in order (longest common subsequence): how
    much of a text that should be gone is still legible."""
    if not read or not removed:
        return 0.0
    previous = [0] * (len(read) + 1)
    for ch in removed:
        current = [0]
        for j, seen in enumerate(read, start=1):
            current.append(previous[j - 1] + 1 if ch == seen else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1] / len(removed)
