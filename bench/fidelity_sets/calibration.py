"""The calibration split of the "background" set: the one the thresholds may be tuned on.

Built by code from real photographs and packshots drawn with PIL (its bundled font), with brand strings,
photographs, seeds and parameter ranges that the held-out split (:mod:`heldout`) does not use.

Products: photographs that ship inside scikit-image (astronaut, coffee, chelsea, rocket, ...) with the
product marked by a mask, some wearing a printed tag or a logo stamp, and packshots drawn with PIL on
white (bottles, boxes, shirts, mugs, tote bags, cans, framed prints) with brand text, logos, stripes,
checks, dots and photo prints, and plain products (a tube, a pebble: one shaded colour, no print, so
nothing but the outline anchors the alignment). Each product gets

* product-preserving edits (label 0): background replaced with a feathered paste-back edge, shifts up to
  8 px, small scale changes, JPEG quality 75-95, resize round trips, and a mix of them;
* product-altering edits (label 1), each on top of a replaced background and a mild nuisance (shift,
  JPEG, small rescale): colour drift of CIEDE2000 >= 3, one letter changed, logo removed, pattern
  blurred, local warp of the outline, the outline pushed outwards, object added on the product, texture
  replaced, part cut off, a digit changed in small print (bottles).

Everything is deterministic for a seed. ``build_pairs`` yields the pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data as skimage_data

from bench.fidelity_sets.common import Pair, frame_cut, jpeg, outline_pushed, shift
from vitrine.fidelity.colour import delta_e_ciede2000, rgb_to_lab

CANVAS = 512
SUPERSAMPLE = 2  # packshots are drawn at twice the size and reduced, for anti-aliased edges
BRANDS = ("ACME", "NOVA", "KITE", "ZEST", "ORBIT", "LUMEN", "MAPLE", "VERTEX", "Hydra", "Pixel")
SUBLINES = ("Cola 500 ml", "Organic Tea", "Since 1987", "Pure Cotton", "Extra Fresh", "Size M", "Lot 42B")
# Letter swaps a generator plausibly makes: similar shape, different word.
CONFUSABLE = {
    "A": "R",
    "B": "E",
    "C": "G",
    "D": "O",
    "E": "F",
    "F": "E",
    "G": "C",
    "H": "N",
    "I": "L",
    "K": "X",
    "L": "I",
    "M": "N",
    "N": "M",
    "O": "Q",
    "P": "R",
    "R": "P",
    "S": "B",
    "T": "I",
    "U": "V",
    "V": "U",
    "X": "K",
    "Y": "V",
    "Z": "E",
    "a": "o",
    "c": "e",
    "d": "b",
    "e": "c",
    "g": "q",
    "h": "n",
    "i": "l",
    "l": "i",
    "m": "n",
    "n": "h",
    "o": "a",
    "r": "n",
    "s": "z",
    "t": "f",
    "u": "v",
    "x": "k",
    "y": "v",
    "1": "7",
    "2": "Z",
    "4": "A",
    "5": "S",
    "7": "1",
    "8": "B",
    "0": "O",
    "9": "g",
}

Draw = Callable[[tuple[str, ...], bool], np.ndarray]


@dataclass(frozen=True, eq=False)
class Product:
    """A product photo. ``draw(texts, with_logo)`` re-renders it with other text or without its logo; all
    other pixels stay identical, so a changed letter or a removed logo is the only difference."""

    name: str
    family: str  # "photo", "packshot" or "plain"
    texts: tuple[str, ...]
    has_logo: bool
    mask: np.ndarray  # bool: the product
    pattern: np.ndarray  # bool: its patterned or printed area
    draw: Draw
    small_print: int | None = None  # index in ``texts`` of a line printed a few pixels high
    image: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "image", self.draw(self.texts, self.has_logo))


# --- drawing helpers --------------------------------------------------------------------------------------


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    # Pillow's bundled font: the benchmark renders the same everywhere, with no system fonts installed.
    return ImageFont.load_default(size=size)


def _reduce(image: Image.Image) -> np.ndarray:
    return np.asarray(image.resize((CANVAS, CANVAS), Image.Resampling.BOX), dtype=np.uint8).copy()


def _reduce_mask(mask: Image.Image) -> np.ndarray:
    return _reduce(mask) >= 128


def _centred_text(
    draw: ImageDraw.ImageDraw, centre: tuple[float, float], text: str, layout: str, size: int, fill
) -> None:
    """Draw ``text`` character by character at the places ``layout`` (the product's own text, same length)
    puts its characters: a substituted letter takes the old letter's slot and nothing else moves."""
    font = _font(size)
    x = centre[0] - font.getlength(layout) / 2
    for index, character in enumerate(text):
        draw.text((x + font.getlength(layout[:index]), centre[1]), character, font=font, fill=fill, anchor="lm")


def _fitted_size(text: str, size: int, max_width: float) -> int:
    """The largest font size up to ``size`` at which ``text`` fits ``max_width``. Sized on the product's own
    text, so a changed letter is drawn at the same size."""
    while size > 10 and _font(size).getlength(text) > max_width:
        size -= 2
    return size


def _logo(draw: ImageDraw.ImageDraw, centre: tuple[float, float], radius: float, colour, accent) -> None:
    """A round emblem: ring, disc and a five-pointed star."""
    x, y = centre
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    inner = radius * 0.78
    draw.ellipse((x - inner, y - inner, x + inner, y + inner), outline=accent, width=max(2, int(radius * 0.1)))
    star = []
    for k in range(10):
        r = inner * (0.7 if k % 2 == 0 else 0.3)
        angle = np.pi / 2 + k * np.pi / 5
        star.append((x + r * np.cos(angle), y - r * np.sin(angle)))
    draw.polygon(star, fill=accent)


def _random_colour(rng: np.random.Generator, low: int = 30, high: int = 220) -> tuple[int, int, int]:
    hue = rng.uniform(0, 180)
    hsv = np.uint8([[[hue, rng.uniform(120, 230), rng.uniform(low + 40, high)]]])
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])


def _darker(colour, factor: float = 0.6) -> tuple[int, int, int]:
    return tuple(int(c * factor) for c in colour)


def _photo(name: str) -> np.ndarray:
    image = getattr(skimage_data, name)()
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3])
    scale = CANVAS / max(image.shape[:2])
    if scale < 1:
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image


def _photo_crop(name: str, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """A random crop of a photograph, resized to ``size`` (w, h): the print on a box, bag or poster."""
    photo = _photo(name)
    height, width = photo.shape[:2]
    aspect = size[0] / size[1]
    crop_h = int(rng.uniform(0.55, 0.9) * min(height, width / aspect))
    crop_w = int(crop_h * aspect)
    x0 = int(rng.integers(0, width - crop_w + 1))
    y0 = int(rng.integers(0, height - crop_h + 1))
    return Image.fromarray(photo[y0 : y0 + crop_h, x0 : x0 + crop_w]).resize(size, Image.Resampling.LANCZOS)


def _fill_pattern(size: tuple[int, int], kind: str, colours: Sequence, period: int) -> Image.Image:
    width, height = size
    tile = Image.new("RGB", size, colours[0])
    draw = ImageDraw.Draw(tile)
    if kind == "stripes":
        for y in range(0, height, period):
            draw.rectangle((0, y, width, y + period // 2 - 1), fill=colours[1])
    elif kind == "checks":
        for x in range(0, width, period):
            draw.rectangle((x, 0, x + period // 2 - 1, height), fill=colours[1])
        overlay = Image.new("RGB", size, colours[0])
        overlay_draw = ImageDraw.Draw(overlay)
        for y in range(0, height, period):
            overlay_draw.rectangle((0, y, width, y + period // 2 - 1), fill=colours[2])
        tile = Image.blend(tile, overlay, 0.5)
    elif kind == "dots":
        for row, y in enumerate(range(period // 2, height, period)):
            offset = period // 2 if row % 2 else 0
            for x in range(offset, width + period, period):
                r = period // 4
                draw.ellipse((x - r, y - r, x + r, y + r), fill=colours[1])
    elif kind == "waves":
        for y in range(0, height + period, period):
            points = [(x, y + period * 0.25 * np.sin(x / period * 2)) for x in range(0, width + 8, 8)]
            draw.line(points, fill=colours[1], width=max(2, period // 4))
    else:
        raise ValueError(f"unknown pattern {kind!r}")
    return tile


# --- packshots (drawn at 2x on white) --------------------------------------------------------------------


def _packshot(
    name: str,
    texts: tuple[str, ...],
    has_logo: bool,
    body: Callable[[Image.Image, ImageDraw.ImageDraw, Image.Image, ImageDraw.ImageDraw, Image.Image], None],
    marks: Callable[[ImageDraw.ImageDraw, tuple[str, ...], bool], None],
    small_print: int | None = None,
) -> Product:
    """``body`` paints the product (and its mask and pattern area); ``marks`` adds text and logo."""
    big = CANVAS * SUPERSAMPLE
    base = Image.new("RGB", (big, big), (255, 255, 255))
    mask = Image.new("L", (big, big), 0)
    pattern = Image.new("L", (big, big), 0)
    body(base, ImageDraw.Draw(base), mask, ImageDraw.Draw(mask), pattern)

    def draw(current_texts: tuple[str, ...], with_logo: bool) -> np.ndarray:
        image = base.copy()
        marks(ImageDraw.Draw(image), current_texts, with_logo)
        return _reduce(image)

    return Product(name, "packshot", texts, has_logo, _reduce_mask(mask), _reduce_mask(pattern), draw, small_print)


def _bottle(rng: np.random.Generator, index: int) -> Product:
    colour, cap = _random_colour(rng), _random_colour(rng)
    label, ink = (250, 246, 235), _random_colour(rng, 20, 120)
    width, height = int(rng.uniform(300, 380)), int(rng.uniform(560, 640))
    cx, bottom = 512 + int(rng.integers(-60, 60)), 930
    top = bottom - height
    texts = (BRANDS[index % len(BRANDS)], SUBLINES[index % len(SUBLINES)], f"Net {100 + 50 * index} g")
    label_box = (cx - width // 2, top + height * 0.35, cx + width // 2, top + height * 0.75)

    def body(image, draw, mask, mask_draw, pattern) -> None:
        for target, fill in ((draw, colour), (mask_draw, 255)):
            target.rounded_rectangle((cx - width // 2, top, cx + width // 2, bottom), radius=60, fill=fill)
            target.rectangle((cx - 55, top - 150, cx + 55, top + 10), fill=fill)
            target.rounded_rectangle(
                (cx - 70, top - 220, cx + 70, top - 140), radius=14, fill=cap if target is draw else 255
            )
        draw.rectangle(label_box, fill=label)
        for k in range(3):
            y = label_box[1] + 14 + 10 * k
            draw.rectangle((label_box[0], y, label_box[2], y + 4), fill=ink)
        ImageDraw.Draw(pattern).rectangle(label_box, fill=255)

    def marks(draw, current, with_logo) -> None:
        _centred_text(draw, (cx, label_box[1] + 0.5 * (label_box[3] - label_box[1])), current[0], texts[0], 92, ink)
        _centred_text(draw, (cx, label_box[3] - 36), current[1], texts[1], 40, _darker(ink))
        # small print under the label, 11 px high at 512 px
        _centred_text(draw, (cx, label_box[3] + 40), current[2], texts[2], 24, (30, 30, 30))
        if with_logo:
            _logo(draw, (cx, top + height * 0.2), 52, ink, label)

    return _packshot(f"bottle-{index}", texts, True, body, marks, small_print=2)


def _box(rng: np.random.Generator, index: int, photo: str) -> Product:
    colour, ink = _random_colour(rng), (255, 255, 255)
    x0, y0 = 250 + int(rng.integers(-40, 40)), 200
    x1, y1 = x0 + int(rng.uniform(440, 520)), 880
    depth = 70
    texts = (BRANDS[(index + 3) % len(BRANDS)],)
    print_box = (x0 + 40, y0 + 40, x1 - 40, y0 + 40 + int(0.5 * (y1 - y0)))
    print_image = _photo_crop(photo, (print_box[2] - print_box[0], print_box[3] - print_box[1]), rng)

    def body(image, draw, mask, mask_draw, pattern) -> None:
        side = [(x1, y0), (x1 + depth, y0 - depth), (x1 + depth, y1 - depth), (x1, y1)]
        lid = [(x0, y0), (x0 + depth, y0 - depth), (x1 + depth, y0 - depth), (x1, y0)]
        for target, fills in (
            (draw, (colour, _darker(colour), _darker(colour, 0.8))),
            (mask_draw, (255,) * 3),
        ):
            target.rectangle((x0, y0, x1, y1), fill=fills[0])
            target.polygon(side, fill=fills[1])
            target.polygon(lid, fill=fills[2])
        image.paste(print_image, print_box[:2])
        ImageDraw.Draw(pattern).rectangle(print_box, fill=255)

    def marks(draw, current, with_logo) -> None:
        _centred_text(draw, ((x0 + x1) / 2, print_box[3] + 90), current[0], texts[0], 110, ink)
        if with_logo:
            _logo(draw, (x1 - 90, y1 - 80), 46, ink, colour)

    return _packshot(f"box-{photo}-{index}", texts, True, body, marks)


def _shirt(rng: np.random.Generator, index: int, kind: str) -> Product:
    colours = [_random_colour(rng, 120, 240), _random_colour(rng, 20, 140), _random_colour(rng, 60, 200)]
    cx = 512 + int(rng.integers(-40, 40))
    outline = [
        (cx - 120, 170),
        (cx - 60, 150),
        (cx + 60, 150),
        (cx + 120, 170),
        (cx + 330, 300),
        (cx + 270, 420),
        (cx + 190, 370),
        (cx + 190, 880),
        (cx - 190, 880),
        (cx - 190, 370),
        (cx - 270, 420),
        (cx - 330, 300),
    ]
    neck = (cx - 70, 110, cx + 70, 215)
    texts = (BRANDS[(index + 5) % len(BRANDS)],)
    period = int(rng.integers(36, 72))
    fabric = _fill_pattern((1024, 1024), kind, colours, period)
    print_box = (cx - 180, 400, cx + 180, 520)

    def body(image, draw, mask, mask_draw, pattern) -> None:
        shape = Image.new("L", image.size, 0)
        shape_draw = ImageDraw.Draw(shape)
        shape_draw.polygon(outline, fill=255)
        shape_draw.ellipse(neck, fill=0)
        image.paste(fabric, (0, 0), shape)
        mask.paste(shape)
        pattern.paste(shape)
        draw.arc(neck, 0, 180, fill=_darker(colours[1]), width=12)
        draw.rounded_rectangle(print_box, radius=20, fill=(245, 245, 245))

    def marks(draw, current, with_logo) -> None:
        middle = (print_box[1] + print_box[3]) / 2
        size = _fitted_size(texts[0], 76, 2 * (print_box[2] - cx - 50))
        _centred_text(draw, (cx + 40, middle), current[0], texts[0], size, colours[1])
        if with_logo:
            _logo(draw, (print_box[0] + 60, middle), 38, colours[1], (245, 245, 245))

    return _packshot(f"shirt-{kind}-{index}", texts, True, body, marks)


def _mug(rng: np.random.Generator, index: int) -> Product:
    colours = [_random_colour(rng, 140, 240), _random_colour(rng, 20, 120)]
    x0, y0, x1, y1 = 260, 300, 700, 820
    texts = (BRANDS[(index + 1) % len(BRANDS)], SUBLINES[(index + 2) % len(SUBLINES)])
    band = (x0, y0 + 60, x1, y0 + 200)

    def body(image, draw, mask, mask_draw, pattern) -> None:
        for target, fill in ((draw, colours[0]), (mask_draw, 255)):
            target.ellipse((x1 - 60, y0 + 110, x1 + 150, y0 + 380), outline=fill, width=48)
            target.rounded_rectangle((x0, y0, x1, y1), radius=50, fill=fill)
        dots = _fill_pattern((x1 - x0, band[3] - band[1]), "dots", colours, 48)
        image.paste(dots, band[:2])
        ImageDraw.Draw(pattern).rectangle(band, fill=255)

    def marks(draw, current, with_logo) -> None:
        _centred_text(draw, ((x0 + x1) / 2, y0 + 330), current[0], texts[0], 96, colours[1])
        _centred_text(draw, ((x0 + x1) / 2, y0 + 430), current[1], texts[1], 44, colours[1])
        if with_logo:
            _logo(draw, ((x0 + x1) / 2, y1 - 90), 44, colours[1], colours[0])

    return _packshot(f"mug-{index}", texts, True, body, marks)


def _tote(rng: np.random.Generator, index: int, photo: str) -> Product:
    colour, ink = (226, 214, 190), _random_colour(rng, 20, 110)
    x0, y0, x1, y1 = 230, 340, 790, 920
    texts = (BRANDS[(index + 7) % len(BRANDS)],)
    print_box = (x0 + 90, y0 + 70, x1 - 90, y0 + 390)
    print_image = _photo_crop(photo, (print_box[2] - print_box[0], print_box[3] - print_box[1]), rng)

    def body(image, draw, mask, mask_draw, pattern) -> None:
        for target, fill in ((draw, _darker(colour, 0.8)), (mask_draw, 255)):
            target.arc((x0 + 80, 120, x0 + 260, 520), 180, 360, fill=fill, width=26)
            target.arc((x1 - 260, 120, x1 - 80, 520), 180, 360, fill=fill, width=26)
        draw.rectangle((x0, y0, x1, y1), fill=colour)
        mask_draw.rectangle((x0, y0, x1, y1), fill=255)
        image.paste(print_image, print_box[:2])
        ImageDraw.Draw(pattern).rectangle(print_box, fill=255)

    def marks(draw, current, with_logo) -> None:
        _centred_text(draw, ((x0 + x1) / 2, print_box[3] + 75), current[0], texts[0], 84, ink)
        if with_logo:
            _logo(draw, (x1 - 70, y1 - 70), 36, ink, colour)

    return _packshot(f"tote-{photo}-{index}", texts, True, body, marks)


def _can(rng: np.random.Generator, index: int) -> Product:
    colours = [_random_colour(rng, 60, 200), _random_colour(rng, 140, 240)]
    x0, x1, y0, y1 = 330, 690, 180, 880
    texts = (BRANDS[(index + 2) % len(BRANDS)],)
    waves = _fill_pattern((x1 - x0, 220), "waves", colours, 44)

    def body(image, draw, mask, mask_draw, pattern) -> None:
        # metallic shading: brighter in the middle of the cylinder
        shade = (0.55 + 0.45 * np.sin(np.linspace(0.15, np.pi - 0.15, x1 - x0)))[None, :, None]
        metal = (np.array(colours[0], np.float32)[None, None, :] * shade).repeat(y1 - y0, axis=0)
        image.paste(Image.fromarray(metal.clip(0, 255).astype(np.uint8)), (x0, y0))
        draw.ellipse((x0, y0 - 40, x1, y0 + 40), fill=(200, 200, 205))
        draw.ellipse((x0, y1 - 40, x1, y1 + 40), fill=_darker(colours[0]))
        image.paste(waves, (x0, y1 - 300))
        mask_draw.rectangle((x0, y0, x1, y1), fill=255)
        mask_draw.ellipse((x0, y0 - 40, x1, y0 + 40), fill=255)
        mask_draw.ellipse((x0, y1 - 40, x1, y1 + 40), fill=255)
        ImageDraw.Draw(pattern).rectangle((x0, y1 - 300, x1, y1 - 80), fill=255)

    def marks(draw, current, with_logo) -> None:
        size = _fitted_size(texts[0], 100, 0.85 * (x1 - x0))
        _centred_text(draw, ((x0 + x1) / 2, y0 + 250), current[0], texts[0], size, colours[1])
        if with_logo:
            _logo(draw, ((x0 + x1) / 2, y0 + 120), 42, colours[1], colours[0])

    return _packshot(f"can-{index}", texts, True, body, marks)


def _framed_print(rng: np.random.Generator, index: int, photo: str) -> Product:
    wood, ink = (120, 80, 45), (40, 40, 40)
    x0, y0, x1, y1 = 200, 180, 824, 860
    texts = (SUBLINES[(index + 4) % len(SUBLINES)],)
    print_box = (x0 + 70, y0 + 70, x1 - 70, y1 - 150)
    print_image = _photo_crop(photo, (print_box[2] - print_box[0], print_box[3] - print_box[1]), rng)

    def body(image, draw, mask, mask_draw, pattern) -> None:
        draw.rectangle((x0, y0, x1, y1), fill=wood)
        draw.rectangle((x0 + 30, y0 + 30, x1 - 30, y1 - 30), fill=(245, 243, 236))
        image.paste(print_image, print_box[:2])
        mask_draw.rectangle((x0, y0, x1, y1), fill=255)
        ImageDraw.Draw(pattern).rectangle(print_box, fill=255)

    def marks(draw, current, with_logo) -> None:
        _centred_text(draw, ((x0 + x1) / 2, y1 - 90), current[0], texts[0], 52, ink)
        if with_logo:
            _logo(draw, (x1 - 110, y1 - 90), 30, ink, (245, 243, 236))

    return _packshot(f"print-{photo}-{index}", texts, True, body, marks)


# --- photographs --------------------------------------------------------------------------------------------

# name -> (product outline in fractions of the frame: ("ellipse", cx, cy, rx, ry) or ("polygon", points),
#          tag centre or None, logo centre or None)
PHOTO_PRODUCTS: dict[str, tuple[tuple, tuple[float, float] | None, tuple[float, float] | None]] = {
    "astronaut": (
        (
            "polygon",
            ((0.02, 1.0), (0.04, 0.62), (0.2, 0.47), (0.5, 0.5), (0.64, 0.56), (0.72, 0.78), (0.72, 1.0)),
        ),
        (0.38, 0.86),
        None,
    ),
    "coffee": (("ellipse", 0.46, 0.56, 0.36, 0.43), None, (0.42, 0.8)),
    "chelsea": (("ellipse", 0.55, 0.52, 0.36, 0.5), (0.5, 0.88), None),
    "rocket": (("polygon", ((0.45, 0.3), (0.55, 0.3), (0.56, 0.93), (0.44, 0.93))), None, None),
    "immunohistochemistry": (("ellipse", 0.52, 0.55, 0.4, 0.36), (0.5, 0.75), (0.3, 0.45)),
    "retina": (("ellipse", 0.5, 0.5, 0.46, 0.46), None, (0.7, 0.3)),
    "colorwheel": (("ellipse", 0.5, 0.5, 0.47, 0.47), (0.5, 0.62), None),
    "logo": (("ellipse", 0.5, 0.5, 0.47, 0.47), None, None),
    "hubble_deep_field": (
        ("polygon", ((0.15, 0.15), (0.85, 0.15), (0.85, 0.85), (0.15, 0.85))),
        (0.5, 0.76),
        (0.25, 0.25),
    ),
}


def _photo_product(name: str, index: int) -> Product:
    photo = _photo(name)
    height, width = photo.shape[:2]
    outline, tag_at, logo_at = PHOTO_PRODUCTS[name]
    mask_image = Image.new("L", (width, height), 0)
    mask_draw = ImageDraw.Draw(mask_image)
    if outline[0] == "ellipse":
        _, cx, cy, rx, ry = outline
        mask_draw.ellipse(((cx - rx) * width, (cy - ry) * height, (cx + rx) * width, (cy + ry) * height), fill=255)
    else:
        mask_draw.polygon([(x * width, y * height) for x, y in outline[1]], fill=255)
    mask = np.asarray(mask_image) >= 128
    texts = (BRANDS[(index + 4) % len(BRANDS)],) if tag_at else ()
    short = min(width, height)

    def draw(current: tuple[str, ...], with_logo: bool) -> np.ndarray:
        image = Image.fromarray(photo)
        canvas = ImageDraw.Draw(image)
        if tag_at:
            size = max(14, int(0.07 * short))
            x, y = tag_at[0] * width, tag_at[1] * height
            left, top, right, bottom = canvas.textbbox((x, y), texts[0], font=_font(size), anchor="mm")
            pad = size // 3
            canvas.rounded_rectangle(
                (left - pad, top - pad, right + pad, bottom + pad), radius=pad, fill=(248, 248, 240)
            )
            _centred_text(canvas, (x, y), current[0], texts[0], size, (25, 25, 60))
        if with_logo and logo_at:
            _logo(
                canvas,
                (logo_at[0] * width, logo_at[1] * height),
                0.06 * short,
                (20, 60, 140),
                (250, 250, 250),
            )
        return np.asarray(image, dtype=np.uint8).copy()

    return Product(f"photo-{name}", "photo", texts, logo_at is not None, mask, mask.copy(), draw)


# --- the product list -------------------------------------------------------------------------------------


def products(seed: int = 7) -> list[Product]:
    """Nine photographs and thirteen packshots, interleaved, then three plain products, in a fixed order
    (reduced runs take a slice)."""
    rng = np.random.default_rng(seed)
    made = [_photo_product(name, i) for i, name in enumerate(PHOTO_PRODUCTS)]
    made += [
        _bottle(rng, 0),
        _box(rng, 1, "coffee"),
        _shirt(rng, 2, "stripes"),
        _mug(rng, 3),
        _tote(rng, 4, "chelsea"),
        _can(rng, 5),
        _framed_print(rng, 6, "hubble_deep_field"),
        _shirt(rng, 7, "checks"),
        _bottle(rng, 8),
        _box(rng, 9, "rocket"),
        _shirt(rng, 10, "dots"),
        _tote(rng, 11, "astronaut"),
        _framed_print(rng, 12, "immunohistochemistry"),
    ]
    # interleave families so a prefix of the list is a fair sample of both
    photos = [p for p in made if p.family == "photo"]
    packshots = [p for p in made if p.family == "packshot"]
    interleaved: list[Product] = []
    for i in range(max(len(photos), len(packshots))):
        interleaved += [*packshots[i : i + 1], *photos[i : i + 1]]
    # Plain products last (their own draw, so the others stay as they were): no print, no keypoints.
    plain_rng = np.random.default_rng(seed + 1000)
    made = interleaved + [_plain(plain_rng, 13 + i, shape) for i, shape in enumerate(("tube", "pebble", "tube"))]
    # Cases added for known weaknesses, each from its own draw so that everything above stays as it was:
    # more plain products (only the outline aligns them under a shift, a zoom or JPEG) and photographs of
    # flat shapes with soft edges (few, unstable keypoints).
    weak_rng = np.random.default_rng(seed + 2000)
    made += [_plain(weak_rng, 16 + i, shape) for i, shape in enumerate(("pebble", "tube", "pebble"))]
    made += [_flat_photo(weak_rng, 19 + i) for i in range(2)]
    return made


def _plain(rng: np.random.Generator, index: int, shape: str) -> Product:
    """A plain product (a tube, a pebble): one colour, shaded towards its edge, nothing printed on it, so
    neither keypoints nor text can anchor the alignment; only the outline can."""
    colour = np.float32(_random_colour(rng, 60, 200))
    cx, cy = 480 + int(rng.integers(-60, 60)), 512 + int(rng.integers(-40, 40))
    half_w, half_h = int(rng.uniform(90, 130)), int(rng.uniform(300, 360))

    def body(image, draw, mask, mask_draw, pattern) -> None:
        steps = 24
        for k in range(steps):  # concentric shapes, darker outside: a soft shade
            inset = k * 3
            box = (cx - half_w + inset, cy - half_h + inset, cx + half_w - inset, cy + half_h - inset)
            if box[2] <= box[0] or box[3] <= box[1]:
                break
            shade = tuple(int(v) for v in colour * (0.8 + 0.2 * k / steps))
            if shape == "tube":
                draw.rounded_rectangle(box, radius=max(1, 40 - inset), fill=shade)
            else:
                draw.ellipse(box, fill=shade)
        outline = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        if shape == "tube":
            mask_draw.rounded_rectangle(outline, radius=40, fill=255)
        else:
            mask_draw.ellipse(outline, fill=255)

    product = _packshot(f"plain-{shape}-{index}", (), False, body, lambda draw, current, with_logo: None)
    return Product(product.name, "plain", (), False, product.mask, product.pattern, product.draw)


def _flat_photo(rng: np.random.Generator, index: int) -> Product:
    """A photograph of flat shapes with soft edges (a scan, a diagram, a plain object lit evenly): large
    areas of one tone, little texture, so keypoints are few and sit on a handful of edges."""
    base = Image.new("RGB", (CANVAS, CANVAS), _random_colour(rng, 20, 80))
    canvas = ImageDraw.Draw(base)
    for _ in range(int(rng.integers(6, 10))):
        cx, cy = rng.uniform(0.2, 0.8, 2) * CANVAS
        rx, ry = rng.uniform(0.05, 0.3, 2) * CANVAS
        canvas.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=_random_colour(rng, 40, 230))
    photo = cv2.GaussianBlur(np.asarray(base), (0, 0), float(rng.uniform(1.0, 2.5)))
    mask_image = Image.new("L", (CANVAS, CANVAS), 0)
    rx, ry = rng.uniform(0.36, 0.46, 2)
    ImageDraw.Draw(mask_image).ellipse(((0.5 - rx) * CANVAS, (0.5 - ry) * CANVAS, (0.5 + rx) * CANVAS,
                                        (0.5 + ry) * CANVAS), fill=255)
    mask = np.asarray(mask_image) >= 128
    texts = (BRANDS[index % len(BRANDS)],)
    size = 20

    def draw(current: tuple[str, ...], with_logo: bool) -> np.ndarray:
        image = Image.fromarray(photo)
        canvas = ImageDraw.Draw(image)
        x, y = 0.5 * CANVAS, 0.7 * CANVAS
        left, top, right, bottom = canvas.textbbox((x, y), texts[0], font=_font(size), anchor="mm")
        canvas.rectangle((left - 6, top - 6, right + 6, bottom + 6), fill=(245, 245, 235))
        _centred_text(canvas, (x, y), current[0], texts[0], size, (20, 20, 70))
        if with_logo:
            _logo(canvas, (0.32 * CANVAS, 0.4 * CANVAS), 0.05 * CANVAS, (150, 30, 30), (250, 250, 250))
        return np.asarray(image, dtype=np.uint8).copy()

    return Product(f"photo-flat-{index}", "photo", texts, True, mask, mask.copy(), draw)


# --- edits --------------------------------------------------------------------------------------------------


def _backdrop(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    height, width = shape[:2]
    kind = rng.choice(["solid", "gradient", "texture", "photo"])
    if kind == "solid":
        return np.full((height, width, 3), _random_colour(rng, 60, 250), np.uint8)
    if kind == "gradient":
        top, bottom = np.float32(_random_colour(rng)), np.float32(_random_colour(rng))
        ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        return np.broadcast_to(top * (1 - ramp) + bottom * ramp, (height, width, 3)).astype(np.uint8)
    if kind == "texture":
        grey = _photo(str(rng.choice(["brick", "grass", "gravel"])))
        tint = np.float32(_random_colour(rng, 120, 250)) / 255
        return (cv2.resize(grey, (width, height)).astype(np.float32) * tint).astype(np.uint8)
    photo = _photo(str(rng.choice(["rocket", "hubble_deep_field", "coffee", "astronaut", "chelsea"])))
    return cv2.GaussianBlur(cv2.resize(photo, (width, height)), (0, 0), float(rng.uniform(1.5, 6)))


def _feathered_alpha(mask: np.ndarray, feather: float) -> np.ndarray:
    """1 on the product, falling to 0 over ``feather`` pixels outside it (paste-back feathers outwards)."""
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    return np.clip(1 - outside / max(feather, 1e-6), 0, 1).astype(np.float32)


def replace_background(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    alpha = _feathered_alpha(mask, float(rng.uniform(1.5, 6)))[:, :, None]
    backdrop = _backdrop(image.shape, rng).astype(np.float32)
    return (image.astype(np.float32) * alpha + backdrop * (1 - alpha) + 0.5).astype(np.uint8)


def rescale(image: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Zoom by ``factor`` about a point near the centre; half the time the output size changes as well."""
    height, width = image.shape[:2]
    cx, cy = width * rng.uniform(0.45, 0.55), height * rng.uniform(0.45, 0.55)
    matrix = np.float32([[factor, 0, cx * (1 - factor)], [0, factor, cy * (1 - factor)]])
    zoomed = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    if rng.random() < 0.5:
        new_size = (round(width * rng.uniform(0.8, 1.25)),) * 2
        zoomed = cv2.resize(zoomed, (new_size[0], round(new_size[0] * height / width)), interpolation=cv2.INTER_AREA)
    return zoomed


def resize_round_trip(image: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    height, width = image.shape[:2]
    down = cv2.resize(image, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA)
    method = [cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_LANCZOS4][int(rng.integers(0, 3))]
    return cv2.resize(down, (width, height), interpolation=method)


PRESERVING_EDITS: dict[str, Callable[[Product, np.random.Generator], np.ndarray]] = {
    "identical": lambda p, rng: p.image.copy(),
    "background": lambda p, rng: replace_background(p.image, p.mask, rng),
    "shift": lambda p, rng: shift(replace_background(p.image, p.mask, rng), *rng.uniform(-8, 8, 2)),
    "scale": lambda p, rng: rescale(replace_background(p.image, p.mask, rng), float(rng.uniform(0.95, 1.05)), rng),
    "jpeg": lambda p, rng: jpeg(replace_background(p.image, p.mask, rng), int(rng.integers(75, 96))),
    "round_trip": lambda p, rng: resize_round_trip(
        replace_background(p.image, p.mask, rng), float(rng.uniform(0.5, 0.8)), rng
    ),
    "mixed": lambda p, rng: jpeg(
        rescale(
            shift(replace_background(p.image, p.mask, rng), *rng.uniform(-5, 5, 2)),
            float(rng.uniform(0.97, 1.03)),
            rng,
        ),
        int(rng.integers(80, 96)),
    ),
}


def _nuisance(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What an altering edit rides on: a new background and one mild preserving change."""
    image = replace_background(image, mask, rng)
    choice = int(rng.integers(0, 4))
    if choice == 1:
        return shift(image, *rng.uniform(-4, 4, 2))
    if choice == 2:
        return jpeg(image, int(rng.integers(85, 96)))
    if choice == 3:
        return rescale(image, float(rng.uniform(0.98, 1.02)), rng)
    return image


def _region_mask(product: Product, rng: np.random.Generator, share: float) -> np.ndarray:
    """An ellipse inside the product covering about ``share`` of it."""
    ys, xs = np.nonzero(product.mask)
    area = len(xs)
    for _ in range(20):
        k = int(rng.integers(0, area))
        cx, cy = int(xs[k]), int(ys[k])
        radius = np.sqrt(share * area / np.pi)
        aspect = rng.uniform(0.6, 1.6)
        region = np.zeros(product.mask.shape, np.uint8)
        cv2.ellipse(
            region,
            (cx, cy),
            (max(2, int(radius * aspect)), max(2, int(radius / aspect))),
            float(rng.uniform(0, 180)),
            0,
            360,
            1,
            -1,
        )
        region = region.astype(bool) & product.mask
        if region.sum() >= 0.6 * share * area:
            return region
    return region


def colour_drift(product: Product, rng: np.random.Generator) -> np.ndarray:
    """Shift hue/chroma/lightness in Lab until the median CIEDE2000 over the affected area reaches 3-7.
    Saturated colours clip at the sRGB gamut in some directions, so other directions are tried."""
    target = float(rng.uniform(3.0, 7.0))
    region = product.mask if rng.random() < 0.6 else _region_mask(product, rng, float(rng.uniform(0.25, 0.5)))
    lab = rgb_to_lab(product.image)

    def drifted(direction: np.ndarray, magnitude: float) -> tuple[np.ndarray, float]:
        rgb = np.clip(cv2.cvtColor(lab + direction * magnitude, cv2.COLOR_Lab2RGB) * 255 + 0.5, 0, 255)
        candidate = np.where(region[:, :, None], rgb.astype(np.uint8), product.image)
        return candidate, float(np.median(delta_e_ciede2000(lab[region], rgb_to_lab(candidate)[region])))

    for _ in range(16):
        angle = rng.uniform(0, 2 * np.pi)
        direction = np.float32([rng.uniform(-0.5, 0.5), np.cos(angle), np.sin(angle)])
        best, achieved = drifted(direction, 60.0)
        if achieved < target:
            continue
        low, high = 0.0, 60.0
        for _ in range(14):
            candidate, achieved = drifted(direction, (low + high) / 2)
            if achieved < target:
                low = (low + high) / 2
            else:
                high, best = (low + high) / 2, candidate
        return best
    raise ValueError(f"{product.name}: no colour direction reaches CIEDE2000 {target:.1f}")


def letter_changed(product: Product, rng: np.random.Generator) -> np.ndarray:
    # the small print has its own edit (small_print_changed)
    choices = [i for i in range(len(product.texts)) if i != product.small_print]
    which = choices[int(rng.integers(0, len(choices)))]
    text = product.texts[which]
    positions = [i for i, ch in enumerate(text) if ch in CONFUSABLE]
    position = positions[int(rng.integers(0, len(positions)))]
    changed = text[:position] + CONFUSABLE[text[position]] + text[position + 1 :]
    texts = tuple(changed if i == which else t for i, t in enumerate(product.texts))
    return product.draw(texts, product.has_logo)


def logo_removed(product: Product, rng: np.random.Generator) -> np.ndarray:
    return product.draw(product.texts, False)


def pattern_blurred(product: Product, rng: np.random.Generator) -> np.ndarray:
    blurred = cv2.GaussianBlur(product.image, (0, 0), float(rng.uniform(2.0, 4.0)))
    return np.where(product.pattern[:, :, None], blurred, product.image)


def outline_warped(product: Product, rng: np.random.Generator) -> np.ndarray:
    """Push a stretch of the product's outline in or out by 6-12 px (a strap or a corner moved)."""
    contours, _ = cv2.findContours(product.mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=len)[:, 0, :].astype(np.float32)
    k = int(rng.integers(0, len(contour)))
    point = contour[k]
    tangent = contour[(k + 5) % len(contour)] - contour[(k - 5) % len(contour)]
    normal = np.float32([tangent[1], -tangent[0]]) / max(float(np.linalg.norm(tangent)), 1e-6)
    _, _, w, h = cv2.boundingRect(product.mask.astype(np.uint8))
    radius = float(rng.uniform(0.08, 0.15)) * max(w, h)
    displacement = float(rng.uniform(6, 12)) * (1 if rng.random() < 0.5 else -1)
    height, width = product.mask.shape
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    weight = np.exp(-((xs - point[0]) ** 2 + (ys - point[1]) ** 2) / (2 * radius**2))
    map_x = xs - displacement * normal[0] * weight
    map_y = ys - displacement * normal[1] * weight
    return cv2.remap(product.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def outline_pushed_out(product: Product, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A stretch of the outline pushed outwards by 6-12 px: the product grew where the mask cannot see.
    Returns the grown product's mask too: the new background goes around the grown product."""
    return outline_pushed(product.image, product.mask, rng, outwards=True, px=(6, 12))


def small_print_changed(product: Product, rng: np.random.Generator) -> np.ndarray:
    """One digit of the small print changed ("Net 100 g" -> "Net 160 g")."""
    assert product.small_print is not None
    line = product.texts[product.small_print]
    positions = [i for i, ch in enumerate(line) if ch.isdigit()]
    position = positions[int(rng.integers(0, len(positions)))]
    digit = str((int(line[position]) + int(rng.integers(1, 10))) % 10)
    changed = line[:position] + digit + line[position + 1 :]
    texts = tuple(changed if i == product.small_print else t for i, t in enumerate(product.texts))
    return product.draw(texts, product.has_logo)


def object_added(product: Product, rng: np.random.Generator) -> np.ndarray:
    """A sticker, a badge or a patch of another photo placed on the product."""
    image = Image.fromarray(product.image)
    draw = ImageDraw.Draw(image)
    ys, xs = np.nonzero(product.mask)
    _, _, w, h = cv2.boundingRect(product.mask.astype(np.uint8))
    size = float(rng.uniform(0.08, 0.15)) * min(w, h)
    k = int(rng.integers(0, len(xs)))
    cx, cy = float(xs[k]), float(ys[k])
    kind = int(rng.integers(0, 3))
    if kind == 0:
        draw.ellipse((cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2), fill=_random_colour(rng))
    elif kind == 1:
        draw.rounded_rectangle(
            (cx - size, cy - size / 3, cx + size, cy + size / 3),
            radius=int(size / 6),
            fill=(250, 250, 250),
            outline=(200, 30, 30),
            width=2,
        )
        draw.text((cx, cy), "SALE", font=_font(max(8, int(size / 2))), fill=(200, 30, 30), anchor="mm")
    else:
        patch = _photo_crop(str(rng.choice(["chelsea", "coffee", "astronaut"])), (int(size), int(size)), rng)
        image.paste(patch, (int(cx - size / 2), int(cy - size / 2)))
    return np.asarray(image, dtype=np.uint8).copy()


def texture_replaced(product: Product, rng: np.random.Generator) -> np.ndarray:
    """A patch of the product re-textured, keeping its average colour (so only the pattern changes)."""
    region = _region_mask(product, rng, float(rng.uniform(0.12, 0.3)))
    grey = _photo(str(rng.choice(["brick", "grass", "gravel", "camera"])))
    height, width = product.mask.shape
    texture = cv2.resize(grey, (width, height)).astype(np.float32)
    texture = texture / max(float(texture[region].mean()), 1.0)
    mean_colour = product.image[region].astype(np.float32).mean(axis=0)
    retextured = np.clip(texture * mean_colour, 0, 255).astype(np.uint8)
    return np.where(region[:, :, None], retextured, product.image)


def part_cut_off(product: Product, rng: np.random.Generator) -> np.ndarray:
    """8-20% of the product erased to a plain fill along a straight cut (the frame crop is its sibling)."""
    ys, xs = np.nonzero(product.mask)
    angle = rng.uniform(0, 2 * np.pi)
    projection = xs * np.cos(angle) + ys * np.sin(angle)
    cut = np.quantile(projection, 1 - float(rng.uniform(0.08, 0.2)))
    height, width = product.mask.shape
    grid_x, grid_y = np.meshgrid(np.arange(width), np.arange(height))
    erased = (grid_x * np.cos(angle) + grid_y * np.sin(angle)) > cut
    fill = np.median(product.image[~product.mask], axis=0) if (~product.mask).any() else np.uint8([255] * 3)
    return np.where(erased[:, :, None], fill.astype(np.uint8), product.image)


def frame_cropped(product: Product, rng: np.random.Generator) -> np.ndarray:
    """A new background, then a frame that cuts 8-20% of the product off (an outpainting crop gone wrong)."""
    image = replace_background(product.image, product.mask, rng)
    share = float(rng.uniform(0.08, 0.2))
    side = int(rng.integers(0, 4))
    return frame_cut(image, product.mask, share, side)


ALTERING_EDITS: dict[str, Callable[[Product, np.random.Generator], np.ndarray | tuple[np.ndarray, np.ndarray]]] = {
    "colour_drift": colour_drift,
    "letter_changed": letter_changed,
    "logo_removed": logo_removed,
    "pattern_blurred": pattern_blurred,
    "outline_warped": outline_warped,
    "outline_pushed_out": outline_pushed_out,
    "small_print_changed": small_print_changed,
    "object_added": object_added,
    "texture_replaced": texture_replaced,
    "part_cut_off": part_cut_off,
    "frame_cropped": frame_cropped,
}


def _applies(edit: str, product: Product) -> bool:
    if product.family == "plain" and edit == "pattern_blurred":
        return False  # nothing to blur
    if edit == "letter_changed":
        return any(ch in CONFUSABLE for i, text in enumerate(product.texts) if i != product.small_print for ch in text)
    if edit == "logo_removed":
        return product.has_logo
    if edit == "small_print_changed":
        return product.small_print is not None
    return True


def build_pairs(product_list: Sequence[Product] | None = None, seed: int = 11) -> Iterator[Pair]:
    """Every preserving edit and every applicable altering edit of every product, one random draw each."""
    rng = np.random.default_rng(seed)
    for product in product_list if product_list is not None else products():
        for edit, make in PRESERVING_EDITS.items():
            yield Pair(
                f"{product.name}/{edit}",
                product.name,
                edit,
                False,
                product.image,
                make(product, rng),
                product.mask,
            )
        for edit, make in ALTERING_EDITS.items():
            if not _applies(edit, product):
                continue
            altered = make(product, rng)
            # An edit that moves the outline says where the product now is.
            altered, mask = altered if isinstance(altered, tuple) else (altered, product.mask)
            # A cropped frame no longer fits the original canvas the nuisance edits work on.
            variant = altered if edit == "frame_cropped" else _nuisance(altered, mask, rng)
            yield Pair(f"{product.name}/{edit}", product.name, edit, True, product.image, variant, product.mask)


def pairs() -> list[Pair]:
    """The calibration split of the background set (products seed 7, edits seed 11)."""
    return list(build_pairs(products(7), 11))
