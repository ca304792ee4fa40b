"""The diffusion model registry: what each model is, where its weights live, and whether we may use it.

Built-in entries name real models by their hub id. An operator points an entry at a local folder (or
adds a model) with a JSON file named by ``INFERENCE_MODEL_REGISTRY_FILE``::

    {"models": [
        {"id": "diffusers/stable-diffusion-xl-1.0-inpainting-0.1", "location": "/models/sdxl-inpaint"},
        {"id": "my-inpaint", "pipeline_class": "StableDiffusionInpaintPipeline", "location": "/models/mine",
         "licence": "Apache-2.0", "commercial_use": true, "resolution": 512}
    ]}

An entry with the id of a built-in one overrides only the fields it gives.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitrine.inference.errors import (
    ConfigurationError,
    ModelNotConfigured,
    NonCommercialModelRefused,
    UnknownModel,
)

DTYPES = ("float32", "float16", "bfloat16")
# What a model does, which decides how the engine calls it:
#   inpaint: a diffusers pipeline regenerating the masked area (image + mask_image + prompt)
#   edit:    a diffusers instruction-editing pipeline (image(s) + instruction, no mask): it redraws the whole
#            frame and the recipe pastes back everything outside the area it was asked to change
#   segment: a transformers segmentation model for protect masks (box-prompted or semantic)
#   external: a model whose code is not in diffusers or transformers; listed for its licence only
TASKS = ("inpaint", "edit", "segment", "external")


@dataclass(frozen=True)
class ModelSpec:
    id: str
    pipeline_class: str  # a diffusers pipeline class name
    location: str  # local folder or hub id
    licence: str
    commercial_use: bool
    dtype: str = "bfloat16"  # on accelerators; CPU always runs float32
    default_steps: int = 30
    default_guidance: float = 7.5
    guidance_argument: str = "guidance_scale"  # the pipeline keyword that carries classifier-free guidance
    resolution: int = 1024  # long side the model works at
    size_multiple: int = 8  # working width/height are rounded to this
    batchable: bool = True  # False: the pipeline is called once per image
    task: str = "inpaint"  # one of TASKS

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigurationError(f"model {self.id}: task must be one of {', '.join(TASKS)}, not {self.task!r}")
        if self.dtype not in DTYPES:
            raise ConfigurationError(f"model {self.id}: dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if not self.location:
            raise ConfigurationError(f"model {self.id}: location (a local folder or hub id) is empty")
        if self.resolution < 64 or self.size_multiple < 1 or self.default_steps < 1:
            raise ConfigurationError(f"model {self.id}: resolution, size_multiple and default_steps must be positive")

    @property
    def is_local(self) -> bool:
        return Path(self.location).is_dir()


def _noncommercial(model_id: str, pipeline_class: str, licence: str, *, task: str = "external") -> ModelSpec:
    """A model the gate refuses unless the operator opts in: listed so that naming it fails clearly."""
    return ModelSpec(
        id=model_id, pipeline_class=pipeline_class, location=model_id, licence=licence, commercial_use=False, task=task
    )


BUILTIN_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
        pipeline_class="StableDiffusionXLInpaintPipeline",
        location="diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
        licence="CreativeML Open RAIL++-M",
        commercial_use=True,
        default_steps=30,
        default_guidance=8.0,
        resolution=1024,
    ),
    ModelSpec(
        id="stable-diffusion-v1-5/stable-diffusion-inpainting",
        pipeline_class="StableDiffusionInpaintPipeline",
        location="stable-diffusion-v1-5/stable-diffusion-inpainting",
        licence="CreativeML Open RAIL-M",
        commercial_use=True,
        dtype="float16",
        default_steps=30,
        default_guidance=7.5,
        resolution=512,
    ),
    ModelSpec(
        id="Qwen/Qwen-Image-Edit",
        pipeline_class="QwenImageEditInpaintPipeline",
        location="Qwen/Qwen-Image-Edit",
        licence="Apache-2.0",
        commercial_use=True,
        default_steps=50,
        default_guidance=4.0,
        guidance_argument="true_cfg_scale",
        resolution=1024,
        size_multiple=16,
        # Batched calls of the Qwen edit pipelines are unreliable: one image per call.
        batchable=False,
    ),
    # Instruction editing with Chinese and English text rendering; several input images (the product photo,
    # then references such as the target model for a model swap).
    *(
        ModelSpec(
            id=model_id,
            pipeline_class="QwenImageEditPlusPipeline",
            location=model_id,
            licence="Apache-2.0",
            commercial_use=True,
            default_steps=40,
            default_guidance=4.0,
            guidance_argument="true_cfg_scale",
            resolution=1024,
            size_multiple=16,
            batchable=False,
            task="edit",
        )
        for model_id in ("Qwen/Qwen-Image-Edit-2509", "Qwen/Qwen-Image-Edit-2511")
    ),
    ModelSpec(
        id="meituan-longcat/LongCat-Image-Edit",
        pipeline_class="LongCatImageEditPipeline",
        location="meituan-longcat/LongCat-Image-Edit",
        licence="Apache-2.0",
        commercial_use=True,
        default_steps=50,
        default_guidance=4.5,
        resolution=1024,
        size_multiple=16,
        batchable=False,
        task="edit",
    ),
    # Fast inpainting: step-distilled, four steps without classifier-free guidance.
    ModelSpec(
        id="black-forest-labs/FLUX.2-klein-4B",
        pipeline_class="Flux2KleinInpaintPipeline",
        location="black-forest-labs/FLUX.2-klein-4B",
        licence="Apache-2.0",
        commercial_use=True,
        default_steps=4,
        default_guidance=1.0,
        resolution=1024,
        size_multiple=16,
    ),
    # Protect masks: SAM 2.1 prompted with a box (from the classical mask or the merchant).
    ModelSpec(
        id="facebook/sam2.1-hiera-large",
        pipeline_class="Sam2Model",
        location="facebook/sam2.1-hiera-large",
        licence="Apache-2.0",
        commercial_use=True,
        dtype="float32",
        resolution=1024,
        task="segment",
    ),
    # The weights' card says MIT, but they are trained on the ATR human-parsing set, whose terms restrict
    # use to research: not cleared for commercial use until that is settled.
    ModelSpec(
        id="mattmdjaga/segformer_b2_clothes",
        pipeline_class="SegformerForSemanticSegmentation",
        location="mattmdjaga/segformer_b2_clothes",
        licence="MIT (weights); trained on ATR, research-only terms",
        commercial_use=False,
        dtype="float32",
        resolution=512,
        task="segment",
    ),
    ModelSpec(
        id="black-forest-labs/FLUX.1-Fill-dev",
        pipeline_class="FluxFillPipeline",
        location="black-forest-labs/FLUX.1-Fill-dev",
        licence="FLUX.1 [dev] Non-Commercial License",
        commercial_use=False,
        default_steps=50,
        default_guidance=30.0,
        resolution=1024,
        size_multiple=16,
    ),
    ModelSpec(
        id="black-forest-labs/FLUX.1-Kontext-dev",
        pipeline_class="FluxKontextInpaintPipeline",
        location="black-forest-labs/FLUX.1-Kontext-dev",
        licence="FLUX.1 [dev] Non-Commercial License",
        commercial_use=False,
        default_steps=28,
        default_guidance=2.5,
        resolution=1024,
        size_multiple=16,
    ),
    ModelSpec(
        id="black-forest-labs/FLUX.2-klein-9B",
        pipeline_class="Flux2KleinInpaintPipeline",
        location="black-forest-labs/FLUX.2-klein-9B",
        licence="FLUX Non-Commercial License",
        commercial_use=False,
        default_steps=4,
        default_guidance=1.0,
        resolution=1024,
        size_multiple=16,
    ),
    _noncommercial("Qwen/Qwen-Image-2.1", "QwenImage21Pipeline", "Qwen-Image-2.1 licence (non-commercial)"),
    _noncommercial(
        "briaai/RMBG-1.4", "AutoModelForImageSegmentation", "bria-rmbg-1.4 (non-commercial)", task="segment"
    ),
    _noncommercial("briaai/RMBG-2.0", "AutoModelForImageSegmentation", "CC BY-NC 4.0", task="segment"),
    _noncommercial("zhengchong/CatVTON", "CatVTONPipeline", "CC BY-NC-SA 4.0"),
    _noncommercial("yisol/IDM-VTON", "IDMVTONPipeline", "CC BY-NC-SA 4.0"),
    _noncommercial("levihsu/OOTDiffusion", "OOTDiffusionPipeline", "CC BY-NC-SA 4.0"),
    _noncommercial("BoyuanJiang/FitDiT", "FitDiTPipeline", "FitDiT licence (non-commercial)"),
)

_FIELDS = {f.name: f for f in dataclasses.fields(ModelSpec)}


def _spec_from_entry(entry: Any, base: ModelSpec | None, source: str) -> ModelSpec:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
        raise ConfigurationError(f'{source}: every model entry must be an object with an "id"')
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise ConfigurationError(f"{source}: model {entry['id']} has unknown field {unknown[0]!r}")
    if base is None:
        missing = sorted(name for name, f in _FIELDS.items() if f.default is dataclasses.MISSING and name not in entry)
        if missing:
            raise ConfigurationError(f"{source}: new model {entry['id']} needs {', '.join(missing)}")
        return ModelSpec(**entry)
    return dataclasses.replace(base, **entry)


class ModelRegistry:
    def __init__(self, specs: Iterable[ModelSpec] = BUILTIN_MODELS) -> None:
        self._specs: dict[str, ModelSpec] = {spec.id: spec for spec in specs}

    @classmethod
    def from_file(cls, path: str | Path, base: Iterable[ModelSpec] = BUILTIN_MODELS) -> ModelRegistry:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"the model registry file {path} cannot be read: {exc}") from exc
        entries = document.get("models") if isinstance(document, dict) else document
        if not isinstance(entries, list):
            raise ConfigurationError(f'{path}: expected {{"models": [...]}} or a list of model entries')
        registry = cls(base)
        for entry in entries:
            existing = registry._specs.get(entry.get("id")) if isinstance(entry, dict) else None
            spec = _spec_from_entry(entry, existing, str(path))
            registry._specs[spec.id] = spec
        return registry

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._specs.values())

    def get(self, model_id: str) -> ModelSpec:
        try:
            return self._specs[model_id]
        except KeyError:
            raise UnknownModel(
                f"diffusion model {model_id!r} is not in the model registry; known: {', '.join(sorted(self._specs))}"
            ) from None

    def resolve(
        self,
        model_id: str,
        *,
        default: str,
        allow_noncommercial: bool,
        purpose: str,
        tasks: tuple[str, ...] = ("inpaint", "edit"),
    ) -> ModelSpec:
        """The spec to run ``purpose`` with: the template's choice, else the default; licence and task checked."""
        chosen = model_id or default
        if not chosen:
            raise ModelNotConfigured(
                f"{purpose} needs a diffusion model and none is configured: set INFERENCE_DEFAULT_MODEL "
                "to a model registry id (or give the template a 'model' parameter)"
            )
        spec = self.get(chosen)
        if not spec.commercial_use and not allow_noncommercial:
            raise NonCommercialModelRefused(
                f"model {spec.id} is licensed for non-commercial use only ({spec.licence}); set "
                "INFERENCE_ALLOW_NONCOMMERCIAL_MODELS=true only if you hold a licence that covers this shop"
            )
        if spec.task not in tasks:
            raise ConfigurationError(
                f"model {spec.id} is a {spec.task} model and cannot be used for {purpose}; "
                f"that needs one of: {', '.join(tasks)}"
            )
        return spec
