"""``background``: the product stays, everything around it is replaced.

Classical modes composite onto a solid colour, a gradient, a studio sweep or a scene photo, with a soft
contact shadow under the product. ``marketplace`` builds a main image to the usual marketplace rules:
pure #FFFFFF, square, the product filling ~85% of the frame, long side >= 1000 px; a product too small
for that is enlarged (Lanczos, or a super-resolution model) and the factor recorded. ``generate`` has a
diffusion model inpaint a described scene around the protected product.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from vitrine import edit_kinds
from vitrine.inference.errors import UnsupportedParameter
from vitrine.inference.jobs import InpaintJob
from vitrine.inference.params import Color, Param, ParamSet
from vitrine.inference.pasteback import paste_back
from vitrine.inference.recipes.base import Plan, Recipe, Stopwatch, product_mask
from vitrine.inference.schema import RenderRequest, RenderResult
from vitrine.inference.upscale import REVIEW_FACTOR, upscale_alpha, upscale_mask, upscale_rgb

if TYPE_CHECKING:
    from vitrine.inference.engine import Engine

CLASSICAL_MODES = ("solid", "gradient", "studio", "scene")
MODES = (*CLASSICAL_MODES, "marketplace", "generate")
# Marketplaces accept a product fill a little under the target; below this the product is enlarged.
FILL_TOLERANCE = 0.05
DEFAULT_NEGATIVE_PROMPT = "text, watermark, logo, blurry, distorted, extra objects, low quality"

PARAMETERS = ParamSet(
    edit_kinds.BACKGROUND,
    [
        Param("mode", "str", "solid", choices=MODES, help="how the new background is made"),
        Param(
            "color",
            "color",
            "#FFFFFF",
            modes=("solid", "gradient", "studio"),
            help="solid colour; gradient start; studio floor",
        ),
        Param("color2", "color", "#DCDFE4", modes=("gradient", "studio"), help="gradient end; studio wall"),
        Param("direction", "str", "vertical", choices=("vertical", "horizontal", "radial"), modes=("gradient",)),
        Param("scene", "str", "", modes=("scene",), help="name of the scene image among the request's assets"),
        Param("shadow", "bool", True, modes=CLASSICAL_MODES, help="soft contact shadow under the product"),
        Param("shadow_opacity", "float", 0.35, minimum=0.0, maximum=1.0, modes=CLASSICAL_MODES),
        Param("feather", "int", 2, minimum=0, maximum=32, help="px of soft edge outside the product"),
        Param(
            "fill",
            "float",
            0.85,
            minimum=0.5,
            maximum=0.95,
            modes=("marketplace",),
            help="share of the frame's side the product's long side fills",
        ),
        Param("min_side", "int", 1000, minimum=500, maximum=4000, modes=("marketplace",)),
        Param("prompt", "str", "", modes=("generate",), help="the scene to generate around the product"),
        Param("negative_prompt", "str", DEFAULT_NEGATIVE_PROMPT, modes=("generate",)),
        Param("model", "str", "", modes=("generate",), help="model registry id; default INFERENCE_DEFAULT_MODEL"),
        Param("steps", "int", None, minimum=1, maximum=150, modes=("generate",)),
        Param("guidance", "float", None, minimum=0.0, maximum=50.0, modes=("generate",)),
        Param("strength", "float", 1.0, minimum=0.05, maximum=1.0, modes=("generate",)),
    ],
)


def _ramp(start: Color, end: Color, t: np.ndarray) -> np.ndarray:
    """Colours from ``start`` (t=0) to ``end`` (t=1) for every weight in ``t``."""
    a, b = np.asarray(start, np.float32), np.asarray(end, np.float32)
    return np.clip(np.rint(a + (b - a) * t[..., None]), 0, 255).astype(np.uint8)


def gradient(height: int, width: int, start: Color, end: Color, direction: str) -> np.ndarray:
    if direction == "vertical":
        t = np.broadcast_to(np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None], (height, width))
    elif direction == "horizontal":
        t = np.broadcast_to(np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :], (height, width))
    else:
        fall_x = ((np.arange(width, dtype=np.float32) - width / 2) / (width / 2)) ** 2
        fall_y = ((np.arange(height, dtype=np.float32) - height / 2) / (height / 2)) ** 2
        t = np.minimum(np.sqrt(fall_y[:, None] + fall_x[None, :]) / math.sqrt(2), 1.0)
    # 256 steps are all 8 bits can show: look colours up instead of interpolating every pixel.
    palette = _ramp(start, end, np.linspace(0.0, 1.0, 256, dtype=np.float32))
    return np.take(palette, np.rint(t * 255).astype(np.uint8), axis=0)


def studio_sweep(height: int, width: int, floor: Color, wall: Color, mask: np.ndarray) -> np.ndarray:
    """A seamless paper sweep: wall colour at the top curving into the floor colour behind the product's base."""
    rows = np.flatnonzero(mask.any(axis=1))
    base = rows[-1] if rows.size else int(height * 0.8)
    top = rows[0] if rows.size else int(height * 0.2)
    horizon = float(np.clip(base - 0.15 * (base - top), 0.3 * height, 0.9 * height))
    band = 0.25 * height
    y = np.arange(height, dtype=np.float32)
    t = np.clip((y - (horizon - band)) / (2 * band), 0.0, 1.0)
    t = t * t * (3 - 2 * t)  # smoothstep: no visible seam where the wall meets the floor
    sweep = _ramp(wall, floor, t).astype(np.float32)
    # A soft fall-off of the key light toward the corners (float32 and separable: the frame is large).
    fall_x = ((np.arange(width, dtype=np.float32) - width / 2) / (width / 2)) ** 2
    fall_y = ((y - horizon) / height) ** 2
    light = 1.0 - 0.06 * (fall_y[:, None] + fall_x[None, :])
    # Per channel with OpenCV's saturating round: broadcasting (H, W, 3) in numpy costs ten times more.
    return cv2.merge([cv2.convertScaleAbs(light * sweep[:, channel][:, None]) for channel in range(3)])


def cover(scene: np.ndarray, height: int, width: int) -> np.ndarray:
    """``scene`` scaled to cover the frame and centre-cropped."""
    scale = max(width / scene.shape[1], height / scene.shape[0])
    size = (max(width, math.ceil(scene.shape[1] * scale)), max(height, math.ceil(scene.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(scene, size, interpolation=interpolation)
    y0, x0 = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])


def contact_shadow(background: np.ndarray, mask: np.ndarray, opacity: float) -> np.ndarray:
    """Darken a soft ellipse under the product's footprint; only its neighbourhood is computed."""
    rows = np.flatnonzero(mask.any(axis=1))
    if opacity <= 0 or rows.size == 0:
        return background
    top, bottom = int(rows[0]), int(rows[-1])
    product_height = bottom - top + 1
    foot_rows = mask[max(top, bottom - max(2, int(0.03 * product_height))) : bottom + 1]
    cols = np.flatnonzero(foot_rows.any(axis=0))
    centre_x = (cols[0] + cols[-1]) / 2.0
    axis_x = max(4.0, (cols[-1] - cols[0]) / 2.0 * 1.1)
    axis_y = max(2.0, 0.035 * product_height)
    height, width = mask.shape
    x0, x1 = max(0, int(centre_x - 1.6 * axis_x)), min(width, int(centre_x + 1.6 * axis_x) + 1)
    y0, y1 = max(0, int(bottom - 3 * axis_y)), min(height, int(bottom + 4 * axis_y) + 1)
    if x1 <= x0 or y1 <= y0:
        return background
    shade = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.ellipse(shade, (round(centre_x - x0), bottom - y0), (int(axis_x), int(axis_y)), 0, 0, 360, 1.0, -1)
    shade = cv2.GaussianBlur(shade, (0, 0), sigmaX=max(1.0, 0.15 * axis_x), sigmaY=max(1.0, axis_y))
    shaded = background.copy()
    roi = shaded[y0:y1, x0:x1].astype(np.float32) * (1.0 - opacity * shade)[..., None]
    shaded[y0:y1, x0:x1] = np.clip(np.rint(roi), 0, 255).astype(np.uint8)
    return shaded


@dataclass(eq=False)
class BackgroundPlan(Plan):
    alpha: np.ndarray | None = None  # the source's own alpha, when it has one: blends the rim
    upscale_model: str = ""  # a super-resolution model for enlarging small products; "" = Lanczos
    device: str = "cpu"

    @property
    def feather(self) -> int:
        return 0 if self.alpha is not None else self.params["feather"]

    def finish(self, generated: np.ndarray | None) -> RenderResult:
        mode = self.params["mode"]
        if mode == "marketplace":
            return self._marketplace()
        with self.stopwatch.stage("composite"):
            if mode == "generate":
                if generated is None:
                    raise ValueError("the generate mode needs the regenerated frame")
                background = generated
            else:
                background = self._classical_background()
            output = paste_back(self.source, background, self.protect.mask, feather=self.feather, edge_alpha=self.alpha)
        return self.result(image=output, protect=self.protect, edit_mask=~self.protect.mask, details=self._details())

    def _details(self, **extra: object) -> dict[str, object]:
        return {
            "mode": self.params["mode"],
            "mask_method": self.protect.method,
            "mask_confidence": self.protect.confidence,
            **extra,
        }

    def _classical_background(self) -> np.ndarray:
        height, width = self.source.shape[:2]
        mode, p = self.params["mode"], self.params
        if mode == "solid":
            background = np.empty_like(self.source)
            background[...] = p["color"]
        elif mode == "gradient":
            background = gradient(height, width, p["color"], p["color2"], p["direction"])
        elif mode == "studio":
            background = studio_sweep(height, width, p["color"], p["color2"], self.protect.mask)
        else:
            scene = self.request.assets[p["scene"]]
            background = cover(np.asarray(scene.convert("RGB"), dtype=np.uint8), height, width)
        if p["shadow"]:
            background = contact_shadow(background, self.protect.mask, p["shadow_opacity"])
        return background

    def _marketplace(self) -> RenderResult:
        source, mask, alpha = self.source, self.protect.mask, self.alpha
        fill, min_side = self.params["fill"], self.params["min_side"]
        x0, y0, x1, y1 = self._product_box(mask)
        long_side = max(y1 - y0, x1 - x0)
        factor, origin, method = 1.0, (0.0, 0.0), ""
        if long_side < (fill - FILL_TOLERANCE) * min_side:
            # Too small for the marketplace's minimum: enlarge the product's neighbourhood (not the whole
            # photo) to the wanted fill. Its pixels are resampled, so the factor is recorded on the variant.
            with self.stopwatch.stage("upscale"):
                source, mask, alpha, factor, origin, method = self._enlarged(
                    (x0, y0, x1, y1), fill * min_side / long_side)
            x0, y0, x1, y1 = self._product_box(mask)
            long_side = max(y1 - y0, x1 - x0)
        side = max(min_side, math.ceil(long_side / fill))
        dx, dy = (side - (x1 - x0)) // 2 - x0, (side - (y1 - y0)) // 2 - y0
        height, width = mask.shape
        # Where the source lands on the canvas (clipped to both).
        sx0, sy0, sx1, sy1 = max(0, -dx), max(0, -dy), min(width, side - dx), min(height, side - dy)
        canvas_window = (slice(sy0 + dy, sy1 + dy), slice(sx0 + dx, sx1 + dx))
        placed_source = np.full((side, side, 3), 255, np.uint8)
        placed_source[canvas_window] = source[sy0:sy1, sx0:sx1]
        placed_mask = np.zeros((side, side), bool)
        placed_mask[canvas_window] = mask[sy0:sy1, sx0:sx1]
        placed_alpha = None
        if alpha is not None:
            placed_alpha = np.zeros((side, side), np.uint8)
            placed_alpha[canvas_window] = alpha[sy0:sy1, sx0:sx1]
        with self.stopwatch.stage("composite"):
            white = np.full_like(placed_source, 255)
            output = paste_back(placed_source, white, placed_mask, feather=self.feather, edge_alpha=placed_alpha)
        protect = dataclasses.replace(self.protect, mask=placed_mask)
        extra: dict[str, object] = {"product_fill": round(long_side / side, 4), "canvas": side,
                                    "upscale": round(factor, 4)}
        if factor > 1.0:
            extra["upscale_method"] = method
            if factor > REVIEW_FACTOR:
                extra["review_reasons"] = [
                    f"the product was enlarged {factor:.1f}x (more than {REVIEW_FACTOR:g}x) to reach the "
                    f"marketplace's {min_side} px minimum: check that it is still sharp"
                ]
        # Source pixel (x, y) sits at output (x * upscale + dx, y * upscale + dy).
        offset = (round(dx - origin[0] * factor), round(dy - origin[1] * factor))
        return self.result(image=output, protect=protect, edit_mask=~placed_mask, offset=offset,
                           details=self._details(**extra))

    def _product_box(self, mask: np.ndarray) -> tuple[int, int, int, int]:
        """The product's bounding box with room for the feathered rim: (x0, y0, x1, y1), end exclusive."""
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        margin = self.feather + 1
        return int(cols[0] - margin), int(rows[0] - margin), int(cols[-1] + margin + 1), int(rows[-1] + margin + 1)

    def _enlarged(self, box: tuple[int, int, int, int], factor: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float, tuple[float, float], str]:
        height, width = self.protect.mask.shape
        x0, y0 = max(0, box[0]), max(0, box[1])
        x1, y1 = min(width, box[2]), min(height, box[3])
        size = (max(1, round((x1 - x0) * factor)), max(1, round((y1 - y0) * factor)))
        source, method = upscale_rgb(self.source[y0:y1, x0:x1], size, model_path=self.upscale_model,
                                     device=self.device)
        mask = upscale_mask(self.protect.mask[y0:y1, x0:x1], size)
        alpha = upscale_alpha(self.alpha[y0:y1, x0:x1], size) if self.alpha is not None else None
        return source, mask, alpha, factor, (float(x0), float(y0)), method


class BackgroundRecipe(Recipe):
    name = edit_kinds.BACKGROUND
    parameters = PARAMETERS

    def prepare(self, request: RenderRequest, source: np.ndarray, alpha: np.ndarray | None, engine: Engine) -> Plan:
        stopwatch = Stopwatch()
        given = dict(request.params)
        params, warnings = PARAMETERS.resolve(given, mode=given.get("mode") or PARAMETERS.params["mode"].default)
        mode = params["mode"]
        if mode == "scene" and params["scene"] not in request.assets:
            named = params["scene"] or "(none)"
            raise UnsupportedParameter(
                f"background mode 'scene' needs the scene image: parameter 'scene' names {named!r}, "
                f"but the request carries {', '.join(sorted(request.assets)) or 'no images'}"
            )
        if mode == "generate" and not params["prompt"].strip():
            raise UnsupportedParameter("background mode 'generate' needs a 'prompt' describing the scene")
        spec = None
        if mode == "generate":
            spec = engine.resolve_model(params["model"], purpose="generating a background")
        with stopwatch.stage("mask"):
            protect = product_mask(request, source, alpha, engine, allow_uncertain=True)
        plan = BackgroundPlan(
            request=request,
            source=source,
            params=params,
            stopwatch=stopwatch,
            warnings=warnings,
            protect=protect,
            alpha=alpha if protect.method == "alpha" else None,
            spec=spec,
            upscale_model=engine.config.upscale_model,
            device=engine.config.device,
        )
        if spec is not None:
            plan.job = InpaintJob(
                image=source,
                edit_mask=~protect.mask,
                # Instruction-editing models are told what to change; inpainting models are shown a mask.
                prompt=(
                    f"Replace the background with {params['prompt']}. Keep the product exactly as it is."
                    if spec.task == "edit"
                    else params["prompt"]
                ),
                negative_prompt=params["negative_prompt"],
                seed=request.seed,
                steps=params["steps"] or spec.default_steps,
                guidance=spec.default_guidance if params["guidance"] is None else params["guidance"],
                strength=params["strength"],
            )
        return plan
