"""Printed text of the original compared with the aligned variant (the OCR part of the report).

The original's lines are detected once per source image and kept in a text cache with their boxes; for a
variant, each line's box is resampled through the alignment and recognised again only where its pixels
differ. For kinds that write text, changed areas away from those lines are searched for added text.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from vitrine.fidelity import align, measures, text
from vitrine.fidelity.analysis import Analysis, Frame
from vitrine.fidelity.report import Box, ChangedRegion, TextComparison
from vitrine.fidelity.thresholds import KIND_TEXT_LOCALIZE

# OCR reads small print better at a higher resolution than the pixel measures need.
OCR_SIDE = 1024
# Part of the text cache key: a new recogniser or a new crop rule reads differently.
OCR_READING = "rapidocr-ppocrv4/line-crop-1"
# Each line is recognised in its box grown by this share of its height (the detector's boxes are tight).
LINE_PAD = 0.1
# A line whose aligned pixels keep at least this local SSIM everywhere (full OCR resolution, after the
# same 0.7 px smoothing as the structure measure) shows the same glyphs: it reads as the original did
# and is not recognised again. A changed character drops local SSIM far below this.
LINE_UNCHANGED_SSIM = 0.8
# A changed line is first read only over the words that changed: the columns whose local SSIM fell under
# LINE_UNCHANGED_SSIM, widened on each side to the nearest gap between words (a run of columns without ink,
# in the original and the variant, at least this share of the line's height wide), with up to LINE_PAD of
# the height of blank margin. The same columns of the original are read too (cached, like the lines) and the
# variant's line is the original's with that reading replaced; anything uncertain reads the whole line.
WORD_GAP = 0.15
# A column holds ink when some pixel of it differs from the box's median luminance by this share of the
# largest difference in the box (antialiased glyph edges reach a little into a gap).
INK_SHARE = 0.25
# Fewer columns than this many times the box's height give the recogniser too little to go on (one or
# two glyphs of small print can read as nothing): the neighbouring words are added.
WORDS_MIN_RATIO = 1.3
# Words spanning more than this share of the line's box: the whole line is read (little to save).
WORDS_MAX_SHARE = 0.6
# Edit kinds that write text, and so may add text outside the lines they were asked to rewrite.
KINDS_WRITING_TEXT = frozenset({KIND_TEXT_LOCALIZE})
# The original's lines when the caller brings no cache (scripts, the command): this process only.
DEFAULT_TEXT_CACHE = text.MemoryTextCache()


def read_and_compare_text(
    original: np.ndarray,
    variant: np.ndarray,
    product_full: np.ndarray,
    analysis: Analysis,
    regions: list[ChangedRegion],
    cache: text.TextCache,
    *,
    adds_text: bool,
    original_digest: str | None = None,
) -> list[TextComparison]:
    """The original's lines (detected once per source image, then cached) compared with what the aligned
    variant shows in the same boxes (recognition only, and only where the pixels differ). For kinds that
    write text, changed areas away from those lines are searched for added text."""
    x0, y0, x1, y1 = analysis.frame.crop
    scale = min(1.0, OCR_SIDE / max(x1 - x0, y1 - y0))
    ocr_frame = Frame.around(
        analysis.frame.crop, (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    )
    original_ocr = ocr_frame.cut(original)
    if ocr_frame.size == (x1 - x0, y1 - y0):
        product = product_full[y0:y1, x0:x1]  # the frame at full resolution: a plain cut
    else:
        product = ocr_frame.cut(product_full.astype(np.uint8) * 255) >= 128
    lines = [
        line
        for line in _original_lines(original, original_ocr, ocr_frame, cache, original_digest)
        if _mostly_on(product, line.box)
    ]
    original_to_variant = align.to3(analysis.registration.matrix) @ np.linalg.inv(analysis.frame.to_original)
    pose = original_to_variant @ ocr_frame.to_original

    def aligned_at(box: Box) -> tuple[np.ndarray, np.ndarray]:
        """The variant's pixels in ``box`` of the OCR frame (original pixels off the product)."""
        bx0, by0, bx1, by1 = box
        shift = np.array([[1.0, 0.0, bx0], [0.0, 1.0, by0], [0.0, 0.0, 1.0]])
        aligned = align.warp_antialiased(variant, (pose @ shift)[:2], (bx1 - bx0, by1 - by0))
        inside = product[by0:by1, bx0:bx1, None]
        return original_ocr[by0:by1, bx0:bx1], np.where(inside, aligned, original_ocr[by0:by1, bx0:bx1])

    comparisons: list[TextComparison] = []
    changed: list[tuple[text.ReadLine, str | None]] = []  # the variant's reading when its words told it
    to_read: list[tuple[text.ReadLine, np.ndarray]] = []
    for line in lines:
        box = _padded(line.box, ocr_frame.size)
        before, after = aligned_at(box)
        luma_before, luma_after = _luma(before), _luma(after)
        ssim = _glyph_ssim(before, after, luma_before, luma_after)
        if ssim is None or float(ssim.min()) >= LINE_UNCHANGED_SSIM:
            comparisons.append(_text_comparison(line.text, line.text, 1.0, line.box, ocr_frame))
            continue
        words = _changed_words(luma_before, luma_after, ssim, line.box[3] - line.box[1])
        read = None
        if words is not None:
            key = text.content_key(
                original, OCR_READING, ocr_frame.crop, ocr_frame.size, box, words, image_digest=original_digest
            )
            read = _read_words(line.text, before, after, words, cache, key)
        changed.append((line, read))
        if read is None:
            to_read.append((line, after))
    whole = iter(text.recognise([c for _, c in to_read]))
    for line, read in changed:
        if read is None:
            read, confidence = next(whole)
            read = read if read and confidence >= text.MIN_CONFIDENCE else None
        similarity = text.similarity(line.text, read) if read is not None else 0.0
        comparisons.append(_text_comparison(line.text, read, similarity, line.box, ocr_frame))
    if adds_text:
        comparisons += _added_text(regions, lines, ocr_frame, aligned_at)
    return comparisons



def _original_lines(
    original: np.ndarray,
    original_ocr: np.ndarray,
    ocr_frame: Frame,
    cache: text.TextCache,
    original_digest: str | None = None,
) -> list[text.ReadLine]:
    """Every legible line of the original's OCR frame, each read from its own padded box (exactly as the
    variant's lines are read, so identical pixels give identical text); from ``cache`` when there.
    ``original_digest``: ``source.digest(original)`` when already computed."""
    key = text.content_key(original, OCR_READING, ocr_frame.crop, ocr_frame.size, image_digest=original_digest)
    cached = cache.get(key)
    if cached is not None:
        return text.lines_from_cache(cached)
    found = text.read_lines(original_ocr)
    boxes = [_padded(line.box, ocr_frame.size) for line in found]
    readings = text.recognise([original_ocr[b[1] : b[3], b[0] : b[2]] for b in boxes])
    lines = [
        text.ReadLine(read, line.box)
        for line, (read, confidence) in zip(found, readings, strict=True)
        if read and confidence >= text.MIN_CONFIDENCE
    ]
    cache.set(key, text.lines_to_cache(lines))
    return lines


def _padded(box: tuple[float, float, float, float], size: tuple[int, int]) -> Box:
    pad = LINE_PAD * (box[3] - box[1])
    return (
        max(0, math.floor(box[0] - pad)),
        max(0, math.floor(box[1] - pad)),
        min(size[0], math.ceil(box[2] + pad)),
        min(size[1], math.ceil(box[3] + pad)),
    )


def _luma(rgb: np.ndarray) -> np.ndarray:
    return measures.luma(rgb.astype(np.float32) * np.float32(1 / 255))


def _glyph_ssim(
    before: np.ndarray, after: np.ndarray, luma_before: np.ndarray, luma_after: np.ndarray
) -> np.ndarray | None:
    """Local SSIM of a line's box (None for a box too thin to measure whose pixels are equal; a thin box
    whose pixels differ gives a map of zeros)."""
    if before.shape[0] < 2 or before.shape[1] < 2:
        return None if np.array_equal(before, after) else np.zeros(before.shape[:2], np.float32)
    return measures.ssim_map(measures.presmoothed(luma_before), measures.presmoothed(luma_after))


def _changed_words(
    luma_before: np.ndarray, luma_after: np.ndarray, ssim: np.ndarray, text_height: float
) -> tuple[int, int] | None:
    """The columns (start, end) of a line's padded box that hold the words whose glyphs changed, with
    their margins, widened by neighbouring words to at least WORDS_MIN_RATIO times the box's height;
    None when they span most of the line or the change touches no ink."""
    height, width = luma_before.shape[:2]
    if height < 2 or width < 2:
        return None  # a sliver: read whole, as its height alone would make a crop of it very wide
    changed = np.flatnonzero(ssim.min(axis=0) < LINE_UNCHANGED_SSIM)
    if not len(changed):
        return None
    background = float(np.median(luma_before))
    contrast = np.abs(luma_before - background).max(axis=0)
    contrast_after = np.abs(luma_after - background).max(axis=0)
    largest = float(max(contrast.max(), contrast_after.max()))
    if largest <= 0:
        return None
    inked = np.flatnonzero((contrast >= INK_SHARE * largest) | (contrast_after >= INK_SHARE * largest))
    # Words: runs of inked columns, split where at least `gap` columns without ink lie between two.
    gap = max(2, math.ceil(WORD_GAP * text_height))
    splits = np.flatnonzero(np.diff(inked) > gap)
    starts = np.concatenate([inked[:1], inked[splits + 1]])
    ends = np.concatenate([inked[splits] + 1, inked[-1:] + 1])
    touched = np.flatnonzero((starts <= changed[-1]) & (ends > changed[0]))
    if not len(touched):
        return None
    first, last = int(touched[0]), int(touched[-1])
    margin = max(1, math.ceil(LINE_PAD * text_height))
    while ends[last] - starts[first] + 2 * margin < WORDS_MIN_RATIO * height and (first > 0 or last + 1 < len(starts)):
        # The narrower neighbour first: context for the recogniser at the least width.
        left = ends[first - 1] - starts[first - 1] if first > 0 else width
        right = ends[last + 1] - starts[last + 1] if last + 1 < len(starts) else width
        first, last = (first - 1, last) if left <= right else (first, last + 1)
    # Margins stay inside the gaps (half of each), so no neighbouring glyph is cut in two.
    left_room = (starts[first] - ends[first - 1]) // 2 if first > 0 else margin
    right_room = (starts[last + 1] - ends[last]) // 2 if last + 1 < len(starts) else margin
    start = max(0, int(starts[first]) - min(margin, int(left_room)))
    end = min(width, int(ends[last]) + min(margin, int(right_room)))
    if end - start > WORDS_MAX_SHARE * width:
        return None
    return start, end


def _read_words(
    line_text: str,
    before: np.ndarray,
    after: np.ndarray,
    words: tuple[int, int],
    cache: text.TextCache,
    key: str,
) -> str | None:
    """The variant's line read through its changed words: the original's line with the original's reading
    of those columns (cached under ``key``) replaced by the variant's. None when that is not certain: a
    reading under MIN_CONFIDENCE on either side, the original's not found in its line, or the two differing
    only in case or punctuation."""
    start, end = words
    cached = cache.get(key)
    if cached is None:
        read, confidence = text.recognise_each([np.ascontiguousarray(before[:, start:end])])[0]
        cached = [read, float(confidence)]
        cache.set(key, cached)
    original_read, original_confidence = str(cached[0]), float(cached[1])
    if not original_read or original_confidence < text.MIN_CONFIDENCE:
        return None
    at = _place(line_text, original_read, (start + end) / 2 / before.shape[1])
    if at is None:
        return None
    read, confidence = text.recognise_each([np.ascontiguousarray(after[:, start:end])])[0]
    if not read or confidence < text.MIN_CONFIDENCE or (read != original_read and _alike(read, original_read)):
        # Letter case and punctuation are what a few words without the rest of their line misread most
        # (a stray mark by a cut edge, "ME" as "Me"): such a difference is confirmed on the whole line.
        return None
    return line_text[:at] + read + line_text[at + len(original_read) :]


def _alike(read: str, other: str) -> bool:
    """Whether two readings differ only in letter case, spacing and punctuation."""
    return [c for c in read.casefold() if c.isalnum()] == [c for c in other.casefold() if c.isalnum()]


def _place(line_text: str, part: str, centre: float) -> int | None:
    """Where ``part`` starts in ``line_text``: of its occurrences, the one whose centre lies nearest to
    ``centre`` (a share of the line's width); None when it does not occur."""
    found = []
    at = line_text.find(part)
    while at >= 0:
        found.append(at)
        at = line_text.find(part, at + 1)
    if not found:
        return None
    return min(found, key=lambda start: abs((start + len(part) / 2) / len(line_text) - centre))


def _text_comparison(
    original: str, variant: str | None, similarity: float, box: tuple[float, ...], ocr_frame: Frame
) -> TextComparison:
    return TextComparison(
        original=original,
        variant=variant,
        similarity=round(similarity, 4),
        box=ocr_frame.box_to_original(box[0], box[1], box[2] - box[0], box[3] - box[1]),
    )


def _added_text(
    regions: list[ChangedRegion],
    lines: list[text.ReadLine],
    ocr_frame: Frame,
    aligned_at: Callable[[Box], tuple[np.ndarray, np.ndarray]],
) -> list[TextComparison]:
    """Text the variant shows in changed areas of structure that lie away from the original's lines: the
    detector runs on those areas only (a variant that changed nothing there costs nothing)."""
    from_original = np.linalg.inv(ocr_frame.to_original)
    width, height = ocr_frame.size
    added = []
    for region in regions:
        if region.cause != "structure":
            continue
        corners = from_original @ np.array(
            [[region.box[0], region.box[2]], [region.box[1], region.box[3]], [1.0, 1.0]]
        )
        margin = 0.25 * max(corners[0, 1] - corners[0, 0], corners[1, 1] - corners[1, 0])
        box = (
            max(0, math.floor(corners[0, 0] - margin)),
            max(0, math.floor(corners[1, 0] - margin)),
            min(width, math.ceil(corners[0, 1] + margin)),
            min(height, math.ceil(corners[1, 1] + margin)),
        )
        if box[2] - box[0] < 8 or box[3] - box[1] < 8:
            continue
        _, shown = aligned_at(box)
        for found in text.read_lines(shown):
            fx0, fy0, fx1, fy1 = found.box
            placed = (fx0 + box[0], fy0 + box[1], fx1 + box[0], fy1 + box[1])
            if any(text.cover(placed, line.box) >= text.MIN_COVER for line in lines):
                continue  # one of the original's own lines, compared above
            added.append(_text_comparison("", found.text, 0.0, placed, ocr_frame))
    return added


def _mostly_on(product: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Whether at least half of a text box lies on the compared product (ignore boxes are cut out of it)."""
    height, width = product.shape
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(width, math.ceil(box[2])), min(height, math.ceil(box[3]))
    return x1 > x0 and y1 > y0 and float(product[y0:y1, x0:x1].mean()) >= 0.5
