from __future__ import annotations

import json
from pathlib import Path

import pytest

from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine
from vitrine.inference.errors import ConfigurationError, ModelNotConfigured, NonCommercialModelRefused, UnknownModel
from vitrine.inference.registry import ModelRegistry

SDXL = "diffusers/stable-diffusion-xl-1.0-inpainting-0.1"
FLUX = "black-forest-labs/FLUX.1-Fill-dev"


def test_builtin_models_and_their_licences() -> None:
    registry = ModelRegistry()
    table = {spec.id: (spec.pipeline_class, spec.licence, spec.commercial_use) for spec in registry}
    assert table == {
        SDXL: ("StableDiffusionXLInpaintPipeline", "CreativeML Open RAIL++-M", True),
        "stable-diffusion-v1-5/stable-diffusion-inpainting": (
            "StableDiffusionInpaintPipeline", "CreativeML Open RAIL-M", True),
        "Qwen/Qwen-Image-Edit": ("QwenImageEditInpaintPipeline", "Apache-2.0", True),
        FLUX: ("FluxFillPipeline", "FLUX.1 [dev] Non-Commercial License", False),
    }  # fmt: skip
    assert not registry.get("Qwen/Qwen-Image-Edit").batchable


def test_non_commercial_model_needs_the_operator_opt_in() -> None:
    registry = ModelRegistry()
    with pytest.raises(NonCommercialModelRefused) as caught:
        registry.resolve(FLUX, default="", allow_noncommercial=False, purpose="background generation")
    assert "INFERENCE_ALLOW_NONCOMMERCIAL_MODELS" in caught.value.merchant_message
    assert not caught.value.retryable
    assert registry.resolve(FLUX, default="", allow_noncommercial=True, purpose="x").id == FLUX


def test_default_model_and_missing_model() -> None:
    registry = ModelRegistry()
    assert registry.resolve("", default=SDXL, allow_noncommercial=False, purpose="x").id == SDXL
    with pytest.raises(ModelNotConfigured, match=r"model swap needs a diffusion model.*INFERENCE_DEFAULT_MODEL"):
        registry.resolve("", default="", allow_noncommercial=False, purpose="model swap")
    with pytest.raises(UnknownModel, match="'acme/none' is not in the model registry"):
        registry.resolve("acme/none", default="", allow_noncommercial=False, purpose="x")


def test_registry_file_points_models_at_local_folders(tmp_path: Path) -> None:
    folder = tmp_path / "sdxl"
    folder.mkdir()
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": [
        {"id": SDXL, "location": str(folder), "dtype": "float16"},
        {"id": "acme/inpaint", "pipeline_class": "StableDiffusionInpaintPipeline", "location": "acme/inpaint",
         "licence": "Apache-2.0", "commercial_use": True, "resolution": 512},
    ]}))  # fmt: skip
    registry = ModelRegistry.from_file(path)
    sdxl = registry.get(SDXL)
    assert (sdxl.location, sdxl.dtype, sdxl.is_local, sdxl.licence) == (
        str(folder),
        "float16",
        True,
        "CreativeML Open RAIL++-M",
    )
    assert registry.get("acme/inpaint").resolution == 512 and not registry.get("acme/inpaint").is_local
    engine = Engine(EngineConfig(registry_file=str(path), default_model="acme/inpaint"))
    assert engine.resolve_model("", purpose="x").id == "acme/inpaint"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "cannot be read"),
        (json.dumps({"models": {"id": "x"}}), "expected"),
        (json.dumps([{"location": "x"}]), 'must be an object with an "id"'),
        (json.dumps([{"id": "x", "location": "x"}]), "new model x needs commercial_use, licence, pipeline_class"),
        (json.dumps([{"id": SDXL, "colour": "red"}]), "unknown field 'colour'"),
        (json.dumps([{"id": SDXL, "dtype": "int8"}]), "dtype must be one of"),
    ],
)
def test_bad_registry_files_are_configuration_errors(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "models.json"
    path.write_text(document)
    with pytest.raises(ConfigurationError, match=message):
        ModelRegistry.from_file(path)


def test_a_folder_without_weights_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    (tmp_path / "empty").mkdir()
    path.write_text(json.dumps([{"id": SDXL, "location": str(tmp_path / "empty")}]))
    engine = Engine(EngineConfig(device="cpu", registry_file=str(path)))
    with pytest.raises(ConfigurationError, match=f"model {SDXL} could not be loaded from"):
        engine.pipelines.get(engine.registry.get(SDXL))
