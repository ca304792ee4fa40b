"""Fitting a picture under picture space's size limit (3 MB): JPEG quality steps first, then downscaling.

A picture is never dropped for being too large: it is re-encoded until it fits, and only when even the
smallest allowed size does not fit is the publish refused, with the numbers.
"""

from __future__ import annotations

import io

from PIL import Image

from vitrine.connectors.errors import ApiBadRequest

JPEG_QUALITIES = (92, 85, 78, 70)
DOWNSCALE_STEP = 0.85
# Taobao zooms main images from 700 px up; never shrink a picture below that.
MIN_SIDE = 700


class PictureTooLarge(ApiBadRequest):
    """Even the smallest acceptable JPEG of the picture is over the size limit."""


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: transparent parts become white, as on a Taobao listing page."""
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def picture_fit(data: bytes, content_type: str, *, max_bytes: int) -> tuple[bytes, str]:
    """``data`` itself when it fits in ``max_bytes``; otherwise the first JPEG that does. Returns the bytes
    and their content type. Raises :class:`PictureTooLarge` when nothing down to ``MIN_SIDE`` px fits."""
    if len(data) <= max_bytes:
        return data, content_type
    with Image.open(io.BytesIO(data)) as opened:
        image = _flattened(opened)
    for quality in JPEG_QUALITIES:
        encoded = _jpeg(image, quality)
        if len(encoded) <= max_bytes:
            return encoded, "image/jpeg"
    quality = JPEG_QUALITIES[-1]
    while min(image.size) * DOWNSCALE_STEP >= MIN_SIDE:
        size = (round(image.width * DOWNSCALE_STEP), round(image.height * DOWNSCALE_STEP))
        image = image.resize(size, Image.Resampling.LANCZOS)
        encoded = _jpeg(image, quality)
        if len(encoded) <= max_bytes:
            return encoded, "image/jpeg"
    raise PictureTooLarge(
        f"the picture ({len(data)} bytes) cannot be brought under {max_bytes} bytes: at {image.width}x"
        f"{image.height} px and JPEG quality {quality} it is still {len(encoded)} bytes, and smaller than "
        f"{MIN_SIDE} px a side is too small for a Taobao main image"
    )
