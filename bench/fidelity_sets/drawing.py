"""Drawing for the sets built outside :mod:`calibration`: OpenCV shapes at twice the size, text in one of
two typefaces (Pillow's bundled font for calibration, OpenCV's own fonts (its FONT_HERSHEY_* faces) for the held-out
split, so the two splits never share a glyph), and procedural prints and backdrops."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data as skimage_data

CANVAS = 512
BIG = 2 * CANVAS  # everything is drawn at twice the size and reduced, for anti-aliased edges

Colour = tuple[int, int, int]


def reduce(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (CANVAS, CANVAS), interpolation=cv2.INTER_AREA)


def reduce_mask(mask: np.ndarray) -> np.ndarray:
    return cv2.resize(mask.astype(np.uint8) * 255, (CANVAS, CANVAS), interpolation=cv2.INTER_AREA) >= 128


def colour(rng: np.random.Generator, low: int = 30, high: int = 220) -> Colour:
    hsv = np.uint8([[[rng.uniform(0, 180), rng.uniform(90, 230), rng.uniform(low + 30, high)]]])
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])


def darker(value: Colour, factor: float = 0.6) -> Colour:
    return tuple(int(c * factor) for c in value)


@cache
def _face_mosaic() -> np.ndarray:
    """Eight by eight of scikit-image's 25 px face crops (``lfw_subset``), tiled into one grey picture."""
    faces = skimage_data.lfw_subset()[:64]
    rows = [np.hstack(list(faces[row * 8 : row * 8 + 8])) for row in range(8)]
    return np.clip(np.rint(np.vstack(rows) * 255), 0, 255).astype(np.uint8)


def _disparity() -> np.ndarray:
    """The disparity map of scikit-image's stereo motorcycle pair, as a grey picture (unknown depth = far)."""
    disparity = skimage_data.stereo_motorcycle()[2].astype(np.float32)
    known = np.isfinite(disparity)
    low, high = float(disparity[known].min()), float(disparity[known].max())
    disparity[~known] = low
    return np.rint((disparity - low) / (high - low) * 255).astype(np.uint8)


# Pictures made from scikit-image data that is not a photograph of its own (the fourth held-out draw).
DERIVED_PHOTOS = {"face_mosaic": _face_mosaic, "motorcycle_disparity": _disparity}


def photo(name: str) -> np.ndarray:
    """A scikit-image photograph as RGB uint8 (grey ones tinted later by the caller if wanted)."""
    # binary_blobs draws new blobs on every call unless given a seed: fixed, so a split is reproducible.
    if name == "binary_blobs":
        image = skimage_data.binary_blobs(rng=20_261)
    elif name in DERIVED_PHOTOS:
        image = DERIVED_PHOTOS[name]()
    else:
        image = getattr(skimage_data, name)()
    if isinstance(image, tuple):
        image = image[0]
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    elif image.dtype.kind == "f":  # 0..1 floats (the phantom)
        image = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3]).astype(np.uint8)


def tinted(grey_name: str, dark: Colour, light: Colour) -> np.ndarray:
    """A grey photograph mapped onto a two-colour ramp: a colour print no calibration photo resembles."""
    grey = photo(grey_name)[:, :, 0].astype(np.float32)[:, :, None] / 255
    return (np.float32(dark) * (1 - grey) + np.float32(light) * grey).astype(np.uint8)


def noise_field(shape: tuple[int, int], rng: np.random.Generator, scale: float, colours: list[Colour]) -> np.ndarray:
    """Smooth random colour blobs (summed octaves of blurred noise) mapped through a few colours."""
    height, width = shape
    field = np.zeros((height, width), np.float32)
    for octave in range(3):
        sigma = scale / (2**octave)
        noise = rng.standard_normal((height, width)).astype(np.float32)
        field += cv2.GaussianBlur(noise, (0, 0), sigma) * sigma
    field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
    stops = np.linspace(0, 1, len(colours))
    palette = np.float32(colours)
    channels = [np.interp(field, stops, palette[:, c]) for c in range(3)]
    return np.stack(channels, axis=2).astype(np.uint8)


def crop_to(image: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A random crop of ``image`` with the aspect of ``size`` (w, h), resized to it."""
    height, width = image.shape[:2]
    aspect = size[0] / size[1]
    crop_h = int(rng.uniform(0.6, 0.95) * min(height, width / aspect))
    crop_w = max(1, int(crop_h * aspect))
    x0 = int(rng.integers(0, width - crop_w + 1))
    y0 = int(rng.integers(0, height - crop_h + 1))
    return cv2.resize(image[y0 : y0 + crop_h, x0 : x0 + crop_w], size, interpolation=cv2.INTER_AREA)


def paste(canvas: np.ndarray, patch: np.ndarray, x0: int, y0: int, where: np.ndarray | None = None) -> None:
    height, width = patch.shape[:2]
    region = canvas[y0 : y0 + height, x0 : x0 + width]
    if where is None:
        region[:] = patch
    else:
        region[where[y0 : y0 + height, x0 : x0 + width]] = patch[where[y0 : y0 + height, x0 : x0 + width]]


# --- typefaces -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Typeface:
    """Draws text so that each character takes the slot the ``layout`` string gives it: a substituted
    character lands where the old one was and nothing else moves."""

    name: str  # "pil" or "hershey-<face>"

    def width(self, text: str, height: int) -> float:
        if self.name == "pil":
            return _pil_font(height).getlength(text)
        scale, thickness = self._hershey(height)
        return float(cv2.getTextSize(text, self._face, scale, thickness)[0][0])

    def draw(
        self, canvas: np.ndarray, text: str, layout: str, centre: tuple[float, float], height: int, ink: Colour
    ) -> None:
        left = centre[0] - self.width(layout, height) / 2
        if self.name == "pil":
            image = Image.fromarray(canvas)
            draw = ImageDraw.Draw(image)
            font = _pil_font(height)
            for index, character in enumerate(text):
                x = left + font.getlength(layout[:index])
                draw.text((x, centre[1]), character, font=font, fill=ink, anchor="lm")
            canvas[:] = np.asarray(image)
            return
        scale, thickness = self._hershey(height)
        baseline = round(centre[1] + height / 2)
        for index, character in enumerate(text):
            x = round(left + self.width(layout[:index], height)) if index else round(left)
            cv2.putText(canvas, character, (x, baseline), self._face, scale, ink, thickness, cv2.LINE_AA)

    @property
    def _face(self) -> int:
        return {
            "hershey-simplex": cv2.FONT_HERSHEY_SIMPLEX,
            "hershey-duplex": cv2.FONT_HERSHEY_DUPLEX,
            "hershey-triplex": cv2.FONT_HERSHEY_TRIPLEX,
            "hershey-complex": cv2.FONT_HERSHEY_COMPLEX,
        }[self.name]

    def _hershey(self, height: int) -> tuple[float, int]:
        # OpenCV's capitals are about 22 units high at scale 1: ``height`` is the cap height in pixels.
        scale = height / 22.0
        return scale, max(1, round(scale * (2.2 if self.name == "hershey-simplex" else 1.8)))

    def fitted(self, text: str, height: int, max_width: float) -> int:
        while height > 10 and self.width(text, height) > max_width:
            height -= 2
        return height


@cache
def _pil_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def emblem(
    canvas: np.ndarray, centre: tuple[float, float], radius: float, ink: Colour, accent: Colour, shape: str
) -> None:
    """A logo: a disc with a ring and a figure (``shape``: "star", "bolt", "leaf", "cross")."""
    x, y = centre
    cv2.circle(canvas, (round(x), round(y)), round(radius), ink, -1, cv2.LINE_AA)
    cv2.circle(canvas, (round(x), round(y)), round(radius * 0.8), accent, max(2, round(radius * 0.08)), cv2.LINE_AA)
    r = radius * 0.6
    if shape == "star":
        points = [
            (
                x + r * (0.45 if k % 2 else 1) * np.sin(k * np.pi / 5),
                y - r * (0.45 if k % 2 else 1) * np.cos(k * np.pi / 5),
            )
            for k in range(10)
        ]
    elif shape == "bolt":
        points = [
            (x - 0.2 * r, y - r),
            (x + 0.5 * r, y - r),
            (x, y - 0.1 * r),
            (x + 0.4 * r, y - 0.1 * r),
            (x - 0.4 * r, y + r),
            (x - 0.05 * r, y + 0.1 * r),
            (x - 0.5 * r, y + 0.1 * r),
        ]
    elif shape == "leaf":
        points = [
            (x + r * np.cos(t) * 0.55, y + r * np.sin(t))
            for t in np.linspace(0, 2 * np.pi, 24)
        ]
        points = [(px + 0.3 * (py - y), py) for px, py in points]
    else:
        w = 0.3 * r
        points = [
            (x - w, y - r),
            (x + w, y - r),
            (x + w, y - w),
            (x + r, y - w),
            (x + r, y + w),
            (x + w, y + w),
            (x + w, y + r),
            (x - w, y + r),
            (x - w, y + w),
            (x - r, y + w),
            (x - r, y - w),
            (x - w, y - w),
        ]
    cv2.fillPoly(canvas, [np.round(np.float32(points)).astype(np.int32)], accent, cv2.LINE_AA)


def pattern(size: tuple[int, int], kind: str, colours: list[Colour], period: int, phase: float = 0.0) -> np.ndarray:
    """A fabric or print pattern: "diagonal", "zigzag", "grid", "rings" (none of them in calibration)."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "diagonal":
        on = ((xs + ys + phase * period) % period) < period / 2
    elif kind == "zigzag":
        on = ((ys + (period / 2) * np.abs(((xs / period) % 2) - 1) + phase * period) % period) < period / 3
    elif kind == "grid":
        on = (((xs + phase * period) % period) < period / 5) | ((ys % period) < period / 5)
    elif kind == "rings":
        on = ((np.hypot(xs - width / 2, ys - height / 2) + phase * period) % period) < period / 2
    else:
        raise ValueError(f"unknown pattern {kind!r}")
    out = np.empty((height, width, 3), np.uint8)
    out[:] = colours[0]
    out[on] = colours[1]
    return cv2.GaussianBlur(out, (0, 0), 0.6)
