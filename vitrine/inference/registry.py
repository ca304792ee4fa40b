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

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ConfigurationError(f"model {self.id}: dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if not self.location:
            raise ConfigurationError(f"model {self.id}: location (a local folder or hub id) is empty")
        if self.resolution < 64 or self.size_multiple < 1 or self.default_steps < 1:
            raise ConfigurationError(f"model {self.id}: resolution, size_multiple and default_steps must be positive")

    @property
    def is_local(self) -> bool:
        return Path(self.location).is_dir()


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

    def resolve(self, model_id: str, *, default: str, allow_noncommercial: bool, purpose: str) -> ModelSpec:
        """The spec to run ``purpose`` with: the template's choice, else the default; licence checked."""
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
        return spec
