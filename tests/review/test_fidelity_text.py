"""Printed text in the fidelity report: the original's text is detected once per source image and kept in
a cache (in-process, or Django's shared cache across processes); a variant's lines are only recognised."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import redis_url
from tests.review.test_fidelity import SIDE, on_backdrop, packshot, shifted
from vitrine.fidelity import compare, reading, text
from vitrine.review.text_cache import SharedTextCache

ROOT = Path(__file__).resolve().parents[2]


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, encoded = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)[:, :, ::-1].copy()


@pytest.fixture
def ocr_calls(monkeypatch) -> dict[str, int]:
    """Counts detection passes (whole-image OCR), recognised line crops and recognised word crops (cut out
    of a changed line); the real OCR still runs."""
    calls = {"detect": 0, "recognise": 0, "words": 0}
    read_lines, recognise, recognise_each = text.read_lines, text.recognise, text.recognise_each

    def counted_read(rgb):
        calls["detect"] += 1
        return read_lines(rgb)

    def counted_recognise(crops):
        calls["recognise"] += len(crops)
        return recognise(crops)

    def counted_recognise_each(crops):
        calls["words"] += len(crops)
        return recognise_each(crops)

    monkeypatch.setattr(text, "read_lines", counted_read)
    monkeypatch.setattr(text, "recognise", counted_recognise)
    monkeypatch.setattr(text, "recognise_each", counted_recognise_each)
    return calls


def test_the_originals_text_is_detected_once_for_n_variants(ocr_calls):
    image, mask = packshot()
    changed, _ = packshot("ACNE")
    variants = [
        on_backdrop(image, mask),
        shifted(on_backdrop(image, mask), 2.6, -1.4),
        _jpeg(on_backdrop(image, mask), 85),
        on_backdrop(changed, mask),
        image,
    ]
    cache = text.MemoryTextCache()
    reports = [compare(image, variant, mask, ocr=True, text_cache=cache) for variant in variants]
    assert ocr_calls["detect"] == 1  # the original's text, for all five variants
    assert all(any(t.original == "ACME" for t in r.text) for r in reports)
    assert reports[0].measures["text_match"] == 1.0 and reports[0].verdict == "pass"
    assert reports[-1].measures["text_match"] == 1.0
    assert "text 'ACME' now reads 'ACNE'" in reports[3].reasons
    # a new source image is read again
    other, other_mask = packshot("KITE")
    compare(other, on_backdrop(other, other_mask), other_mask, ocr=True, text_cache=cache)
    assert ocr_calls["detect"] == 2


def test_lines_whose_pixels_did_not_change_are_not_recognised_again(ocr_calls):
    image, mask = packshot()
    cache = text.MemoryTextCache()
    compare(image, on_backdrop(image, mask), mask, ocr=True, text_cache=cache)
    recognised_for_the_original = ocr_calls["recognise"]
    report = compare(image, on_backdrop(image, mask), mask, ocr=True, text_cache=cache)
    assert ocr_calls["recognise"] == recognised_for_the_original  # the exact paste-back reads as before
    assert report.measures["text_match"] == 1.0
    changed, _ = packshot("ACNE")
    report = compare(image, on_backdrop(changed, mask), mask, ocr=True, text_cache=cache)
    assert "text 'ACME' now reads 'ACNE'" in report.reasons
    # only the changed line: read whole, or through its changed letters (on the original, then the variant)
    read = ocr_calls["recognise"] - recognised_for_the_original, ocr_calls["words"]
    assert read in ((1, 0), (0, 2))


def test_without_a_cache_argument_the_process_cache_keeps_the_text(ocr_calls):
    reading.DEFAULT_TEXT_CACHE.clear()
    image, mask = packshot("NOVA")
    for dx in (0.0, 1.5, 3.0):
        compare(image, shifted(on_backdrop(image, mask), dx, 0.0), mask, ocr=True)
    assert ocr_calls["detect"] == 1


def test_small_print_with_a_changed_digit_is_named(ocr_calls):
    """A weight line a few pixels high: the pixel measures alone let it pass, the text does not."""
    image = Image.new("RGB", (512, 512), (255, 255, 255))
    mask = Image.new("L", (512, 512), 0)
    for target, fill in ((ImageDraw.Draw(image), (40, 90, 170)), (ImageDraw.Draw(mask), 255)):
        target.rounded_rectangle((120, 40, 392, 480), radius=24, fill=fill)
    draw = ImageDraw.Draw(image)
    draw.rectangle((140, 200, 372, 330), fill=(248, 244, 232))
    draw.text((256, 240), "ACME", font=ImageFont.load_default(size=44), fill=(120, 20, 20), anchor="mm")

    def with_weight(weight: str) -> np.ndarray:
        copy = image.copy()
        ImageDraw.Draw(copy).text(
            (256, 300), weight, font=ImageFont.load_default(size=13), fill=(30, 30, 30), anchor="mm"
        )
        return np.asarray(copy).copy()

    original, product = with_weight("Net wt 100 g"), np.asarray(mask) >= 128
    rng = np.random.default_rng(5)
    backdrop = rng.integers(60, 200, (512, 512, 3), dtype=np.uint8)
    variant = np.where(product[:, :, None], with_weight("Net wt 160 g"), backdrop)
    assert compare(original, variant, product, ocr=False).verdict == "pass"  # the miss OCR closes
    report = compare(original, variant, product, ocr=True, text_cache=text.MemoryTextCache())
    assert report.verdict != "pass"
    assert "text 'Net wt 100 g' now reads 'Net wt 160 g'" in report.reasons


def _label_with(weight: str) -> tuple[np.ndarray, np.ndarray]:
    """A label with a brand and a line of small print (about 10 px high), on a product mask."""
    image = Image.new("RGB", (SIDE, SIDE), (255, 255, 255))
    mask = Image.new("L", (SIDE, SIDE), 0)
    for target, fill in ((ImageDraw.Draw(image), (40, 90, 170)), (ImageDraw.Draw(mask), 255)):
        target.rounded_rectangle((48, 20, 208, 240), radius=12, fill=fill)
    draw = ImageDraw.Draw(image)
    draw.rectangle((58, 95, 198, 170), fill=(248, 244, 232))
    draw.text((128, 117), "ACME", font=ImageFont.load_default(size=24), fill=(120, 20, 20), anchor="mm")
    draw.text((128, 150), weight, font=ImageFont.load_default(size=14), fill=(30, 30, 30), anchor="mm")
    return np.asarray(image).copy(), np.asarray(mask) >= 128


def test_a_changed_digit_is_read_from_its_word_alone_and_the_originals_word_is_cached(ocr_calls):
    """Only the changed word of a line is recognised (on the variant, and once per source image on the
    original); the reason still names the whole line as the variant shows it."""
    original, mask = _label_with("Net wt 100 g")
    changed, _ = _label_with("Net wt 160 g")
    cache = text.MemoryTextCache()
    compare(original, on_backdrop(original, mask), mask, ocr=True, text_cache=cache)
    lines_read = ocr_calls["recognise"]
    assert ocr_calls["words"] == 0  # nothing changed: nothing recognised
    first = compare(original, on_backdrop(changed, mask), mask, ocr=True, text_cache=cache)
    assert "text 'Net wt 100 g' now reads 'Net wt 160 g'" in first.reasons
    assert first.verdict != "pass"
    assert ocr_calls["recognise"] == lines_read  # no whole line was read again
    assert ocr_calls["words"] == 2  # "100" on the original, "160" on the variant
    # another variant with the same change (moved by whole pixels, so the same columns change)
    second = compare(original, shifted(on_backdrop(changed, mask), 2.0, -1.0), mask, ocr=True, text_cache=cache)
    assert "text 'Net wt 100 g' now reads 'Net wt 160 g'" in second.reasons
    assert ocr_calls["words"] == 3  # the original's word came from the cache
    assert ocr_calls["recognise"] == lines_read


def test_word_readings_that_cannot_be_placed_or_differ_only_in_case_read_the_whole_line():
    line = "Net wt 100 g"
    assert reading._place(line, "100", 0.6) == 7
    assert reading._place("10 x 10", "10", 0.9) == 5  # the occurrence nearest the changed columns
    assert reading._place(line, "1OO", 0.6) is None  # not in the line: the whole line is read
    # what a crop without the rest of its line misreads: confirmed on the whole line
    assert reading._alike("Me", "ME") and reading._alike("EN'", "EN") and reading._alike("100g", "100 g")
    assert not reading._alike("160 g", "100 g")


def test_text_added_outside_the_rewritten_line_is_named_for_text_localize(ocr_calls):
    image, mask = packshot()
    with_sticker = Image.fromarray(image)
    ImageDraw.Draw(with_sticker).text(
        (128, 205), "NEU", font=ImageFont.load_default(size=22), fill=(255, 255, 255), anchor="mm"
    )
    variant = on_backdrop(np.asarray(with_sticker), mask)
    report = compare(image, variant, mask, kind="text_localize", ocr=True, text_cache=text.MemoryTextCache())
    assert report.verdict != "pass"
    assert any(reason.startswith("text 'NEU") and reason.endswith("was added") for reason in report.reasons)


def test_the_shared_cache_serves_another_process(settings, tmp_path):
    """The review app's cache (Django's, on Redis): a second process scoring another variant of the same
    source image does not detect its text again."""
    settings.CACHES = {
        **settings.CACHES,
        # as settings.py builds it from FIDELITY_TEXT_CACHE_URL, which the other process gets
        "fidelity": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": "vitrine",
        },
    }
    rng = np.random.default_rng(int.from_bytes(os.urandom(4), "little"))
    image, mask = packshot()
    image = image.copy()
    image[0:4, 0:4] = rng.integers(0, 255, (4, 4, 3))  # a source image no earlier run has seen
    first = compare(image, on_backdrop(image, mask), mask, ocr=True, text_cache=SharedTextCache())
    assert first.measures["text_match"] == 1.0
    np.save(tmp_path / "original.npy", image)
    np.save(tmp_path / "mask.npy", mask)
    script = f"""
import json, sys
import numpy as np, django
django.setup()
from vitrine.fidelity import compare, text
from vitrine.review.text_cache import SharedTextCache
from tests.review.test_fidelity import on_backdrop, shifted
calls = []
read_lines = text.read_lines
text.read_lines = lambda rgb: calls.append(1) or read_lines(rgb)
image, mask = np.load({str(tmp_path / "original.npy")!r}), np.load({str(tmp_path / "mask.npy")!r})
report = compare(image, shifted(on_backdrop(image, mask), 1.5, 0.5), mask, ocr=True, text_cache=SharedTextCache())
print(json.dumps({{"detections": len(calls), "lines": [t.original for t in report.text]}}))
"""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vitrine.platform.settings",
        "FIDELITY_TEXT_CACHE_URL": redis_url(),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"detections": 0, "lines": [t.original for t in first.text]}


def test_an_unreachable_shared_cache_is_a_miss_not_an_error(settings):
    settings.CACHES = {
        **settings.CACHES,
        "fidelity": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    cache = SharedTextCache()
    assert cache.get("fidelity-text:x") is None
    cache.set("fidelity-text:x", [["ACME", [0, 0, 1, 1]]])  # logged, not raised
