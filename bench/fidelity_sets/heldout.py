"""The held-out split of the "background" set: built independently of :mod:`calibration`.

Nothing is shared with the calibration split but the edit kind: the packshots are drawn by another
generator (OpenCV shapes instead of PIL), text is set in OpenCV's own fonts (putText) instead of
Pillow's font, the brand strings, photographs (motorcycle, coins, clock, moon, cells, page), patterns
(diagonal, zigzag, grid, rings), backdrops (procedural noise, stripes, radial gradients) and seeds are
others, and every edit's parameters are drawn from ranges the calibration split does not use (or by
another method: colour drift by hue rotation instead of a Lab shift, part cut off by inpainting instead
of a plain fill). The split is frozen: ``frozen.json`` holds the digest of all its pixels and labels,
and ``bench/fidelity.py`` prints, for each kind, whether the split still matches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from bench.fidelity_sets import drawing as d
from bench.fidelity_sets.common import Pair, frame_cut, jpeg, outline_pushed, paste_on, shift
from vitrine.fidelity.colour import delta_e_ciede2000, rgb_to_lab

SEED = 90_210
BRANDS = ("QUOLL", "Brio", "FENWAY", "Tundra", "JOLT", "Okapi", "SALVIA", "Wren", "POLDER", "Yarrow")
SMALL_PRINT = ("Net wt 100 g", "250 ml e", "Batch 7731", "Best before 09/28", "Made in EU 2x50 g")
TYPEFACES = tuple(d.Typeface(f"hershey-{face}") for face in ("simplex", "duplex", "triplex", "complex"))
LOGOS = ("bolt", "leaf", "cross")
GREY_PRINTS = ("coins", "clock", "moon", "cell", "page", "text", "camera")


@dataclass(frozen=True)
class Draw:
    """What one held-out draw takes from outside the generator: its seeds and its strings. A second draw
    (``HELD_OUT_2``) runs the same generator on other seeds, brands, small print and photographs."""

    split: str
    seed: int
    brands: tuple[str, ...]
    small_print: tuple[str, ...]
    photos: tuple[str, ...]
    grey_prints: tuple[str, ...] = GREY_PRINTS


HELD_OUT = Draw("held_out", SEED, BRANDS, SMALL_PRINT, ("stereo_motorcycle", "coins", "clock", "moon", "cell", "page"))
HELD_OUT_2 = Draw(
    "held_out_2",
    31_877,
    ("MOSSO", "Kestrel", "VANTA", "Delphi", "ROOK", "Sorrel", "TAKIN", "Umber", "WAPITI", "Zinnia"),
    ("Net wt 180 g", "330 ml e", "Lot 4419", "Use by 11/27", "Pack of 3x40 g"),
    ("binary_blobs", "shepp_logan_phantom"),
    ("binary_blobs", "shepp_logan_phantom", "checkerboard"),
)
# A third draw, frozen before the report was changed after held-out 2 had been run (docs/fidelity.md).
HELD_OUT_3 = Draw(
    "held_out_3",
    52_903,
    ("GANNET", "Ibis", "NUTMEG", "Quince", "SPRUCE", "Vireo", "TOUCAN", "Alder", "MARTEN", "Heron"),
    ("Net wt 275 g", "450 ml e", "Lot 8062", "Exp 05/29", "Box of 6x25 g"),
    ("microaneurysms", "horse"),
    ("horse", "microaneurysms"),
)
# A fourth draw, frozen before the report was changed after held-out 3 had been run (docs/fidelity.md).
HELD_OUT_4 = Draw(
    "held_out_4",
    64_471,
    ("CORMAC", "Dunlin", "ESKER", "Grebe", "KUDU", "Lupin", "NARWHAL", "Oriole", "PIPIT", "Saffron"),
    ("Net wt 360 g", "720 ml e", "Lot 2957", "Best by 03/30", "Set of 4x15 g"),
    ("face_mosaic", "motorcycle_disparity"),
    ("motorcycle_disparity", "face_mosaic"),
)


@dataclass(frozen=True, eq=False)
class Shot:
    """A product. ``render(texts, logo)`` redraws it with other text or another (or no) logo; every other
    pixel stays the same, so the edit is the only difference."""

    name: str
    texts: tuple[str, ...]
    small_print: int | None
    logo: str | None
    mask: np.ndarray
    pattern: np.ndarray
    render: Callable[[tuple[str, ...], str | None], np.ndarray]
    plain: bool = False  # no texture inside: only the outline shows a change of shape
    image: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "image", self.render(self.texts, self.logo))


def _shot(
    name: str, base: np.ndarray, mask: np.ndarray, pattern: np.ndarray, texts, small_print, logo, marks, plain=False
) -> Shot:
    def render(current: tuple[str, ...], current_logo: str | None) -> np.ndarray:
        canvas = base.copy()
        marks(canvas, current, current_logo)
        return d.reduce(canvas)

    return Shot(name, texts, small_print, logo, d.reduce_mask(mask), d.reduce_mask(pattern), render, plain)


def _blank() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.full((d.BIG, d.BIG, 3), 252, np.uint8),
        np.zeros((d.BIG, d.BIG), np.uint8),
        np.zeros((d.BIG, d.BIG), np.uint8),
    )


def _jar(rng: np.random.Generator, index: int, draw: Draw = HELD_OUT) -> Shot:
    base, mask, pattern = _blank()
    glass, lid, ink = d.colour(rng, 120, 230), d.colour(rng, 30, 120), d.colour(rng, 10, 90)
    face = TYPEFACES[index % len(TYPEFACES)]
    cx, x0, x1 = 512 + int(rng.integers(-50, 50)), 0, 0
    half = int(rng.uniform(190, 240))
    x0, x1, y0, y1 = cx - half, cx + half, 300, 900
    for target, fill in ((base, glass), (mask, 255)):
        cv2.rectangle(target, (x0, y0), (x1, y1), fill if target is mask else glass, -1)
        cv2.ellipse(target, (cx, y1), (half, 40), 0, 0, 180, fill if target is mask else glass, -1, cv2.LINE_AA)
        cv2.rectangle(target, (x0 + 20, y0 - 110), (x1 - 20, y0), fill if target is mask else lid, -1)
    label = (x0, y0 + 120, x1, y0 + 420)
    cv2.rectangle(base, label[:2], label[2:], (246, 242, 230), -1)
    band = d.pattern((x1 - x0, 60), "zigzag", [(246, 242, 230), ink], 28)
    base[label[1] : label[1] + 60, x0:x1] = band
    pattern[label[1] : label[3], x0:x1] = 255
    texts = (draw.brands[index % len(draw.brands)], draw.small_print[index % len(draw.small_print)])
    size = face.fitted(texts[0], 86, 0.8 * (x1 - x0))

    def marks(canvas, current, logo) -> None:
        face.draw(canvas, current[0], texts[0], (cx, label[1] + 150), size, ink)
        face.draw(canvas, current[1], texts[1], (cx, label[1] + 250), 22, (30, 30, 30))
        if logo:
            d.emblem(canvas, (cx, y0 - 55), 40, ink, lid, logo)

    return _shot(f"jar-{index}", base, mask > 0, pattern > 0, texts, 1, LOGOS[index % 3], marks)


def _pouch(rng: np.random.Generator, index: int, draw: Draw = HELD_OUT) -> Shot:
    base, mask, pattern = _blank()
    body, ink = d.colour(rng, 60, 200), (250, 250, 250)
    face = TYPEFACES[(index + 1) % len(TYPEFACES)]
    cx = 512 + int(rng.integers(-40, 40))
    outline = np.int32([(cx - 250, 160), (cx + 250, 160), (cx + 290, 880), (cx - 290, 880)])
    cv2.fillPoly(base, [outline], body, cv2.LINE_AA)
    cv2.fillPoly(mask, [outline], 255)
    print_box = (cx - 190, 240, cx + 190, 560)
    grey = draw.grey_prints[index % len(draw.grey_prints)]
    art = d.crop_to(d.tinted(grey, d.darker(body, 0.4), (250, 240, 220)), (380, 320), rng)
    base[print_box[1] : print_box[3], print_box[0] : print_box[2]] = art
    pattern[print_box[1] : print_box[3], print_box[0] : print_box[2]] = 255
    texts = (draw.brands[(index + 3) % len(draw.brands)], draw.small_print[(index + 2) % len(draw.small_print)])
    size = face.fitted(texts[0], 90, 440)

    def marks(canvas, current, logo) -> None:
        face.draw(canvas, current[0], texts[0], (cx, 660), size, ink)
        face.draw(canvas, current[1], texts[1], (cx, 800), 22, ink)
        if logo:
            d.emblem(canvas, (cx + 200, 760), 36, ink, body, logo)

    return _shot(f"pouch-{grey}-{index}", base, mask > 0, pattern > 0, texts, 1, LOGOS[(index + 1) % 3], marks)


def _carton(rng: np.random.Generator, index: int, draw: Draw = HELD_OUT) -> Shot:
    base, mask, pattern = _blank()
    colours = [d.colour(rng, 150, 240), d.colour(rng, 30, 130)]
    face = TYPEFACES[(index + 2) % len(TYPEFACES)]
    x0, x1 = 300 + int(rng.integers(-40, 40)), 0
    x1 = x0 + int(rng.uniform(380, 440))
    y0, y1 = 260, 900
    roof = np.int32([(x0, y0), ((x0 + x1) // 2, y0 - 120), (x1, y0)])
    art = d.pattern((x1 - x0, y1 - y0), ("diagonal", "grid", "rings")[index % 3], colours, int(rng.integers(30, 60)))
    base[y0:y1, x0:x1] = art
    cv2.fillPoly(base, [roof], d.darker(colours[0], 0.85), cv2.LINE_AA)
    cv2.rectangle(mask, (x0, y0), (x1 - 1, y1 - 1), 255, -1)
    cv2.fillPoly(mask, [roof], 255)
    pattern[y0:y1, x0:x1] = 255
    panel = (x0 + 40, y0 + 200, x1 - 40, y0 + 360)
    texts = (draw.brands[(index + 5) % len(draw.brands)],)
    size = face.fitted(texts[0], 80, panel[2] - panel[0] - 40)

    def marks(canvas, current, logo) -> None:
        cv2.rectangle(canvas, panel[:2], panel[2:], (250, 250, 250), -1)
        face.draw(
            canvas, current[0], texts[0], ((panel[0] + panel[2]) / 2, (panel[1] + panel[3]) / 2), size, colours[1]
        )
        if logo:
            d.emblem(canvas, ((x0 + x1) / 2, y1 - 110), 44, colours[1], (250, 250, 250), logo)

    return _shot(f"carton-{index}", base, mask > 0, pattern > 0, texts, None, LOGOS[(index + 2) % 3], marks)


def _plain(rng: np.random.Generator, index: int) -> Shot:
    """A plain product (a ceramic bowl, a pebble, a plain tube): flat colour with a soft shade, nothing
    printed on it but a small stamp, so only the outline shows a change of shape."""
    base, mask, _ = _blank()
    body = d.colour(rng, 60, 210)
    shape = index % 3
    cx, cy = 512 + int(rng.integers(-60, 60)), 540 + int(rng.integers(-40, 40))
    if shape == 0:
        cv2.ellipse(mask, (cx, cy), (int(rng.uniform(280, 360)), int(rng.uniform(180, 260))), 0, 0, 360, 255, -1)
    elif shape == 1:
        points = [
            (cx + r * np.cos(t), cy + r * 0.8 * np.sin(t))
            for t, r in zip(np.linspace(0, 2 * np.pi, 9)[:-1], rng.uniform(230, 330, 8), strict=True)
        ]
        hull = cv2.convexHull(np.float32(points)).astype(np.int32)
        cv2.fillPoly(mask, [hull], 255)
        mask = cv2.GaussianBlur(mask, (0, 0), 25)
        mask = np.where(mask >= 128, 255, 0).astype(np.uint8)
    else:
        cv2.rectangle(mask, (cx - 110, 160), (cx + 110, 880), 255, -1)
        cv2.ellipse(mask, (cx, 880), (110, 30), 0, 0, 180, 255, -1)
    inside = mask > 0
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 5)
    shade = 0.8 + 0.2 * np.clip(distance / 80, 0, 1)
    base[inside] = (np.float32(body) * shade[inside][:, None]).astype(np.uint8)
    texts: tuple[str, ...] = ()

    def marks(canvas, current, logo) -> None:
        if logo:
            d.emblem(canvas, (cx, cy), 30, d.darker(body, 0.5), (240, 240, 240), logo)

    return _shot(
        f"plain-{('bowl', 'pebble', 'tube')[shape]}-{index}",
        base,
        inside,
        inside,
        texts,
        None,
        LOGOS[index % 3],
        marks,
        plain=True,
    )


# name -> product outline in fractions of the frame, tint (for grey photographs) or None
PHOTOS: dict[str, tuple[tuple, tuple[d.Colour, d.Colour] | None]] = {
    "stereo_motorcycle": (("polygon", ((0.12, 0.3), (0.85, 0.25), (0.9, 0.85), (0.1, 0.9))), None),
    "coins": (("ellipse", 0.5, 0.5, 0.42, 0.44), ((60, 40, 10), (250, 220, 150))),
    "clock": (("ellipse", 0.5, 0.48, 0.38, 0.44), ((20, 30, 60), (230, 235, 250))),
    "moon": (("ellipse", 0.5, 0.5, 0.45, 0.45), ((40, 20, 50), (250, 240, 210))),
    "cell": (("polygon", ((0.2, 0.15), (0.8, 0.2), (0.85, 0.8), (0.18, 0.85))), ((10, 50, 30), (200, 250, 210))),
    "page": (("polygon", ((0.05, 0.1), (0.95, 0.1), (0.95, 0.9), (0.05, 0.9))), ((30, 30, 30), (255, 250, 240))),
    # second draw
    "binary_blobs": (("ellipse", 0.5, 0.5, 0.4, 0.43), ((30, 60, 90), (240, 220, 180))),
    "shepp_logan_phantom": (("ellipse", 0.5, 0.5, 0.36, 0.46), ((15, 25, 20), (235, 245, 225))),
    # third draw
    "microaneurysms": (("ellipse", 0.5, 0.5, 0.43, 0.4), ((70, 20, 10), (250, 200, 140))),
    "horse": (("polygon", ((0.08, 0.12), (0.92, 0.08), (0.95, 0.9), (0.05, 0.88))), ((25, 45, 15), (230, 240, 200))),
    # fourth draw
    "face_mosaic": (("ellipse", 0.5, 0.5, 0.41, 0.44), ((35, 15, 45), (245, 225, 235))),
    "motorcycle_disparity": (
        ("polygon", ((0.1, 0.16), (0.9, 0.1), (0.93, 0.86), (0.07, 0.9))),
        ((10, 35, 55), (220, 240, 250)),
    ),
}


def _photo(name: str, index: int, draw: Draw = HELD_OUT) -> Shot:
    outline, tint = PHOTOS[name]
    image = d.photo(name) if tint is None else d.tinted(name, *tint)
    scale = d.CANVAS / max(image.shape[:2])
    image = cv2.resize(
        image, (round(image.shape[1] * scale), round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA
    )
    height, width = image.shape[:2]
    mask = np.zeros((height, width), np.uint8)
    if outline[0] == "ellipse":
        _, cx, cy, rx, ry = outline
        cv2.ellipse(
            mask, (round(cx * width), round(cy * height)), (round(rx * width), round(ry * height)), 0, 0, 360, 255, -1
        )
    else:
        cv2.fillPoly(mask, [np.int32([(x * width, y * height) for x, y in outline[1]])], 255)
    face = TYPEFACES[index % len(TYPEFACES)]
    texts = (draw.brands[(index + 7) % len(draw.brands)],)
    centre = (0.5 * width, 0.7 * height)

    def render(current: tuple[str, ...], logo: str | None) -> np.ndarray:
        canvas = image.copy()
        size = 20
        w = face.width(texts[0], size)
        cv2.rectangle(
            canvas,
            (round(centre[0] - w / 2 - 8), round(centre[1] - 16)),
            (round(centre[0] + w / 2 + 8), round(centre[1] + 16)),
            (245, 245, 235),
            -1,
        )
        face.draw(canvas, current[0], texts[0], centre, size, (20, 20, 70))
        if logo:
            d.emblem(
                canvas, (0.3 * width, 0.4 * height), 0.05 * min(width, height), (150, 30, 30), (250, 250, 250), logo
            )
        return canvas

    inside = mask > 0
    return Shot(f"photo-{name}", texts, None, "star", inside, inside.copy(), render)


def products(draw: Draw = HELD_OUT) -> list[Shot]:
    rng = np.random.default_rng(draw.seed)
    made: list[Shot] = []
    for index in range(3):
        made += [_jar(rng, index, draw), _pouch(rng, index, draw), _carton(rng, index, draw), _plain(rng, index)]
    made += [_photo(name, i, draw) for i, name in enumerate(draw.photos)]
    return made


# --- backdrops and preserving edits -----------------------------------------------------------------


def backdrop(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    height, width = shape[:2]
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return d.noise_field((height, width), rng, float(rng.uniform(6, 20)), [d.colour(rng) for _ in range(3)])
    if kind == 1:
        return d.pattern(
            (width, height), "diagonal", [d.colour(rng, 120, 240), d.colour(rng, 120, 240)], int(rng.integers(40, 90))
        )
    if kind == 2:
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        ramp = np.clip(np.hypot(xs - width * rng.uniform(0.2, 0.8), ys - height * rng.uniform(0.2, 0.8)) / width, 0, 1)[
            :, :, None
        ]
        return (np.float32(d.colour(rng, 150, 250)) * (1 - ramp) + np.float32(d.colour(rng, 20, 120)) * ramp).astype(
            np.uint8
        )
    art = d.tinted(str(rng.choice(["moon", "coins", "text"])), d.colour(rng, 20, 90), d.colour(rng, 160, 250))
    return cv2.GaussianBlur(cv2.resize(art, (width, height)), (0, 0), float(rng.uniform(2, 5)))


def new_background(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # a paste-back seam of 6-9 px (calibration: 1.5-6)
    return paste_on(image, mask, backdrop(image.shape, rng), float(rng.uniform(6, 9)))


def _zoom(image: np.ndarray, factor: float) -> np.ndarray:
    height, width = image.shape[:2]
    matrix = np.float32([[factor, 0, width / 2 * (1 - factor)], [0, factor, height / 2 * (1 - factor)]])
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REPLICATE)


def _signed(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high)) * (1 if rng.random() < 0.5 else -1)


PRESERVING: dict[str, Callable[[Shot, np.random.Generator], np.ndarray]] = {
    "identical": lambda s, rng: s.image.copy(),
    "background": lambda s, rng: new_background(s.image, s.mask, rng),
    # 8-11 px (calibration: up to 8)
    "shift": lambda s, rng: shift(new_background(s.image, s.mask, rng), _signed(rng, 8, 11), _signed(rng, 8, 11)),
    # 5-7% (calibration: within 5%), output size kept
    "scale": lambda s, rng: _zoom(new_background(s.image, s.mask, rng), 1 + _signed(rng, 0.05, 0.07)),
    # quality 70-74 (calibration: 75-95)
    "jpeg": lambda s, rng: jpeg(new_background(s.image, s.mask, rng), int(rng.integers(70, 75))),
    # WebP-like softening: a round trip through 0.82-0.9x with area/Lanczos (calibration: 0.5-0.8x)
    "round_trip": lambda s, rng: cv2.resize(
        cv2.resize(
            new_background(s.image, s.mask, rng),
            None,
            fx=(f := float(rng.uniform(0.82, 0.9))),
            fy=f,
            interpolation=cv2.INTER_AREA,
        ),
        (s.image.shape[1], s.image.shape[0]),
        interpolation=cv2.INTER_LANCZOS4,
    ),
    "mixed": lambda s, rng: jpeg(
        _zoom(
            shift(new_background(s.image, s.mask, rng), _signed(rng, 5, 8), _signed(rng, 5, 8)),
            1 + _signed(rng, 0.03, 0.05),
        ),
        int(rng.integers(72, 75)),
    ),
}


# --- altering edits ------------------------------------------------------------------------------------


def _region(shot: Shot, rng: np.random.Generator, share: float) -> np.ndarray:
    """A rectangle inside the product covering about ``share`` of it (calibration: ellipses)."""
    ys, xs = np.nonzero(shot.mask)
    area = len(xs)
    side = np.sqrt(share * area)
    for _ in range(30):
        k = int(rng.integers(0, area))
        aspect = rng.uniform(0.5, 2.0)
        w, h = side * np.sqrt(aspect), side / np.sqrt(aspect)
        region = np.zeros(shot.mask.shape, bool)
        region[max(0, int(ys[k] - h / 2)) : int(ys[k] + h / 2), max(0, int(xs[k] - w / 2)) : int(xs[k] + w / 2)] = True
        region &= shot.mask
        if region.sum() >= 0.6 * share * area:
            return region
    return region


def hue_rotated(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    """Hue turned (and saturation nudged) until the median CIEDE2000 over the area reaches 3-7."""
    target = float(rng.uniform(3.0, 7.0))
    region = shot.mask if rng.random() < 0.5 else _region(shot, rng, float(rng.uniform(0.2, 0.45)))
    hsv = cv2.cvtColor(shot.image, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    lab = rgb_to_lab(shot.image)[region]
    sign = 1 if rng.random() < 0.5 else -1

    def turned(amount: float) -> tuple[np.ndarray, float]:
        moved = hsv.copy()
        moved[:, :, 0] = (moved[:, :, 0] + sign * amount) % 256
        moved[:, :, 1] = np.clip(moved[:, :, 1] * (1 + amount / 200), 0, 255)
        rgb = cv2.cvtColor(moved.astype(np.uint8), cv2.COLOR_HSV2RGB_FULL)
        candidate = np.where(region[:, :, None], rgb, shot.image)
        return candidate, float(np.median(delta_e_ciede2000(lab, rgb_to_lab(candidate)[region])))

    low, high = 0.0, 128.0
    best, reached = turned(high)
    if reached < target:
        # a grey or white product: tint it instead
        tint = np.float32(d.colour(rng))
        mixed = shot.image.astype(np.float32) * 0.85 + tint * 0.15
        return np.where(region[:, :, None], mixed.astype(np.uint8), shot.image)
    for _ in range(12):
        candidate, reached = turned((low + high) / 2)
        if reached < target:
            low = (low + high) / 2
        else:
            high, best = (low + high) / 2, candidate
    return best


def letter_swapped(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    """One letter of a brand replaced by another letter of the same case (any, not a look-alike)."""
    which = next(i for i in range(len(shot.texts)) if i != shot.small_print)
    text = shot.texts[which]
    position = [i for i, ch in enumerate(text) if ch.isalpha()][int(rng.integers(0, sum(ch.isalpha() for ch in text)))]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if text[position].isupper() else "abcdefghijklmnopqrstuvwxyz"
    choices = [ch for ch in alphabet if ch != text[position]]
    changed = text[:position] + choices[int(rng.integers(0, len(choices)))] + text[position + 1 :]
    return shot.render(tuple(changed if i == which else t for i, t in enumerate(shot.texts)), shot.logo)


def small_print_changed(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    """One digit of the small print changed ("Net wt 100 g" -> "Net wt 160 g")."""
    assert shot.small_print is not None
    line = shot.texts[shot.small_print]
    position = [i for i, ch in enumerate(line) if ch.isdigit()][0 if rng.random() < 0.5 else 1]
    digit = str((int(line[position]) + int(rng.integers(1, 10))) % 10)
    changed = line[:position] + digit + line[position + 1 :]
    return shot.render(tuple(changed if i == shot.small_print else t for i, t in enumerate(shot.texts)), shot.logo)


def logo_swapped(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    others = [shape for shape in (*LOGOS, "star") if shape != shot.logo]
    return shot.render(shot.texts, others[int(rng.integers(0, len(others)))])


def logo_removed(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    return shot.render(shot.texts, None)


def pattern_shifted(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    """The print or pattern moved by a few pixels inside its area (redrawn off-register)."""
    dx, dy = _signed(rng, 4, 8), _signed(rng, 4, 8)
    moved = shift(shot.image, dx, dy)
    return np.where(shot.pattern[:, :, None], moved, shot.image)


def outline_pushed_out(shot: Shot, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A stretch of the outline pushed outwards by 8-14 px (calibration: 6-12)."""
    return outline_pushed(shot.image, shot.mask, rng, outwards=True, px=(8, 14))


def outline_pushed_in(shot: Shot, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return outline_pushed(shot.image, shot.mask, rng, outwards=False, px=(8, 14))


def tag_added(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    """A price tag or a block of QR-like squares stuck on the product."""
    image = shot.image.copy()
    ys, xs = np.nonzero(d.reduce_mask(cv2.resize(shot.mask.astype(np.uint8), (d.BIG, d.BIG)) > 0))
    k = int(rng.integers(0, len(xs)))
    cx, cy = int(xs[k]), int(ys[k])
    size = int(rng.uniform(18, 34))
    if rng.random() < 0.5:
        cv2.rectangle(image, (cx - size, cy - size // 2), (cx + size, cy + size // 2), (255, 230, 60), -1)
        cv2.putText(
            image, "-30%", (cx - size + 3, cy + 5), cv2.FONT_HERSHEY_PLAIN, size / 22, (20, 20, 20), 1, cv2.LINE_AA
        )
    else:
        cells = (rng.random((5, 5)) < 0.5).astype(np.uint8) * 255
        block = cv2.resize(cells, (size, size), interpolation=cv2.INTER_NEAREST)
        y0, x0 = max(0, cy - size // 2), max(0, cx - size // 2)
        region = image[y0 : y0 + size, x0 : x0 + size]
        region[:] = block[: region.shape[0], : region.shape[1], None]
    return np.where(shot.mask[:, :, None], image, shot.image)


def texture_swapped(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    region = _region(shot, rng, float(rng.uniform(0.1, 0.25)))
    mean = shot.image[region].astype(np.float32).mean(axis=0)
    field = d.noise_field(
        shot.mask.shape,
        rng,
        3.0,
        [d.darker(tuple(int(v) for v in mean), 0.7), tuple(int(min(255, v * 1.2)) for v in mean)],
    )
    return np.where(region[:, :, None], field, shot.image)


def part_inpainted(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    """10-22% of the product removed and filled by inpainting from around it (calibration: plain fill)."""
    ys, xs = np.nonzero(shot.mask)
    angle = rng.uniform(0, 2 * np.pi)
    projection = xs * np.cos(angle) + ys * np.sin(angle)
    cut = np.quantile(projection, 1 - float(rng.uniform(0.1, 0.22)))
    grid_y, grid_x = np.mgrid[0 : shot.mask.shape[0], 0 : shot.mask.shape[1]]
    erased = ((grid_x * np.cos(angle) + grid_y * np.sin(angle)) > cut) & shot.mask
    return cv2.inpaint(shot.image, erased.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)


def frame_cropped(shot: Shot, rng: np.random.Generator) -> np.ndarray:
    image = new_background(shot.image, shot.mask, rng)
    share = float(rng.uniform(0.21, 0.3))  # calibration: 8-20%
    side = int(rng.integers(0, 4))
    return frame_cut(image, shot.mask, share, side)


ALTERING: dict[str, Callable[[Shot, np.random.Generator], np.ndarray | tuple[np.ndarray, np.ndarray]]] = {
    "colour_drift": hue_rotated,
    "letter_changed": letter_swapped,
    "small_print_changed": small_print_changed,
    "logo_changed": logo_swapped,
    "logo_removed": logo_removed,
    "pattern_shifted": pattern_shifted,
    "outline_pushed_out": outline_pushed_out,
    "outline_pushed_in": outline_pushed_in,
    "object_added": tag_added,
    "texture_replaced": texture_swapped,
    "part_cut_off": part_inpainted,
    "frame_cropped": frame_cropped,
}


def _applies(edit: str, shot: Shot) -> bool:
    if edit == "letter_changed":
        return any(i != shot.small_print for i in range(len(shot.texts)))
    if edit == "small_print_changed":
        return shot.small_print is not None
    if edit in ("logo_changed", "logo_removed"):
        return shot.logo is not None
    if edit == "pattern_shifted":
        return not shot.plain
    return True


def _nuisance(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    image = new_background(image, mask, rng)
    choice = int(rng.integers(0, 3))
    if choice == 1:
        return shift(image, _signed(rng, 4, 6), _signed(rng, 4, 6))
    if choice == 2:
        return jpeg(image, int(rng.integers(72, 75)))
    return image


def pairs(draw: Draw = HELD_OUT) -> list[Pair]:
    rng = np.random.default_rng(draw.seed + 1)
    made: list[Pair] = []
    for shot in products(draw):
        for edit, make in PRESERVING.items():
            made.append(Pair(f"{shot.name}/{edit}", shot.name, edit, False, shot.image, make(shot, rng), shot.mask))
        for edit, alter in ALTERING.items():
            if not _applies(edit, shot):
                continue
            altered = alter(shot, rng)
            altered, mask = altered if isinstance(altered, tuple) else (altered, shot.mask)
            variant = altered if edit == "frame_cropped" else _nuisance(altered, mask, rng)
            made.append(Pair(f"{shot.name}/{edit}", shot.name, edit, True, shot.image, variant, shot.mask))
    return made
