"""Each newer model family, as a tiny random-weight instance of its real architecture, saved and loaded back
through the model registry and the engine: the image comes out at the photo's size with the product's
bytes pasted back, and a text edit is still read back by OCR."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests import photos
from tests.inference import tiny_models
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import ConfigurationError, TextReadBackFailed
from vitrine.inference.segmentation import BoxSegmenter

pytestmark = pytest.mark.slow  # each family runs its 1024 px conditioning path: seconds per call

KLEIN = "tiny/flux2-klein-4b"
QWEN_EDIT = "tiny/qwen-image-edit-2511"
LONGCAT = "tiny/longcat-image-edit"
SAM = "tiny/sam2.1"


@pytest.fixture(scope="module")
def family_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("families")
    entries = [
        {"id": KLEIN, "pipeline_class": "Flux2KleinInpaintPipeline", "location": str(
            tiny_models.build_tiny_flux2_klein_inpaint(root / "klein")), "licence": "Apache-2.0",
         "commercial_use": True, "dtype": "float32", "default_steps": 2, "default_guidance": 1.0, "resolution": 64,
         "size_multiple": 16},
        {"id": QWEN_EDIT, "pipeline_class": "QwenImageEditPlusPipeline", "location": str(
            tiny_models.build_tiny_qwen_image_edit_plus(root / "qwen")), "licence": "Apache-2.0",
         "commercial_use": True, "dtype": "float32", "default_steps": 2, "default_guidance": 1.0,
         "guidance_argument": "true_cfg_scale", "resolution": 64, "size_multiple": 32, "batchable": False,
         "task": "edit"},
        {"id": LONGCAT, "pipeline_class": "LongCatImageEditPipeline", "location": str(
            tiny_models.build_tiny_longcat_image_edit(root / "longcat")), "licence": "Apache-2.0",
         "commercial_use": True, "dtype": "float32", "default_steps": 2, "default_guidance": 1.0, "resolution": 64,
         "size_multiple": 16, "batchable": False, "task": "edit"},
        {"id": SAM, "pipeline_class": "Sam2Model", "location": str(tiny_models.build_tiny_sam2(root / "sam2")),
         "licence": "Apache-2.0", "commercial_use": True, "dtype": "float32", "task": "segment"},
    ]  # fmt: skip
    registry = root / "registry.json"
    registry.write_text(json.dumps({"models": entries}), encoding="utf-8")
    return Engine(EngineConfig(device="cpu", registry_file=str(registry), cpu_threads=1))


@pytest.mark.parametrize("model", [KLEIN, QWEN_EDIT, LONGCAT])
def test_generated_background_keeps_the_product_exactly(family_engine: Engine, model: str) -> None:
    image, mask = photos.packshot(80, seed=2)
    result = family_engine.render(
        RenderRequest(image=image, recipe="background", mask=mask, seed=7,
                      params={"mode": "generate", "prompt": "a marble table", "model": model})
    )  # fmt: skip
    assert result.image.size == image.size
    assert result.metadata.model_id == model and result.metadata.model_licence == "Apache-2.0"
    output, source = np.asarray(result.image), np.asarray(image)
    assert np.array_equal(output[mask], source[mask])
    assert not np.array_equal(output[~mask], source[~mask])  # the model did redraw the rest
    assert family_engine.pipelines.loaded()[-1] == model


def test_model_swap_with_a_reference_photo_through_the_edit_model(family_engine: Engine) -> None:
    image, garment = photos.packshot(64, seed=3)
    reference, _ = photos.packshot(64, product_color=(200, 150, 120), seed=4)
    result = family_engine.render(
        RenderRequest(image=image, recipe="model_swap", mask=garment, assets={"who": reference},
                      params={"model": QWEN_EDIT, "gender": "woman", "reference": "who", "keep_background": False})
    )  # fmt: skip
    assert result.image.size == image.size
    assert np.array_equal(np.asarray(result.image)[garment], np.asarray(image)[garment])
    assert "picture 2" in result.metadata.details["prompt"]


def test_generative_text_localization_pastes_back_outside_the_text_and_reads_back(family_engine: Engine) -> None:
    photo = photos.text_photo([("SALE", (20, 20), 36), ("COTTON", (20, 70), 30)], size=(224, 120))
    source = np.asarray(photo)
    # Removing a line ("remove, don't translate"): the edit model's pixels are used only in that line's area.
    result = family_engine.render(
        RenderRequest(image=photo, recipe="text_localize",
                      params={"target_language": "de", "render": "model", "model": LONGCAT, "min_confidence": 0.3,
                              "translations": {"SALE": "", "COTTON": "COTTON"}})
    )  # fmt: skip
    edited = result.edit_mask
    assert result.image.size == photo.size
    assert edited.any() and edited.mean() < 0.5
    assert np.array_equal(np.asarray(result.image)[~edited], source[~edited])
    assert [line["target"] for line in result.metadata.details["lines"]] == [""]
    # A translation the random model cannot have written is refused by the OCR read-back.
    with pytest.raises(TextReadBackFailed, match="the edit model wrote"):
        family_engine.render(
            RenderRequest(image=photo, recipe="text_localize",
                          params={"target_language": "de", "render": "model", "model": QWEN_EDIT,
                                  "min_confidence": 0.3, "translations": {"SALE": "RABATT", "COTTON": "BAUMWOLLE"}})
        )  # fmt: skip


def test_an_inpainting_model_cannot_rewrite_text(family_engine: Engine) -> None:
    photo = photos.text_photo([("SALE", (20, 20), 36)], size=(160, 80))
    with pytest.raises(ConfigurationError, match="is a inpaint model and cannot be used for rewriting text"):
        family_engine.render(
            RenderRequest(image=photo, recipe="text_localize",
                          params={"target_language": "de", "render": "model", "model": KLEIN,
                                  "translations": {"SALE": "RABATT"}})
        )  # fmt: skip


def test_sam_refines_the_classical_mask_from_its_box(family_engine: Engine, tmp_path: Path) -> None:
    location = family_engine.registry.get(SAM).location
    image, _ = photos.packshot(96, seed=5)
    segmented = BoxSegmenter(location).segment(np.asarray(image), (20, 10, 80, 90))
    assert segmented.mask.shape == (96, 96) and segmented.method == "sam"
    engine = Engine(EngineConfig(device="cpu", box_segmentation_model=location, min_mask_confidence=0.0))
    assert engine.box_segmenter is not None
    result = engine.render(RenderRequest(image=image, recipe="background", params={"mode": "solid"}))
    assert result.protect_mask.method == "sam"
    keep = result.protect_mask.mask
    assert np.array_equal(np.asarray(result.image)[keep], np.asarray(image)[keep])
    # A merchant's box prompts it directly.
    boxed = engine.render(
        RenderRequest(image=image, recipe="background", params={"mode": "solid"}, box=(10, 5, 90, 92))
    )
    assert boxed.protect_mask.method == "sam"
