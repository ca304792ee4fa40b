"""``model_swap``: keep the garment exactly, regenerate the person wearing it from a market description.

Diffusion only. The garment mask comes from a supplied mask or the segmentation model; the region
regenerated is the person's face, hair and skin around the garment (or, with ``keep_background`` off or
no segmentation to find the person, everything outside the garment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vitrine import edit_kinds
from vitrine.inference.errors import ConfigurationError, NoPersonFound, UnsupportedParameter
from vitrine.inference.jobs import InpaintJob
from vitrine.inference.masks import ProtectMask, dilate, mask_from_supplied, require_usable
from vitrine.inference.params import Param, ParamSet
from vitrine.inference.pasteback import paste_back
from vitrine.inference.recipes.base import Plan, Recipe, Stopwatch
from vitrine.inference.schema import RenderRequest, RenderResult
from vitrine.inference.segmentation import Segmentation

if TYPE_CHECKING:
    from vitrine.inference.engine import Engine

DESCRIPTORS = ("age", "gender", "ethnicity", "body_size", "hair", "styling")
DEFAULT_NEGATIVE_PROMPT = (
    "deformed, bad anatomy, extra limbs, extra fingers, disfigured face, blurry, watermark, text, low quality"
)

PARAMETERS = ParamSet(
    edit_kinds.MODEL_SWAP,
    [
        Param("age", "str", "", help='e.g. "in her thirties"'),
        Param("gender", "str", "", help='e.g. "woman"'),
        Param("ethnicity", "str", "", help='e.g. "East Asian"'),
        Param("body_size", "str", "", help='e.g. "plus-size", "slim"'),
        Param("hair", "str", "", help='e.g. "short black"'),
        Param("styling", "str", "", help="make-up, accessories, expression, pose"),
        Param("prompt", "str", "", help="further words appended to the description"),
        Param("negative_prompt", "str", DEFAULT_NEGATIVE_PROMPT),
        Param("keep_background", "bool", True, help="regenerate only the person (needs the segmentation model)"),
        Param("feather", "int", 2, minimum=0, maximum=32),
        Param("model", "str", "", help="model registry id; default INFERENCE_DEFAULT_MODEL"),
        Param(
            "reference",
            "str",
            "",
            help="name of an asset photo of the target model (instruction-editing models take it as a second image)",
        ),
        Param("steps", "int", None, minimum=1, maximum=150),
        Param("guidance", "float", None, minimum=0.0, maximum=50.0),
        Param("strength", "float", 1.0, minimum=0.05, maximum=1.0),
    ],
)


def describe_model(params: dict[str, Any]) -> str:
    """The prompt: who the new model is, in the template's words, plus photographic context."""
    pieces = ["photo of a fashion model", params["gender"], params["age"], params["ethnicity"]]
    if params["body_size"]:
        pieces.append(f"{params['body_size']} body")
    if params["hair"]:
        pieces.append(f"{params['hair']} hair")
    pieces += [params["styling"], "wearing the garment shown, natural skin, professional fashion photography"]
    pieces.append(params["prompt"])
    return ", ".join(piece for piece in pieces if piece)


@dataclass(eq=False)
class ModelSwapPlan(Plan):
    edit_region: np.ndarray | None = None  # bool: the pixels the model may regenerate

    def finish(self, generated: np.ndarray | None) -> RenderResult:
        if generated is None or self.edit_region is None:
            raise ValueError("model swap is diffusion only: it needs the regenerated frame")
        with self.stopwatch.stage("composite"):
            # Everything outside the edit region goes back, not only the garment: the VAE touched it all.
            output = paste_back(self.source, generated, ~self.edit_region, feather=self.params["feather"])
        return self.result(
            image=output,
            protect=self.protect,
            edit_mask=self.edit_region,
            details={
                "mask_method": self.protect.method,
                "mask_confidence": self.protect.confidence,
                "edit_share": round(float(self.edit_region.mean()), 4),
                "prompt": self.job.prompt if self.job else "",
            },
        )


class ModelSwapRecipe(Recipe):
    name = edit_kinds.MODEL_SWAP
    parameters = PARAMETERS

    def prepare(self, request: RenderRequest, source: np.ndarray, alpha: np.ndarray | None, engine: Engine) -> Plan:
        stopwatch = Stopwatch()
        params, warnings = PARAMETERS.resolve(request.params)
        spec = engine.resolve_model(params["model"], purpose="model swap")
        if not any(params[name] for name in (*DESCRIPTORS, "prompt")):
            raise UnsupportedParameter(
                "model swap needs a description of the new model: set at least one of "
                f"{', '.join(DESCRIPTORS)} or prompt"
            )
        size = (source.shape[1], source.shape[0])
        with stopwatch.stage("mask"):
            segmentation = None
            if engine.segmentation_model is not None and (request.mask is None or params["keep_background"]):
                segmentation = engine.segmentation_model.segment(source)
            if request.mask is not None:
                garment = mask_from_supplied(request.mask, size)
            elif segmentation is not None:
                garment = segmentation.protect_mask("garment")
            else:
                raise ConfigurationError(
                    "model swap needs the garment's outline: supply a mask, or set INFERENCE_SEGMENTATION_MODEL "
                    "to a clothes-segmentation model"
                )
            garment = require_usable(garment, min_confidence=engine.config.min_mask_confidence, what="garment")
            edit_region = self._edit_region(garment, segmentation, params, warnings)
        references: tuple[np.ndarray, ...] = ()
        if params["reference"]:
            if params["reference"] not in request.assets:
                raise UnsupportedParameter(
                    f"parameter 'reference' names {params['reference']!r}, but the request carries "
                    f"{', '.join(sorted(request.assets)) or 'no images'}"
                )
            if spec.task != "edit":
                warnings.append(f"model {spec.id} takes no reference photo: 'reference' was ignored")
            else:
                references = (np.asarray(request.assets[params["reference"]].convert("RGB"), dtype=np.uint8),)
        prompt = describe_model(params)
        if spec.task == "edit":
            # Instruction models are told what to change and what to keep, not shown a mask.
            prompt = (
                f"Replace the person with a new {prompt.removeprefix('photo of a ')}"
                + (", looking like the person in picture 2" if references else "")
                + ". Keep the garment, its colour, print and fit exactly as they are."
            )
        job = InpaintJob(
            image=source,
            edit_mask=edit_region,
            prompt=prompt,
            references=references,
            negative_prompt=params["negative_prompt"],
            seed=request.seed,
            steps=params["steps"] or spec.default_steps,
            guidance=spec.default_guidance if params["guidance"] is None else params["guidance"],
            strength=params["strength"],
        )
        return ModelSwapPlan(
            request=request,
            source=source,
            params=params,
            stopwatch=stopwatch,
            protect=garment,
            warnings=warnings,
            job=job,
            spec=spec,
            edit_region=edit_region,
        )

    @staticmethod
    def _edit_region(
        garment: ProtectMask, segmentation: Segmentation | None, params: dict[str, Any], warnings: list[str]
    ) -> np.ndarray:
        if not params["keep_background"]:
            return ~garment.mask
        if segmentation is None:
            warnings.append("no segmentation model to find the person: everything outside the garment is regenerated")
            return ~garment.mask
        person = segmentation.person() & ~garment.mask
        if not person.any():
            raise NoPersonFound("no person was found around the garment, so there is nobody to replace")
        # A margin lets the new person's outline differ a little from the old one.
        margin = max(2, round(0.01 * max(garment.mask.shape)))
        return dilate(person, margin) & ~garment.mask
