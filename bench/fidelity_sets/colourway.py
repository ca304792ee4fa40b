"""The "colourway" set: a shaded, patterned garment (flat lay) with a printed logo and brand, recoloured to
a target colour; the pair carries the target, as the render request does.

The two splits share the scene code only. Calibration recolours with the colourway recipe's own
functions (CIELAB rotation, print kept by its hue), sets the brand in Pillow's font and misses the target
by 9-16 CIEDE2000 when it alters; held-out recolours with an independent OKLab hue turn written here
(print kept by the drawn print mask), sets the brand in OpenCV's fonts, misses by 6.5-9, and differs in
brands, patterns, logos, seeds, JPEG qualities, drift and outline pushes.

Preserving: the recolour to the target, to a second target, the recolour saved as JPEG, and the product
left in its own colour with that colour as the target. Altering, each on a recolour: the target missed,
the logo lost, the logo recoloured apart from the body, the pattern changed, a brand letter changed, part
of the product drifted in colour, the outline pushed out.

Calibration also has cases added for known weaknesses, each from a generator of its own: the recolour and
the second target saved at JPEG 62-70; and a recolour to a target at the sRGB gamut's edge made by a CIELCh
hue turn that bends with lightness, clipped per channel (``lch_recolour``), preserving as it is and saved
as JPEG, altering with the logo lost, the logo recoloured, a brand letter changed or a part drifted on top;
and a two-tone fabric (the second shade duller than the body at an L* 2-6 away) recoloured by a hue turn in
HSL (``hsl_turn``, lightness and saturation kept, as Photoshop's Hue/Saturation does), the same edits on top.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
from skimage.color import lab2rgb, rgb2lab

from bench.fidelity_sets import drawing as d
from bench.fidelity_sets.common import Pair, jpeg, outline_pushed, paste_on
from bench.fidelity_sets.kinds import Garment, _backdrop, _garment_mask, _recoloured
from vitrine.fidelity.colour import delta_e_ciede2000

Lab = tuple[float, float, float]


@dataclass(frozen=True)
class Style:
    split: str
    seed: int
    typefaces: tuple[d.Typeface, ...]
    brands: tuple[str, ...]
    patterns: tuple[str, ...]
    logos: tuple[str, ...]
    recolour: str  # "recipe" (the colourway recipe's functions) or "oklab" (independent, here)
    jpeg_quality: tuple[int, int]
    missed_by: tuple[float, float]  # CIEDE2000 between the colour reached and the target, when altering
    drift: tuple[float, float]  # median CIEDE2000 of a partial colour change
    push_px: tuple[float, float]  # outline pushed out, at the drawing's 2x scale
    products: int = 8
    # A case added for a known weakness (calibration only): the recolour saved at a lower JPEG quality and
    # at a second target, drawn from a generator of its own so the pairs above stay as they were.
    extra_jpeg_quality: tuple[int, int] | None = None
    # A second such case: a recolour to a target at the edge of the sRGB gamut made by a CIELCh hue turn
    # with chroma scaled, clipped per channel (so not a similarity of the a*b* plane), preserving as it is
    # and saved at this JPEG quality, and altering with a lost logo, a recoloured logo, a changed brand
    # letter or a drifted part on top; drawn from a generator of its own as well.
    gamut_edge_jpeg_quality: tuple[int, int] | None = None
    # A third: a recolour by a hue turn in HSL (lightness and saturation kept, as Photoshop's Hue/Saturation
    # turns it), which keeps HSL lightness, not CIE L*; preserving as it is and saved at this JPEG quality,
    # altering with a lost logo, a recoloured logo, a changed brand letter or a drifted part on top.
    hsl_turn_jpeg_quality: tuple[int, int] | None = None


CALIBRATION = Style(
    split="calibration",
    seed=5_501,
    typefaces=(d.Typeface("pil"),),
    brands=("HALO", "MERIT", "PIXIE", "SOLACE"),
    patterns=("diagonal", "grid"),
    logos=("star", "bolt"),
    recolour="recipe",
    jpeg_quality=(80, 95),
    missed_by=(9.0, 16.0),
    drift=(3.0, 6.0),
    push_px=(12.0, 18.0),
    extra_jpeg_quality=(62, 70),
    gamut_edge_jpeg_quality=(75, 90),
    hsl_turn_jpeg_quality=(75, 90),
)
HELD_OUT = Style(
    split="held_out",
    seed=91_733,
    typefaces=(d.Typeface("hershey-duplex"), d.Typeface("hershey-triplex"), d.Typeface("hershey-simplex")),
    brands=("Pampa", "VOLTA", "Marlin", "GUSTO"),
    patterns=("zigzag", "rings"),
    logos=("leaf", "cross"),
    recolour="oklab",
    jpeg_quality=(70, 79),
    missed_by=(6.5, 9.0),
    drift=(6.0, 9.0),
    push_px=(18.0, 26.0),
)
# A second held-out draw: the held-out generator on other seeds and brands (see docs/fidelity.md).
HELD_OUT_2 = replace(HELD_OUT, split="held_out_2", seed=63_421, brands=("Sable", "KOMODO", "Tarn", "RIVET"))
# A third draw, frozen before the report was changed after held-out 2 had been run.
HELD_OUT_3 = replace(HELD_OUT, split="held_out_3", seed=46_289, brands=("Zephyr", "BISON", "Lumo", "CRAG"))
# A fourth draw, frozen before the report was changed after held-out 3 had been run.
HELD_OUT_4 = replace(HELD_OUT, split="held_out_4", seed=38_863, brands=("Vesper", "KELP", "Ardent", "MOTH"))
# A fifth draw, of this kind only (the next change touches the colourway path alone), frozen before it was made
# after held-out 4 had been run; twice the garments, for a steadier estimate.
HELD_OUT_5 = replace(
    HELD_OUT, split="held_out_5", seed=27_191, brands=("Quill", "NOMAD", "Tessel", "OBERON"), products=16
)
STYLES = {
    "calibration": CALIBRATION,
    "held_out": HELD_OUT,
    "held_out_2": HELD_OUT_2,
    "held_out_3": HELD_OUT_3,
    "held_out_4": HELD_OUT_4,
    "held_out_5": HELD_OUT_5,
}


def _lab_of(rgb: tuple[int, int, int] | np.ndarray) -> np.ndarray:
    return rgb2lab(np.asarray(rgb, np.float64).reshape(1, 1, 3) / 255.0).reshape(3)


def _in_gamut(lab: np.ndarray) -> np.ndarray:
    """``lab`` moved to the nearest 8-bit sRGB colour (what an image can hold)."""
    rgb = np.clip(np.rint(lab2rgb(lab.reshape(1, 1, 3)).reshape(3) * 255), 0, 255)
    return _lab_of(rgb)


def _missed(target: np.ndarray, by: float, rng: np.random.Generator) -> np.ndarray:
    """A reachable colour ``by`` CIEDE2000 (within 0.5) away from ``target``."""
    for _ in range(50):
        direction = rng.normal(size=3)
        direction[0] *= 0.5
        direction /= np.linalg.norm(direction)
        low, high = 0.0, 80.0
        for _ in range(20):
            middle = (low + high) / 2
            reached = float(delta_e_ciede2000(target[None], (target + direction * middle)[None])[0])
            low, high = (middle, high) if reached < by else (low, middle)
        candidate = _in_gamut(target + direction * high)
        if abs(float(delta_e_ciede2000(target[None], candidate[None])[0]) - by) <= 0.5:
            return candidate
    raise RuntimeError("no reachable colour at that distance")


# --- the two recolours ---------------------------------------------------------------------------------


def recipe_recolour(image: np.ndarray, product: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The colourway recipe's recolour (its own functions, the recipe's correction rounds, default
    print tolerance), without the engine around it."""
    from vitrine.inference.colourspace import delta_e00, dominant_lab, from_lab, to_lab
    from vitrine.inference.recipes import colourway as recipe

    goal = tuple(float(v) for v in target)
    pixels = image[product]
    dominant, _ = dominant_lab(image, product)
    lab = to_lab(pixels)
    weights = recipe.colour_weights(pixels, lab[:, 0], dominant, 10.0)[:, None]
    active = weights[:, 0] > 0
    slope = recipe.lightness_slope(lab[active, 0], dominant[0], goal[0])
    moved = recipe.recolour_lab(lab, dominant, goal, slope=slope)
    residual = np.zeros(3, np.float32)
    output = image.copy()
    for _ in range(recipe.CORRECTION_ROUNDS):
        recoloured = pixels.copy()
        recoloured[active] = from_lab(
            lab[active] + (moved[active] + residual - lab[active]) * weights[active]
        )
        output[product] = recoloured
        achieved, _ = dominant_lab(output, product)
        if delta_e00(achieved, goal) <= 0.5:
            break
        residual = residual + np.float32(np.subtract(goal, achieved))
    return output


_LMS = np.array(
    [[0.4122214708, 0.5363325363, 0.0514459929], [0.2119034982, 0.6806995451, 0.1073969566],
     [0.0883024619, 0.2817188376, 0.6299787005]]
)
_OK = np.array(
    [[0.2104542553, 0.7936177850, -0.0040720468], [1.9779984951, -2.4285922050, 0.4505937099],
     [0.0259040371, 0.7827717662, -0.8086757660]]
)


def _to_oklab(rgb: np.ndarray) -> np.ndarray:
    srgb = rgb.astype(np.float64) / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return np.cbrt(linear @ _LMS.T) @ _OK.T


def _from_oklab(ok: np.ndarray) -> np.ndarray:
    linear = (ok @ np.linalg.inv(_OK).T) ** 3 @ np.linalg.inv(_LMS).T
    linear = np.clip(linear, 0, 1)
    srgb = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(np.rint(srgb * 255), 0, 255).astype(np.uint8)


def oklab_recolour(image: np.ndarray, body: np.ndarray, target: np.ndarray) -> np.ndarray:
    """An independent recolour: in OKLab, the body's median turned (hue), scaled (chroma) and shifted
    (lightness) onto the target; ``body`` (float, 0..1) is how much of each pixel is body, not print.
    The median is corrected a few rounds for what the gamut clipped."""
    where = body > 0
    pixels = image[where]
    weight = body[where][:, None]
    ok = _to_oklab(pixels)
    core = body[where] > 0.9
    source = np.median(ok[core], axis=0)
    wanted = _to_oklab(np.clip(np.rint(lab2rgb(target.reshape(1, 1, 3)).reshape(1, 3) * 255), 0, 255))[0]
    goal = wanted.copy()
    output = image.copy()
    for _ in range(5):
        gain = np.hypot(*goal[1:]) / max(np.hypot(*source[1:]), 1e-4)
        turn = np.arctan2(goal[2], goal[1]) - np.arctan2(source[2], source[1])
        cos, sin = gain * np.cos(turn), gain * np.sin(turn)
        moved = np.empty_like(ok)
        moved[:, 0] = ok[:, 0] + (goal[0] - source[0])
        moved[:, 1] = ok[:, 1] * cos - ok[:, 2] * sin
        moved[:, 2] = ok[:, 1] * sin + ok[:, 2] * cos
        blended = pixels * (1 - weight) + _from_oklab(moved) * weight
        output[where] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        reached = np.median(_to_oklab(output[where][core]), axis=0)
        if np.linalg.norm(reached - wanted) < 0.004:
            break
        goal = goal + (wanted - reached)
    return output


def _max_chroma(lightness: float, hue: float) -> float:
    """The largest CIELAB chroma an sRGB colour of this lightness and hue (radians) can have."""
    low, high = 0.0, 200.0
    for _ in range(30):
        middle = (low + high) / 2
        lab = np.array([lightness, middle * np.cos(hue), middle * np.sin(hue)])
        linear = _lab_to_linear(lab[None])[0]
        low, high = (middle, high) if (linear >= 0).all() and (linear <= 1).all() else (low, middle)
    return low


_XYZ_TO_LINEAR = np.array(
    [[3.24048134, -1.53715152, -0.49853633], [-0.96925495, 1.87599, 0.04155593],
     [0.05564664, -0.20404134, 1.05731107]]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def _lab_to_linear(lab: np.ndarray) -> np.ndarray:
    """CIELAB (D65) to linear sRGB, unclipped (as scikit-image converts before it clips)."""
    fy = (lab[:, 0] + 16) / 116
    f = np.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], axis=1)
    xyz = np.where(f > 6 / 29, f**3, (f - 16 / 116) * 3 * (6 / 29) ** 2) * _WHITE
    return xyz @ _XYZ_TO_LINEAR.T


def lch_recolour(image: np.ndarray, body: np.ndarray, target: np.ndarray, bend: tuple[float, float]) -> np.ndarray:
    """Another recolour: in CIELCh, the body's median hue turned and chroma scaled onto the target's
    (lightness shifted), each channel then clipped to sRGB as an 8-bit image must be. As a turn made in
    another colour space looks in CIELAB, the turn and the chroma scale bend with lightness: ``bend`` is
    (degrees of extra turn, share of extra chroma) per unit of L* away from the median. So neither the
    bend nor the clip (which moves hue and lightness where a colour leaves the gamut) is one similarity
    of the a*b* plane. ``body`` (float, 0..1) is how much of each pixel is body, not print; the median is
    corrected a few rounds for what the clip moved."""
    where = body > 0
    pixels = image[where]
    weight = body[where][:, None]
    lab = rgb2lab(pixels[None].astype(np.float64) / 255)[0]
    core = body[where] > 0.9
    source = np.median(lab[core], axis=0)
    away = lab[:, 0] - source[0]
    goal = target.astype(np.float64).copy()
    output = image.copy()
    for _ in range(6):
        gain = np.hypot(*goal[1:]) / max(np.hypot(*source[1:]), 1e-4) * np.clip(1 + bend[1] * away, 0.2, None)
        turn = np.arctan2(goal[2], goal[1]) - np.arctan2(source[2], source[1]) + np.radians(bend[0]) * away
        plane = (lab[:, 1] + 1j * lab[:, 2]) * gain * np.exp(1j * turn)
        moved = np.stack([lab[:, 0] + goal[0] - source[0], plane.real, plane.imag], axis=1)
        rgb = np.clip(_linear_to_srgb(_lab_to_linear(moved)), 0, 1) * 255
        blended = pixels * (1 - weight) + rgb * weight
        output[where] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        reached = np.median(rgb2lab(output[where][core][None].astype(np.float64) / 255)[0], axis=0)
        if float(delta_e_ciede2000(reached[None], target[None])[0]) < 0.5:
            break
        goal = goal + (target - reached)
    return output


def hsl_turn(image: np.ndarray, body: np.ndarray, degrees: float) -> np.ndarray:
    """Another recolour: each pixel's hue turned by ``degrees`` in HSL, its HSL lightness and saturation
    kept (Photoshop's Hue/Saturation with the hue slider alone). HSL lightness is the mean of the largest
    and smallest channel, not CIE L*, so the turn moves L* by an amount that depends on each pixel's hue
    and chroma. ``body`` (float, 0..1) is how much of each pixel is body, not print."""
    where = body > 0
    pixels = image[where]
    weight = body[where][:, None]
    hls = cv2.cvtColor(pixels[None].astype(np.float32) / 255, cv2.COLOR_RGB2HLS)
    hls[..., 0] = (hls[..., 0] + degrees) % 360
    turned = np.clip(cv2.cvtColor(hls, cv2.COLOR_HLS2RGB)[0], 0, 1) * 255
    output = image.copy()
    output[where] = np.clip(np.rint(pixels * (1 - weight) + turned * weight), 0, 255).astype(np.uint8)
    return output


def _linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0, 1)  # per channel, as an 8-bit sRGB image must hold it
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


def _drifted(image: np.ndarray, part: np.ndarray, drift: float, rng: np.random.Generator) -> np.ndarray:
    """``part`` drifted by ``drift`` (median CIEDE2000); at the gamut's edge a drift the clip takes back
    is drawn again in another direction."""
    before = rgb2lab(image[part][None].astype(np.float64) / 255)[0]
    for _ in range(20):
        drifted = _recoloured(image, part, drift, rng)
        after = rgb2lab(drifted[part][None].astype(np.float64) / 255)[0]
        if float(np.median(delta_e_ciede2000(before, after))) >= drift - 0.5:
            return drifted
    raise RuntimeError("no drift of that size stays in the gamut")


def _gamut_edge_target(rng: np.random.Generator) -> np.ndarray:
    """A reachable target at (or just inside) the most saturated colour of a random lightness and hue."""
    lightness, hue = float(rng.uniform(35, 70)), float(rng.uniform(0, 2 * np.pi))
    chroma = _max_chroma(lightness, hue) * float(rng.uniform(0.97, 1.03))
    return _in_gamut(np.array([lightness, chroma * np.cos(hue), chroma * np.sin(hue)]))


# --- the scene ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    garment: Garment
    body: d.Colour
    ink: d.Colour
    brand: str
    face: d.Typeface
    folds: np.ndarray  # lightness factor per pixel at 2x
    shade: d.Colour | None = None  # the pattern's second shade (default: the body's, darker)


def _drawn(look: Look, backdrop: np.ndarray, *, pattern: str | None = None, logo: str | None = "same",
           brand: str | None = None, logo_ink: d.Colour | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The garment on ``backdrop`` at 512 px: the image, the product mask and the body share (not print)."""
    g = look.garment
    mask = _garment_mask(g)
    shades = [look.body, look.shade or d.darker(look.body, 0.78)]
    fabric = d.pattern((d.BIG, d.BIG), pattern or g.pattern, shades, g.period)
    fabric = np.clip(fabric.astype(np.float32) * look.folds[:, :, None], 0, 255).astype(np.uint8)
    printed = np.zeros((d.BIG, d.BIG, 3), np.uint8)
    shown = g.logo if logo == "same" else logo
    ink = logo_ink or look.ink
    for canvas, colours in ((fabric, (ink, look.ink)), (printed, ((255,) * 3, (255,) * 3))):
        if shown:
            d.emblem(canvas, (g.cx + 90, 470), 46, colours[0], colours[1], shown)
        text = brand or look.brand
        size = look.face.fitted(look.brand, 40, 220)
        look.face.draw(canvas, text, look.brand, (g.cx - 60, 640), size, colours[1])
    image = d.reduce(paste_on(fabric, mask, cv2.resize(backdrop, (d.BIG, d.BIG)), 1.0))
    body = (mask & (printed[:, :, 0] < 8)).astype(np.float32)
    return image, d.reduce_mask(mask), cv2.resize(body, (d.CANVAS, d.CANVAS), interpolation=cv2.INTER_AREA)


def _folds(rng: np.random.Generator) -> np.ndarray:
    noise = cv2.GaussianBlur(rng.normal(size=(d.BIG // 8, d.BIG // 8)).astype(np.float32), (0, 0), 3)
    noise /= max(float(np.abs(noise).max()), 1e-6)
    return 1 + 0.14 * cv2.resize(noise, (d.BIG, d.BIG), interpolation=cv2.INTER_CUBIC)


def colourway_pairs(style: Style) -> list[Pair]:
    rng = np.random.default_rng(style.seed)
    extra_rng = np.random.default_rng(style.seed + 1)
    gamut_rng = np.random.default_rng(style.seed + 2)
    hsl_rng = np.random.default_rng(style.seed + 3)
    made: list[Pair] = []
    for index in range(style.products):
        logo = style.logos[index % len(style.logos)]
        look = Look(
            garment=Garment(
                name=f"colourway-{style.split}-{index}",
                colours=((0, 0, 0), (0, 0, 0)),
                pattern=style.patterns[index % len(style.patterns)],
                period=int(rng.integers(30, 64)),
                logo=logo,
                cx=512 + int(rng.integers(-40, 40)),
            ),
            body=d.colour(rng, 90, 210),
            ink=(245, 245, 240),  # white print: far in hue from any body colour
            brand=style.brands[index % len(style.brands)],
            face=style.typefaces[index % len(style.typefaces)],
            folds=_folds(rng),
        )
        backdrop = _backdrop(rng)
        original, product, body = _drawn(look, backdrop)

        def recolour(image: np.ndarray, target: np.ndarray, body: np.ndarray = body, product=product) -> np.ndarray:
            if style.recolour == "recipe":
                return recipe_recolour(image, product, target)
            return oklab_recolour(image, body, target)

        def add(edit: str, altering: bool, variant: np.ndarray, target: np.ndarray, look=look, original=original,
                product=product) -> None:
            made.append(Pair(f"{look.garment.name}/{edit}", look.garment.name, edit, altering, original, variant,
                             product, kind="colourway", target_colour=tuple(float(v) for v in target)))

        target, second = (_lab_of(d.colour(rng, 70, 220)) for _ in range(2))
        recoloured = recolour(original, target)
        add("recoloured", False, recoloured, target)
        add("recoloured_second_target", False, recolour(original, second), second)
        add("recoloured_jpeg", False, jpeg(recoloured, int(rng.integers(*style.jpeg_quality))), target)
        if style.extra_jpeg_quality is not None:
            quality = style.extra_jpeg_quality
            add("recoloured_jpeg_low", False, jpeg(recoloured, int(extra_rng.integers(*quality))), target)
            add("second_target_jpeg_low", False, jpeg(recolour(original, second), int(extra_rng.integers(*quality))),
                second)
        own = np.median(rgb2lab(original[body > 0.9][None].astype(np.float64) / 255)[0], axis=0)
        add("own_colour", False, original.copy(), own)

        missed = _missed(target, float(rng.uniform(*style.missed_by)), rng)
        add("target_missed", True, recolour(original, missed), target)
        image, _, lost_body = _drawn(look, backdrop, logo=None)
        add("logo_lost", True, recolour(image, target, lost_body), target)
        other_ink = d.colour(rng, 60, 200)
        image, _, _ = _drawn(look, backdrop, logo_ink=other_ink)
        add("logo_recoloured", True, recolour(image, target), target)
        other = [p for p in ("diagonal", "grid", "zigzag", "rings") if p != look.garment.pattern][
            int(rng.integers(0, 3))
        ]
        image, _, pattern_body = _drawn(look, backdrop, pattern=other)
        add("pattern_changed", True, recolour(image, target, pattern_body), target)
        slot = int(rng.integers(0, len(look.brand)))
        letters = [c for c in "ABEHKMNRSTUWXZ" if c != look.brand[slot].upper()]
        swapped = look.brand[:slot] + letters[int(rng.integers(0, len(letters)))] + look.brand[slot + 1 :]
        image, _, letter_body = _drawn(look, backdrop, brand=swapped)
        add("letter_changed", True, recolour(image, target, letter_body), target)
        part = product & (np.mgrid[0 : d.CANVAS, 0 : d.CANVAS][0] > d.CANVAS * rng.uniform(0.55, 0.7))
        add("colour_changed_part", True, _recoloured(recoloured, part, float(rng.uniform(*style.drift)), rng), target)
        pushed, _ = outline_pushed(recoloured, product, rng, outwards=True, px=(style.push_px[0] / 2,
                                                                                style.push_px[1] / 2))
        add("outline_pushed_out", True, pushed, target)
        if style.gamut_edge_jpeg_quality is not None:
            edge = _gamut_edge_target(gamut_rng)
            bend = (float(gamut_rng.uniform(0.3, 0.9)), float(gamut_rng.uniform(0.005, 0.02)))

            def lch(image: np.ndarray, body: np.ndarray, edge=edge, bend=bend) -> np.ndarray:
                return lch_recolour(image, body, edge, bend)

            clipped = lch(original, body)
            add("gamut_edge", False, clipped, edge)
            add("gamut_edge_jpeg", False, jpeg(clipped, int(gamut_rng.integers(*style.gamut_edge_jpeg_quality))),
                edge)
            image, _, lost_body = _drawn(look, backdrop, logo=None)
            add("gamut_edge_logo_lost", True, lch(image, lost_body), edge)
            image, _, _ = _drawn(look, backdrop, logo_ink=d.colour(gamut_rng, 60, 200))
            add("gamut_edge_logo_recoloured", True, lch(image, body), edge)
            image, _, letter_body = _drawn(look, backdrop, brand=swapped)
            add("gamut_edge_letter_changed", True, lch(image, letter_body), edge)
            add("gamut_edge_colour_changed_part", True,
                _drifted(clipped, part, float(gamut_rng.uniform(*style.drift)), gamut_rng), edge)
        if style.hsl_turn_jpeg_quality is not None:
            # A two-tone fabric: the second shade duller than the body at nearly its lightness (L*), so a
            # turn that keeps another lightness moves the two shades' L* apart by different amounts.
            lab = _lab_of(look.body)
            duller = np.array([lab[0] + float(hsl_rng.choice([-1, 1]) * hsl_rng.uniform(2, 6)),
                               *(lab[1:] * float(hsl_rng.uniform(0.25, 0.55)))])
            shade = tuple(int(v) for v in np.clip(np.rint(lab2rgb(duller.reshape(1, 1, 3)).reshape(3) * 255), 0, 255))
            two_tone = replace(look, garment=replace(look.garment, name=f"{look.garment.name}-two-tone"), shade=shade)
            two_tone_original, _, two_tone_body = _drawn(two_tone, backdrop)
            degrees = float(hsl_rng.uniform(40, 320))

            def hsl(image: np.ndarray, body: np.ndarray, degrees=degrees) -> np.ndarray:
                return hsl_turn(image, body, degrees)

            def add_two_tone(edit: str, altering: bool, variant: np.ndarray, target: np.ndarray, look=two_tone,
                             original=two_tone_original) -> None:
                add(edit, altering, variant, target, look=look, original=original)

            turned = hsl(two_tone_original, two_tone_body)
            # The target is the colour the turn reached (a hue slider has no target of its own) as the colourway
            # recipe reads a product's colour: on two tones, a median plain or trimmed can sit between them.
            from vitrine.inference.colourspace import dominant_lab

            reached = np.asarray(dominant_lab(turned, two_tone_body > 0.9)[0], np.float64)
            add_two_tone("hsl_turn", False, turned, reached)
            add_two_tone("hsl_turn_jpeg", False, jpeg(turned, int(hsl_rng.integers(*style.hsl_turn_jpeg_quality))),
                         reached)
            image, _, lost_body = _drawn(two_tone, backdrop, logo=None)
            add_two_tone("hsl_turn_logo_lost", True, hsl(image, lost_body), reached)
            image, _, _ = _drawn(two_tone, backdrop, logo_ink=d.colour(hsl_rng, 60, 200))
            add_two_tone("hsl_turn_logo_recoloured", True, hsl(image, two_tone_body), reached)
            image, _, letter_body = _drawn(two_tone, backdrop, brand=swapped)
            add_two_tone("hsl_turn_letter_changed", True, hsl(image, letter_body), reached)
            add_two_tone("hsl_turn_colour_changed_part", True,
                         _drifted(turned, part, float(hsl_rng.uniform(*style.drift)), hsl_rng), reached)
    return made
