"""``colourway``: the product recoloured to another SKU's colour, shading, texture, seams and print kept.

The work happens in CIELAB. The product's dominant colour D (a trimmed median) is moved onto the target T:
a*b* by the rotation and scaling that takes D's hue and chroma onto T's (so a shadow, which carries a
fainter D, carries a fainter T), or by a plain shift when D is nearly grey; L* by one linear map that
takes D's lightness onto T's, its slope shrunk only as far as the product's own range needs to fit, so every
fold and weave keeps its relative contrast (a high-pass of L* stays correlated). Pixels whose colour is
of another mix of light than D (a printed logo, a zip, a label), and pixels of an ``exclude`` mask, keep their bytes.
Gamut clipping can leave the result short of the target: the residual is measured exactly and corrected
(a few rounds). The result is refused when its dominant colour stays further than ``max_delta_e``
(CIEDE2000) from the target. Everything outside the product mask is the source, byte for byte.

The returned ``protect_mask`` is the product (what the fidelity check compares); ``edit_mask`` marks the
pixels that were recoloured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vitrine import edit_kinds
from vitrine.inference.colourspace import (
    Lab,
    delta_e00,
    dominant_lab,
    from_lab,
    lab_to_rgb_exact,
    parse_lab,
    rgb_to_lab_exact,
    to_lab,
)
from vitrine.inference.errors import BadInput, ColourOutOfReach, UnsupportedParameter
from vitrine.inference.masks import classical_protect_mask, mask_from_alpha, mask_from_supplied, split_rgb_alpha
from vitrine.inference.params import Param, ParamSet
from vitrine.inference.recipes.base import Plan, Recipe, Stopwatch, product_mask
from vitrine.inference.schema import RenderRequest, RenderResult

if TYPE_CHECKING:
    from vitrine.inference.engine import Engine

PARAMETERS = ParamSet(
    edit_kinds.COLOURWAY,
    [
        Param("target", "color", None, help='the other SKU\'s colour as "#RRGGBB"'),
        Param("target_lab", "str", "", help='the other SKU\'s colour as CIELAB "L,a,b" (a measured swatch)'),
        Param("target_image", "str", "", help="name of an asset photo of the other SKU; its product colour is used"),
        Param("exclude", "str", "", help="name of an asset mask (white = keep its colour): a logo, a zip, a label"),
        Param(
            "outlier_tolerance",
            "float",
            10.0,
            minimum=0.0,
            maximum=60.0,
            help="degrees of hue/mix away from the dominant colour beyond which a pixel is print and keeps its "
            "colour; 0 = off",
        ),
        Param("max_delta_e", "float", 3.0, minimum=0.5, maximum=20.0, help="CIEDE2000 the result may miss by"),
    ],
)
# Below this chroma the dominant colour has no hue worth rotating: a*b* are shifted instead.
GREY_CHROMA = 4.0
# Above this chroma the rotation alone applies; in between the two are mixed.
HUE_CHROMA = 12.0
# Chroma may grow at most this much (a faint beige to a saturated red would blow up sensor noise).
MAX_CHROMA_GAIN = 4.0
CORRECTION_ROUNDS = 4
# Pixels this far in L* from the dominant colour are print (a black zip), not shading.
OUTLIER_L_RADIUS = 40.0
# L* kept this far from black and white when deciding how much shading contrast fits around the target.
LIGHTNESS_MARGIN = 2.0


def _target_colour(params: dict, request: RenderRequest, engine: Engine) -> tuple[Lab, str]:
    """The target in exact CIELAB and where it came from."""
    given = [name for name in ("target", "target_lab", "target_image") if params[name]]
    if len(given) != 1:
        raise UnsupportedParameter(
            "the colourway recipe needs exactly one of 'target' (\"#RRGGBB\"), 'target_lab' (\"L,a,b\") or "
            f"'target_image' (an asset photo of the other SKU); got {', '.join(given) or 'none'}"
        )
    if params["target"]:
        return tuple(float(v) for v in rgb_to_lab_exact(params["target"])[0]), "hex"  # type: ignore[return-value]
    if params["target_lab"]:
        try:
            return parse_lab(params["target_lab"]), "lab"
        except ValueError as exc:
            raise UnsupportedParameter(f"parameter 'target_lab' of the colourway recipe: {exc}") from None
    name = params["target_image"]
    if name not in request.assets:
        raise UnsupportedParameter(
            f"parameter 'target_image' names {name!r}, but the request carries "
            f"{', '.join(sorted(request.assets)) or 'no images'}"
        )
    rgb, alpha = split_rgb_alpha(request.assets[name])
    mask = mask_from_alpha(alpha) if alpha is not None else classical_protect_mask(rgb)
    if not mask.mask.any() or mask.confidence < engine.config.min_mask_confidence:
        raise BadInput(
            f"the product in the target photo {name!r} could not be outlined (confidence {mask.confidence:.2f}); "
            "give the colour as 'target' or 'target_lab' instead"
        )
    lab, _ = dominant_lab(rgb, mask.mask)
    return lab, "image"


def lightness_slope(lightness: np.ndarray, dominant_l: float, target_l: float) -> float:
    """The gain on L* deviations: 1 (every fold and weave kept at full contrast) unless the product's own
    darkest or lightest pixels would leave 0..100 around the target, then just small enough to fit."""
    if lightness.size == 0:
        return 1.0
    low, high = np.percentile(lightness, [0.5, 99.5])
    slope = 1.0
    if low < dominant_l:
        slope = min(slope, max(target_l - LIGHTNESS_MARGIN, 0.0) / (dominant_l - low))
    if high > dominant_l:
        slope = min(slope, max(100.0 - LIGHTNESS_MARGIN - target_l, 0.0) / (high - dominant_l))
    return max(slope, 0.05)


def recolour_lab(lab: np.ndarray, dominant: Lab, target: Lab, *, slope: float = 1.0) -> np.ndarray:
    """Pixels (N, 3, float32 CIELAB) moved from ``dominant`` to ``target``; see the module docstring."""
    d_l, d_a, d_b = dominant
    t_l, t_a, t_b = target
    out = np.empty_like(lab)
    # Lightness: one slope keeps the high-pass of L* perfectly correlated.
    out[:, 0] = t_l + (lab[:, 0] - d_l) * slope
    a, b = lab[:, 1], lab[:, 2]
    shifted_a, shifted_b = a + (t_a - d_a), b + (t_b - d_b)
    d_chroma, t_chroma = float(np.hypot(d_a, d_b)), float(np.hypot(t_a, t_b))
    if d_chroma >= GREY_CHROMA:
        gain = min(MAX_CHROMA_GAIN, t_chroma / d_chroma)
        turn = np.arctan2(t_b, t_a) - np.arctan2(d_b, d_a)
        cos, sin = np.float32(gain * np.cos(turn)), np.float32(gain * np.sin(turn))
        rotated_a, rotated_b = a * cos - b * sin, a * sin + b * cos
        mix = np.float32(min(1.0, (d_chroma - GREY_CHROMA) / (HUE_CHROMA - GREY_CHROMA)))
        out[:, 1] = mix * rotated_a + (1 - mix) * shifted_a
        out[:, 2] = mix * rotated_b + (1 - mix) * shifted_b
    else:
        out[:, 1], out[:, 2] = shifted_a, shifted_b
    return out


def _linear(rgb: np.ndarray) -> np.ndarray:
    srgb = rgb.astype(np.float32) / np.float32(255.0)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4).astype(np.float32)


def colour_weights(rgb: np.ndarray, lightness: np.ndarray, dominant: Lab, tolerance: float) -> np.ndarray:
    """Per pixel (N,), 1 = the dominant colour (recolour), 0 = print that keeps its colour.

    Shading scales light, not its mix: in linear RGB a shadow or a highlight of D points the same way as D
    does. So the angle between a pixel's linear RGB and D's tells print (a white logo on red is ~50 degrees
    away) from shading (0 degrees); pixels far darker or lighter than any fold (a black zip) are print too."""
    if tolerance <= 0:
        return np.ones(len(rgb), np.float32)
    reference = _linear(np.asarray(lab_to_rgb_exact(dominant), np.uint8))
    reference = reference / max(float(np.linalg.norm(reference)), 1e-6)
    pixels = _linear(rgb)
    norms = np.linalg.norm(pixels, axis=1)
    cosine = (pixels @ reference) / np.maximum(norms, 1e-6)
    angle = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    # Near black the direction is noise: such pixels count as shade of D unless lightness says otherwise.
    angle[norms < 0.02] = 0.0
    weight = np.clip((1.5 * tolerance - angle) / (0.5 * tolerance), 0.0, 1.0)
    weight[np.abs(lightness - dominant[0]) > OUTLIER_L_RADIUS] = 0.0
    return weight.astype(np.float32)


@dataclass(eq=False)
class ColourwayPlan(Plan):
    target: Lab = (0.0, 0.0, 0.0)
    target_source: str = ""
    exclude: np.ndarray | None = None

    def finish(self, generated: np.ndarray | None) -> RenderResult:
        mask = self.protect.mask
        params = self.params
        with self.stopwatch.stage("measure"):
            dominant, share = dominant_lab(self.source, mask)
        with self.stopwatch.stage("recolour"):
            lab = to_lab(self.source[mask])
            weight_map = np.zeros(mask.shape, np.float32)
            weight_map[mask] = colour_weights(self.source[mask], lab[:, 0], dominant, params["outlier_tolerance"])
            if self.exclude is not None:
                weight_map[self.exclude] = 0.0
            weights = weight_map[mask][:, None]
            members = weights[:, 0] > 0
            slope = lightness_slope(lab[members, 0], dominant[0], self.target[0])
            moved = recolour_lab(lab, dominant, self.target, slope=slope)
            output = self.source.copy()
            achieved = dominant
            rounds = 0
            residual = np.zeros(3, np.float32)
            # Only pixels with a weight are converted back; print and everything else keep their bytes.
            pixels = self.source[mask]
            active = weights[:, 0] > 0
            lab_active, moved_active, weights_active = lab[active], moved[active], weights[active]
            while rounds < CORRECTION_ROUNDS:
                rounds += 1
                recoloured = pixels.copy()
                recoloured[active] = from_lab(lab_active + (moved_active + residual - lab_active) * weights_active)
                output[mask] = recoloured
                achieved, _ = dominant_lab(output, mask)
                miss = delta_e00(achieved, self.target)
                if miss <= min(0.5, params["max_delta_e"] / 4):
                    break
                # Out-of-gamut pixels were clipped: push the rest further by what is missing.
                residual = residual + np.float32(np.subtract(self.target, achieved))
        miss = delta_e00(achieved, self.target)
        if miss > params["max_delta_e"]:
            raise ColourOutOfReach(
                f"the product's colour reaches {_describe(achieved)} but the target is {_describe(self.target)} "
                f"(CIEDE2000 {miss:.1f}, allowed {params['max_delta_e']:.1f}): the target may lie outside what "
                "the screen can show at this product's shading; check the swatch"
            )
        edit = weight_map > 0
        details = {
            "target_lab": _rounded(self.target),
            "target_rgb": "#{:02X}{:02X}{:02X}".format(*lab_to_rgb_exact(self.target)),
            "target_source": self.target_source,
            "dominant_before_lab": _rounded(dominant),
            "dominant_after_lab": _rounded(achieved),
            "dominant_share": round(share, 4),
            "delta_e00_to_target": round(miss, 3),
            "delta_e00_before": round(delta_e00(dominant, self.target), 3),
            "recoloured_share": round(float(edit.sum() / max(1, mask.sum())), 4),
            "correction_rounds": rounds,
            "lightness_slope": round(slope, 3),
            "mask_method": self.protect.method,
        }
        return self.result(image=output, protect=self.protect, edit_mask=edit, details=details)


def _rounded(lab: Lab) -> list[float]:
    return [round(v, 2) for v in lab]


def _describe(lab: Lab) -> str:
    return "#{:02X}{:02X}{:02X}".format(*lab_to_rgb_exact(lab)) + f" (Lab {lab[0]:.0f}, {lab[1]:.0f}, {lab[2]:.0f})"


class ColourwayRecipe(Recipe):
    name = edit_kinds.COLOURWAY
    parameters = PARAMETERS

    def prepare(self, request: RenderRequest, source: np.ndarray, alpha: np.ndarray | None, engine: Engine) -> Plan:
        stopwatch = Stopwatch()
        params, warnings = PARAMETERS.resolve(dict(request.params))
        target, origin = _target_colour(params, request, engine)
        exclude = None
        if params["exclude"]:
            if params["exclude"] not in request.assets:
                raise UnsupportedParameter(
                    f"parameter 'exclude' names {params['exclude']!r}, but the request carries "
                    f"{', '.join(sorted(request.assets)) or 'no images'}"
                )
            size = (source.shape[1], source.shape[0])
            exclude = mask_from_supplied(request.assets[params["exclude"]], size).mask
        with stopwatch.stage("mask"):
            protect = product_mask(request, source, alpha, engine)
        return ColourwayPlan(
            request=request,
            source=source,
            params=params,
            stopwatch=stopwatch,
            protect=protect,
            warnings=warnings,
            target=target,
            target_source=origin,
            exclude=exclude,
        )
