"""Image intake: what stores really serve is normalised; everything else gets one specific error."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from vitrine.platform import intake
from vitrine.platform.models import Blob
from vitrine.platform.services import blob_read, image_intake


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def gradient(width: int = 120, height: int = 80) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    y = np.linspace(0, 255, height, dtype=np.uint8)
    arr = np.stack(np.broadcast_arrays(x[None, :], y[:, None], np.full((height, width), 128, np.uint8)), -1)
    return Image.fromarray(arr.copy(), "RGB")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height; decoding would allocate the whole canvas."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(
        b"IEND", b"")


GOOD_JPEG = encode(gradient(), "JPEG", quality=90)
GOOD_PNG = encode(gradient(), "PNG")


def bad_corpus() -> dict[str, tuple[bytes, type[intake.ImageRejected]]]:
    corrupt_jpeg = bytearray(GOOD_JPEG)
    corrupt_jpeg[2:40] = b"\x00" * 38  # destroy the segment headers after SOI
    return {
        "empty.jpg": (b"", intake.EmptyFile),
        "notes.jpg": (b"These are not the pixels you are looking for.\n" * 4, intake.NotAnImage),
        "page.png": (b"<!DOCTYPE html><html><body><img src=x></body></html>", intake.VectorOrMarkup),
        "logo.png": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', intake.VectorOrMarkup),
        "logo.svg": (b'<svg width="10" height="10"><rect/></svg>', intake.VectorOrMarkup),
        "catalogue.jpg": (b"%PDF-1.7\n1 0 obj <<>> endobj\n", intake.NotAnImage),
        "bundle.png": (b"PK\x03\x04" + b"\0" * 60, intake.NotAnImage),
        "api.jpg": (b'{"error": "not found"}', intake.NotAnImage),
        "cut.png": (GOOD_PNG[: len(GOOD_PNG) // 2], intake.TruncatedImage),
        "cut.jpg": (GOOD_JPEG[: len(GOOD_JPEG) // 3], intake.TruncatedImage),
        "scrambled.jpg": (bytes(corrupt_jpeg), intake.CorruptImage),
        "bomb.png": (png_header_only(30_000, 30_000), intake.TooManyPixels),
        "tiny.png": (encode(gradient(8, 8), "PNG"), intake.ImageTooSmall),
        "scan.tiff": (encode(gradient(), "TIFF"), intake.UnsupportedFormat),
        "paint.bmp": (encode(gradient(), "BMP"), intake.UnsupportedFormat),
        "huge.jpg": (GOOD_JPEG + b"\0" * 2_000_000, intake.FileTooLarge),
    }


@pytest.fixture
def small_limits(settings):  # type: ignore[no-untyped-def]
    settings.IMAGE_MAX_BYTES = 1_000_000
    settings.IMAGE_MAX_PIXELS = 20_000_000
    return settings


@pytest.mark.parametrize("name", sorted(bad_corpus()))
def test_each_bad_file_gets_its_specific_error(db, small_limits, name):
    data, expected = bad_corpus()[name]
    with pytest.raises(intake.ImageRejected) as info:
        image_intake(data, filename=name)
    assert type(info.value) is expected, f"{name}: {info.value}"
    assert name in info.value.message
    assert not Blob.objects.exists()


def test_good_file_in_a_bad_batch_is_still_stored(db, small_limits):
    corpus = bad_corpus()
    files = {name: data for name, (data, _) in corpus.items()} | {"product.jpg": GOOD_JPEG}
    stored, rejected = {}, {}
    for name, data in files.items():  # one file at a time, as every intake path takes them
        try:
            stored[name] = image_intake(data, filename=name)
        except intake.ImageRejected as exc:
            rejected[name] = exc
    assert set(stored) == {"product.jpg"}
    assert {name: type(err) for name, err in rejected.items()} == {n: e for n, (_, e) in corpus.items()}
    assert len({err.code for err in rejected.values()}) == 9  # every kind of refusal
    assert Image.open(io.BytesIO(blob_read(stored["product.jpg"].image))).size == (120, 80)


def test_same_bytes_are_stored_once(db):
    first = image_intake(GOOD_JPEG, filename="a.jpg")
    stored = Blob.objects.count()
    second = image_intake(GOOD_JPEG, filename="b.jpg")
    assert (first.original.pk, first.image.pk) == (second.original.pk, second.image.pk)
    assert stored == 2 and Blob.objects.count() == 2  # original + normalised, each once


def decoded(result: intake.NormalizedImage) -> Image.Image:
    return Image.open(io.BytesIO(result.png))


def test_exif_orientation_is_applied():
    img = gradient(120, 80)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    result = intake.image_normalize(encode(img, "JPEG", exif=exif.tobytes()), filename="phone.jpg")
    assert (result.width, result.height) == (80, 120)
    assert any("EXIF" in note for note in result.warnings)


def test_cmyk_jpeg_becomes_rgb():
    result = intake.image_normalize(encode(gradient().convert("CMYK"), "JPEG"), filename="print.jpg")
    assert decoded(result).mode == "RGB"
    assert any("CMYK" in note for note in result.warnings)


def test_icc_profile_is_converted_to_srgb():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = intake.image_normalize(encode(gradient(), "PNG", icc_profile=profile), filename="tagged.png")
    assert decoded(result).mode == "RGB"
    pixels = np.asarray(decoded(result), dtype=int)
    assert np.abs(pixels - np.asarray(gradient(), dtype=int)).max() <= 2  # sRGB -> sRGB is (almost) identity


def test_unreadable_icc_profile_is_ignored_with_a_warning():
    result = intake.image_normalize(encode(gradient(), "PNG", icc_profile=b"garbage" * 20), filename="p.png")
    assert any("profile ignored" in note for note in result.warnings)


def test_16_bit_png_is_scaled_not_clipped():
    arr = np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (40, 1))
    data = encode(Image.fromarray(arr), "PNG")
    result = intake.image_normalize(data, filename="deep.png")
    pixels = np.asarray(decoded(result).convert("L"))
    assert pixels.min() == 0 and pixels.max() == 255
    assert len(np.unique(pixels)) > 32


def test_palette_png_with_transparency_keeps_alpha():
    img = Image.new("P", (64, 64), 0)
    img.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    for x in range(16, 48):
        for y in range(16, 48):
            img.putpixel((x, y), 1)
    data = encode(img, "PNG", transparency=0)
    result = intake.image_normalize(data, filename="cutout.png")
    out = decoded(result)
    assert result.has_alpha and out.mode == "RGBA"
    alpha = np.asarray(out.getchannel("A"))
    assert alpha[0, 0] == 0 and alpha[32, 32] == 255


def test_opaque_alpha_channel_is_dropped():
    result = intake.image_normalize(encode(gradient().convert("RGBA"), "PNG"), filename="opaque.png")
    assert not result.has_alpha and decoded(result).mode == "RGB"


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((200, 0, 0), (0, 200, 0), (0, 0, 200))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    result = intake.image_normalize(data, filename="spin.gif")
    red, green, blue = decoded(result).convert("RGB").getpixel((10, 10))
    assert red > 150 and green < 50 and blue < 50
    assert any("first of 3 frames" in note for note in result.warnings)


def test_normalisation_is_deterministic():
    assert intake.image_normalize(GOOD_JPEG).png == intake.image_normalize(GOOD_JPEG).png
