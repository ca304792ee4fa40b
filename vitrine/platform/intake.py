"""Image intake: turn whatever a store serves into an 8-bit sRGB PNG, or refuse it with a specific reason.

Stores serve JPEGs with EXIF rotation, CMYK files from print workflows, Adobe RGB / Display P3 profiles,
16-bit PNGs, palette PNGs with transparency and animated GIFs. Editing and fidelity scoring need one
canonical form: upright, sRGB, 8 bits per channel, RGB or RGBA. Everything else is refused before it can
cost memory or time: decompression bombs, oversize files, truncated or corrupt files, non-image bytes
behind an image extension, vector or markup formats.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# The content type a stored original is served with, by the format the decoder recognised.
FORMAT_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_SRGB_PROFILE = ImageCms.createProfile("sRGB")


class ImageRejected(ValueError):
    """An image the intake refuses. ``code`` is stable for programs; the message is for people."""

    code = "rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyFile(ImageRejected):
    code = "empty_file"


class FileTooLarge(ImageRejected):
    code = "file_too_large"


class TooManyPixels(ImageRejected):
    code = "too_many_pixels"


class ImageTooSmall(ImageRejected):
    code = "image_too_small"


class NotAnImage(ImageRejected):
    code = "not_an_image"


class VectorOrMarkup(ImageRejected):
    code = "vector_or_markup"


class UnsupportedFormat(ImageRejected):
    code = "unsupported_format"


class TruncatedImage(ImageRejected):
    code = "truncated"


class CorruptImage(ImageRejected):
    code = "corrupt"


@dataclass(frozen=True)
class NormalizedImage:
    png: bytes
    width: int
    height: int
    has_alpha: bool
    source_format: str
    warnings: list[str] = field(default_factory=list)


# Signatures of things that are not raster images but arrive named like one.
_MARKUP_PREFIXES = (b"<svg", b"<?xml", b"<!doctype html", b"<html", b"<!--")
_OTHER_SIGNATURES = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive",
    b"\x1f\x8b": "a gzip archive",
    b"{": "JSON text",
    b"8BPS": "a Photoshop document",
}


_RASTER_SIGNATURES = (b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF")


def mask_normalize(data: bytes, *, size: tuple[int, int]) -> bytes:
    """A supplied product mask as an 8-bit black/white PNG: alpha when it has transparency, else its grey
    levels (white = product). Refused when unreadable, empty, full, or not the photo's ``size`` (w, h)."""
    try:
        with Image.open(io.BytesIO(data)) as mask:
            mask.load()
            if mask.mode in ("RGBA", "LA", "PA") or (mask.mode == "P" and "transparency" in mask.info):
                grey = mask.convert("RGBA").getchannel("A")
            else:
                grey = mask.convert("L")
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise NotAnImage(f"the mask file cannot be read as an image ({exc})") from None
    if grey.size != size:
        raise ImageRejected(f"the mask is {grey.size[0]}x{grey.size[1]} px but the photo is {size[0]}x{size[1]} px")
    binary = grey.point(lambda value: 255 if value >= 128 else 0)
    low, high = binary.getextrema()
    if high == 0 or low == 255:
        raise ImageRejected("the mask marks " + ("nothing" if high == 0 else "the whole photo") + " as product")
    buffer = io.BytesIO()
    binary.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _sniff_non_image(data: bytes, filename: str) -> None:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(_MARKUP_PREFIXES) or b"<svg" in head:
        kind = "SVG" if b"<svg" in data[:4096].lower() else "HTML/XML"
        raise VectorOrMarkup(f"{filename or 'file'} is {kind} markup, not a raster image; upload a JPEG or PNG")
    for signature, what in _OTHER_SIGNATURES.items():
        if data.startswith(signature):
            raise NotAnImage(f"{filename or 'file'} is {what}, not an image")


def image_normalize(data: bytes, *, filename: str = "") -> NormalizedImage:
    """Decode, check and normalise one image file. Raises an :class:`ImageRejected` subclass."""
    name = filename or "file"
    if not data:
        raise EmptyFile(f"{name} is empty (0 bytes)")
    if len(data) > settings.IMAGE_MAX_BYTES:
        raise FileTooLarge(
            f"{name} is {len(data) / 1e6:.1f} MB; the limit is {settings.IMAGE_MAX_BYTES / 1e6:.0f} MB"
        )
    _sniff_non_image(data, filename)

    max_pixels = settings.IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format or "unknown"
            width, height = img.size
            # Checked on the header, before any pixel is decoded.
            if width * height > max_pixels:
                raise TooManyPixels(
                    f"{name} is {width}x{height} ({width * height / 1e6:.1f} MP); the limit is "
                    f"{max_pixels / 1e6:.0f} MP"
                )
            if fmt not in ACCEPTED_FORMATS:
                raise UnsupportedFormat(f"{name} is {fmt}; accepted formats are JPEG, PNG, GIF and WebP")
            img.seek(0)  # the first frame of an animation
            img.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooManyPixels(f"{name} declares too many pixels: {exc}") from None
    except UnidentifiedImageError:
        if data.startswith(_RASTER_SIGNATURES):
            raise CorruptImage(f"{name} starts like an image file but its headers are damaged") from None
        raise NotAnImage(f"{name} is not a recognisable image file") from None
    except OSError as exc:
        text = str(exc).lower()
        if "truncated" in text or "end of file" in text or "premature" in text or "ended" in text:
            raise TruncatedImage(f"{name} is truncated (the file ends before the image does)") from None
        raise CorruptImage(f"{name} is corrupt and cannot be decoded: {exc}") from None
    except (SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImage(f"{name} is corrupt and cannot be decoded: {exc}") from None

    if min(width, height) < settings.IMAGE_MIN_SIDE:
        raise ImageTooSmall(f"{name} is {width}x{height}; each side must be at least {settings.IMAGE_MIN_SIDE} px")

    notes: list[str] = []
    if getattr(img, "is_animated", False):
        notes.append(f"animated {fmt}: only the first of {img.n_frames} frames is used")

    try:
        rgb = _to_srgb_8bit(img, notes)
    except OSError as exc:
        raise CorruptImage(f"{name} could not be converted to sRGB: {exc}") from None

    if rgb.mode == "RGBA" and rgb.getchannel("A").getextrema()[0] == 255:
        rgb = rgb.convert("RGB")  # an all-opaque alpha channel says nothing about where the product is

    buffer = io.BytesIO()
    # Fixed encoder settings so the same pixels always give the same bytes (content addressing).
    rgb.save(buffer, format="PNG", optimize=False, compress_level=6)
    return NormalizedImage(
        png=buffer.getvalue(),
        width=rgb.width,
        height=rgb.height,
        has_alpha=rgb.mode == "RGBA",
        source_format=fmt,
        warnings=notes,
    )


def _to_srgb_8bit(img: Image.Image, notes: list[str]) -> Image.Image:
    # exif_transpose returns a copy even when there is nothing to do: the note needs a real orientation tag.
    orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    img = ImageOps.exif_transpose(img)
    if orientation in range(2, 9):
        notes.append("rotated upright from EXIF orientation")

    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: scale to 8 bits instead of clipping at 255.
        arr = np.asarray(img, dtype=np.uint32)
        peak = 65535 if arr.max() > 255 else 255
        img = Image.fromarray((arr * 255 // peak).astype(np.uint8), mode="L")
        notes.append("reduced from 16 to 8 bits per channel")

    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    icc = img.info.get("icc_profile")
    if icc:
        try:
            source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            alpha = img.getchannel("A") if has_alpha and img.mode in ("RGBA", "LA") else None
            base = img.convert("CMYK") if img.mode == "CMYK" else img.convert("RGB")
            converted = ImageCms.profileToProfile(
                base, source_profile, _SRGB_PROFILE, outputMode="RGB",
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
            )
            assert converted is not None
            description = ImageCms.getProfileDescription(source_profile).strip()
            if "srgb" not in description.lower():
                notes.append(f"converted from the embedded colour profile ({description}) to sRGB")
            if alpha is not None:
                converted.putalpha(alpha)
            return converted
        except (ImageCms.PyCMSError, OSError) as exc:
            notes.append(f"embedded colour profile ignored (unreadable: {exc}); assumed sRGB")

    if img.mode == "CMYK":
        notes.append("converted from CMYK without a profile (naive conversion)")
        return img.convert("RGB")
    if has_alpha:
        return img.convert("RGBA")
    return img.convert("RGB")
