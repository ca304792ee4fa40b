from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine
from vitrine.inference.errors import ConfigurationError, ModelNotConfigured, NonCommercialModelRefused, UnknownModel
from vitrine.inference.registry import TASKS, ModelRegistry

SDXL = "diffusers/stable-diffusion-xl-1.0-inpainting-0.1"
FLUX = "black-forest-labs/FLUX.1-Fill-dev"


def test_builtin_models_and_their_licences() -> None:
    registry = ModelRegistry()
    table = {spec.id: (spec.pipeline_class, spec.task, spec.licence, spec.commercial_use) for spec in registry}
    assert table == {
        SDXL: ("StableDiffusionXLInpaintPipeline", "inpaint", "CreativeML Open RAIL++-M", True),
        "stable-diffusion-v1-5/stable-diffusion-inpainting": (
            "StableDiffusionInpaintPipeline", "inpaint", "CreativeML Open RAIL-M", True),
        "Qwen/Qwen-Image-Edit": ("QwenImageEditInpaintPipeline", "inpaint", "Apache-2.0", True),
        "Qwen/Qwen-Image-Edit-2509": ("QwenImageEditPlusPipeline", "edit", "Apache-2.0", True),
        "Qwen/Qwen-Image-Edit-2511": ("QwenImageEditPlusPipeline", "edit", "Apache-2.0", True),
        "meituan-longcat/LongCat-Image-Edit": ("LongCatImageEditPipeline", "edit", "Apache-2.0", True),
        "black-forest-labs/FLUX.2-klein-4B": ("Flux2KleinInpaintPipeline", "inpaint", "Apache-2.0", True),
        "facebook/sam2.1-hiera-large": ("Sam2Model", "segment", "Apache-2.0", True),
        "mattmdjaga/segformer_b2_clothes": (
            "SegformerForSemanticSegmentation", "segment", "MIT (weights); trained on ATR, research-only terms", False),
        FLUX: ("FluxFillPipeline", "inpaint", "FLUX.1 [dev] Non-Commercial License", False),
        "black-forest-labs/FLUX.1-Kontext-dev": (
            "FluxKontextInpaintPipeline", "inpaint", "FLUX.1 [dev] Non-Commercial License", False),
        "black-forest-labs/FLUX.2-klein-9B": (
            "Flux2KleinInpaintPipeline", "inpaint", "FLUX Non-Commercial License", False),
        "Qwen/Qwen-Image-2.1": ("QwenImage21Pipeline", "external", "Qwen-Image-2.1 licence (non-commercial)", False),
        "briaai/RMBG-1.4": ("AutoModelForImageSegmentation", "segment", "bria-rmbg-1.4 (non-commercial)", False),
        "briaai/RMBG-2.0": ("AutoModelForImageSegmentation", "segment", "CC BY-NC 4.0", False),
        "zhengchong/CatVTON": ("CatVTONPipeline", "external", "CC BY-NC-SA 4.0", False),
        "yisol/IDM-VTON": ("IDMVTONPipeline", "external", "CC BY-NC-SA 4.0", False),
        "levihsu/OOTDiffusion": ("OOTDiffusionPipeline", "external", "CC BY-NC-SA 4.0", False),
        "BoyuanJiang/FitDiT": ("FitDiTPipeline", "external", "FitDiT licence (non-commercial)", False),
    }  # fmt: skip
    assert not registry.get("Qwen/Qwen-Image-Edit").batchable
    assert not registry.get("Qwen/Qwen-Image-Edit-2511").batchable


def test_every_generative_or_segmentation_entry_names_an_installed_class() -> None:
    import diffusers
    import transformers

    for spec in ModelRegistry():
        if spec.task in ("inpaint", "edit"):
            assert hasattr(diffusers, spec.pipeline_class), spec.id
        elif spec.task == "segment":
            assert hasattr(transformers, spec.pipeline_class), spec.id


def test_the_gate_refuses_every_non_commercial_entry_by_default() -> None:
    registry = ModelRegistry()
    refused = [spec for spec in registry if not spec.commercial_use]
    assert len(refused) == 11
    for spec in refused:
        with pytest.raises(NonCommercialModelRefused, match=re.escape(spec.id)):
            registry.resolve(spec.id, default="", allow_noncommercial=False, purpose="x", tasks=TASKS)
        with pytest.raises(NonCommercialModelRefused):
            # Named as the deployment's default, too.
            registry.resolve("", default=spec.id, allow_noncommercial=False, purpose="x", tasks=TASKS)
        assert registry.resolve(spec.id, default="", allow_noncommercial=True, purpose="x", tasks=TASKS) == spec
    for spec in registry:
        if spec.commercial_use:
            assert registry.resolve(spec.id, default="", allow_noncommercial=False, purpose="x", tasks=TASKS) == spec


def test_the_gate_covers_segmentation_settings_and_tasks_must_match(tmp_path: Path) -> None:
    with pytest.raises(NonCommercialModelRefused, match="segformer_b2_clothes"):
        Engine(EngineConfig(device="cpu", segmentation_model="mattmdjaga/segformer_b2_clothes"))
    with pytest.raises(NonCommercialModelRefused, match=r"RMBG-2\.0"):
        Engine(EngineConfig(device="cpu", box_segmentation_model="briaai/RMBG-2.0"))
    opted_in = Engine(
        EngineConfig(
            device="cpu", segmentation_model="mattmdjaga/segformer_b2_clothes", allow_noncommercial_models=True
        )
    )
    assert opted_in.segmentation_model is not None
    assert opted_in.segmentation_model.location == "mattmdjaga/segformer_b2_clothes"
    folder = str(tmp_path)  # a folder of the operator's own is not a registry entry: no gate
    assert Engine(EngineConfig(device="cpu", segmentation_model=folder)).segmentation_model.location == folder
    with pytest.raises(ConfigurationError, match="is a segment model and cannot be used for background"):
        ModelRegistry().resolve(
            "facebook/sam2.1-hiera-large", default="", allow_noncommercial=False, purpose="background generation"
        )


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
        (json.dumps([{"id": SDXL, "task": "paint"}]), "task must be one of"),
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


def test_models_command_lists_licences_and_the_gate(settings, capsys) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    settings.INFERENCE_MODEL_REGISTRY_FILE = ""
    settings.INFERENCE_ALLOW_NONCOMMERCIAL_MODELS = False
    call_command("models")
    lines = {line.split("\t")[0]: line.split("\t") for line in capsys.readouterr().out.splitlines()}
    assert lines["Qwen/Qwen-Image-Edit-2511"][1:] == [
        "edit", "QwenImageEditPlusPipeline", "Apache-2.0", "commercial=yes", "allowed"]
    assert lines["yisol/IDM-VTON"][-2:] == ["commercial=no", "refused (non-commercial)"]
    assert len(lines) == len(list(ModelRegistry()))
