"""Synthetic product photos with their true masks: packshots, cut-outs, printed text, textured garments, promo
overlays. Test and benchmark data: every pixel is known, so a test can say what an edit must keep."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from vitrine.inference.fonts import FontBook, truetype


def packshot(
    size: int = 128,
    *,
    background: tuple[int, int, int] = (255, 255, 255),
    product_color: tuple[int, int, int] = (40, 90, 160),
    seed: int = 0,
    transparent: bool = False,
) -> tuple[Image.Image, np.ndarray]:
    """A bottle-like product with a printed pattern on a plain background, and its true mask."""
    rng = np.random.default_rng(seed)
    mask_image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask_image)
    cx = size // 2
    draw.rounded_rectangle((cx - size // 5, size // 4, cx + size // 5, int(size * 0.85)), radius=size // 12, fill=255)
    draw.rectangle((cx - size // 14, size // 8, cx + size // 14, size // 4), fill=255)
    mask = np.asarray(mask_image) > 0
    pattern = np.clip(
        np.asarray(product_color, np.int16) + rng.integers(-35, 36, (size, size, 3), dtype=np.int16), 0, 255
    ).astype(np.uint8)
    rgb = np.empty((size, size, 3), np.uint8)
    rgb[...] = background
    rgb[mask] = pattern[mask]
    if transparent:
        alpha = np.asarray(mask_image.filter(ImageFilter.GaussianBlur(0.7)))
        alpha = np.where(mask, 255, alpha).astype(np.uint8)
        return Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA"), mask
    return Image.fromarray(rgb, mode="RGB"), mask


def cutout(photo: np.ndarray, *, margin: float = 0.18) -> Image.Image:
    """A real photo cut out as an RGBA product shot: an elliptical subject with an anti-aliased edge."""
    height, width = photo.shape[:2]
    alpha = Image.new("L", (width * 4, height * 4), 0)
    ImageDraw.Draw(alpha).ellipse(
        (
            int(width * 4 * margin),
            int(height * 4 * margin),
            int(width * 4 * (1 - margin)),
            int(height * 4 * (1 - margin)),
        ),
        fill=255,
    )
    alpha = alpha.resize((width, height), Image.Resampling.LANCZOS)  # supersampled: a soft one-pixel rim
    return Image.fromarray(np.dstack([photo[..., :3], np.asarray(alpha)]), mode="RGBA")


def text_photo(
    lines: list[tuple[str, tuple[int, int], int]],
    *,
    size: tuple[int, int] = (256, 128),
    background: tuple[int, int, int] = (250, 248, 240),
    color: tuple[int, int, int] = (20, 20, 20),
    product: int = 0,
) -> Image.Image:
    """Text lines ``(text, (x, y), font_px)`` on a plain card; ``product`` px: a packshot in the lower right."""
    image = Image.new("RGB", size, background)
    if product:
        shot, _ = packshot(product, background=background)
        image.paste(shot, (size[0] - shot.width, size[1] - shot.height))
    draw = ImageDraw.Draw(image)
    fonts = FontBook()
    for text, position, font_px in lines:
        draw.text(position, text, fill=color, font=truetype(fonts.font_for(text), font_px))
    return image


def textured_product(
    size: int = 192,
    *,
    kind: str = "garment",
    color: tuple[int, int, int] = (178, 34, 52),
    background: tuple[int, int, int] = (246, 246, 244),
    logo: bool = True,
    seed: int = 0,
) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    """A product with shading, a woven texture and seams (``kind`` "garment": a T-shirt outline; "packshot":
    a box) in one dominant colour, optionally a white printed logo; returns (photo, product mask, logo mask)."""
    rng = np.random.default_rng(seed)
    outline = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(outline)
    s = size
    if kind == "garment":
        draw.polygon(
            [(0.3 * s, 0.12 * s), (0.42 * s, 0.1 * s), (0.5 * s, 0.16 * s), (0.58 * s, 0.1 * s), (0.7 * s, 0.12 * s),
             (0.9 * s, 0.3 * s), (0.8 * s, 0.4 * s), (0.72 * s, 0.33 * s), (0.72 * s, 0.9 * s), (0.28 * s, 0.9 * s),
             (0.28 * s, 0.33 * s), (0.2 * s, 0.4 * s), (0.1 * s, 0.3 * s)],
            fill=255,
        )  # fmt: skip
    else:
        draw.rounded_rectangle((0.22 * s, 0.15 * s, 0.78 * s, 0.88 * s), radius=int(0.04 * s), fill=255)
    mask = np.asarray(outline) > 0
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    # Soft folds and a key light from the upper left, then a fine weave and sensor noise.
    shading = 1.0 + 0.18 * np.sin(9.0 * x + 3.0 * y) * np.cos(5.0 * y) - 0.22 * (x + y - 0.8)
    weave = (
        0.06
        * np.sign(np.sin(np.pi * np.arange(size) / 2.0))[None, :]
        * np.sign(np.sin(np.pi * np.arange(size) / 2.0 + 0.7))[:, None]
    )
    seams = np.zeros((size, size), np.float32)
    seams[:, int(0.5 * s)] = -0.25
    seams[int(0.35 * s), :] = -0.2
    factor = (shading + weave + seams + rng.normal(0, 0.025, (size, size))).astype(np.float32)
    linear = (np.asarray(color, np.float32) / 255.0) ** 2.2
    lit = np.clip(linear[None, None, :] * factor[..., None], 0.0, 1.0) ** (1 / 2.2)
    rgb = np.empty((size, size, 3), np.uint8)
    rgb[...] = background
    rgb[mask] = np.clip(np.rint(lit * 255.0), 0, 255).astype(np.uint8)[mask]
    logo_mask = np.zeros((size, size), bool)
    if logo:
        logo_image = Image.new("L", (size, size), 0)
        logo_draw = ImageDraw.Draw(logo_image)
        logo_draw.ellipse((0.42 * s, 0.45 * s, 0.58 * s, 0.61 * s), outline=255, width=max(2, size // 48))
        logo_draw.rectangle((0.47 * s, 0.5 * s, 0.53 * s, 0.56 * s), fill=255)
        logo_mask = (np.asarray(logo_image) > 0) & mask
        rgb[logo_mask] = (238, 238, 236)
    return Image.fromarray(rgb, mode="RGB"), mask, logo_mask


def promo_packshot(
    size: tuple[int, int] = (360, 280),
    *,
    background: tuple[int, int, int] = (255, 255, 255),
    stickers: tuple[str, ...] = ("包邮", "限时特价", "¥99"),
    product_text: str = "",
    seed: int = 0,
) -> tuple[Image.Image, np.ndarray]:
    """A packshot with promotional overlays around it: a red price sticker, a corner ribbon badge with text,
    and a plain tag, all away from the product; ``product_text`` is printed on the product itself."""
    width, height = size
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, background)
    shot, shot_mask = packshot(min(width, height) // 2, background=background, seed=seed)
    ox, oy = (width - shot.width) // 2, (height - shot.height) // 2
    image.paste(shot, (ox, oy))
    mask = np.zeros((height, width), bool)
    mask[oy : oy + shot.height, ox : ox + shot.width] = shot_mask
    draw = ImageDraw.Draw(image)
    fonts = FontBook()
    font_px = max(14, height // 14)
    slots = [(int(0.04 * width), int(0.06 * height)), (int(0.7 * width), int(0.72 * height)),
             (int(0.04 * width), int(0.74 * height)), (int(0.7 * width), int(0.08 * height))]  # fmt: skip
    for text, (x, y) in zip(stickers, slots, strict=False):
        font = truetype(fonts.font_for(text), font_px)
        left, top, right, bottom = draw.textbbox((x, y), text, font=font)
        pad = font_px // 3
        fill = (int(rng.integers(180, 230)), 24, 36)
        draw.rounded_rectangle((left - pad, top - pad, right + pad, bottom + pad), radius=pad, fill=fill)
        draw.text((x, y), text, fill=(255, 255, 255), font=font)
    if product_text:
        font = truetype(fonts.font_for(product_text), max(10, height // 22))
        ys, xs = np.nonzero(mask)
        cx, cy = int(xs.mean()), int(ys.mean())
        draw.text((cx, cy), product_text, fill=(250, 250, 250), font=font, anchor="mm")
    return image, mask
