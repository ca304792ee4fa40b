"""Every generative path, end to end on the CPU with tiny random-weight pipelines loaded from disk."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image

from tests import photos
from tests.inference.conftest import TINY_SD, TINY_SDXL
from tests.inference.test_background import assert_product_exact
from vitrine.inference.config import EngineConfig
from vitrine.inference.diffusion import working_size
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import ModelNotConfigured, RenderTimedOut, UnknownModel
from vitrine.inference.registry import BUILTIN_MODELS


def generate(prompt: str = "a sunny beach", **extra: object) -> dict:
    return {"mode": "generate", "prompt": prompt, **extra}


@pytest.mark.parametrize("model", [TINY_SD, TINY_SDXL])
def test_background_inpainting_keeps_the_product_exact(diffusion_engine: Engine, model: str) -> None:
    image, _ = photos.packshot(64)
    result = diffusion_engine.render(
        RenderRequest(image=image, recipe="background", params=generate(model=model), seed=7)
    )
    assert_product_exact(image, result)
    metadata = result.metadata
    assert (metadata.backend, metadata.model_id, metadata.model_licence) == ("diffusers", model, "Apache-2.0")
    assert metadata.seed == 7 and metadata.details["diffusion_batch"] == 1
    assert metadata.timings["diffusion"] > 0
    assert model in diffusion_engine.pipelines.loaded()
    # The generator really ran: the background is no longer the source's flat white.
    away = ~result.protect_mask.mask
    assert not np.array_equal(np.asarray(result.image)[away], np.asarray(image)[away])


def test_same_seed_same_image_other_seed_other_image(diffusion_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    first, again, other = (
        diffusion_engine.render(RenderRequest(image=image, recipe="background", params=generate(), seed=seed))
        for seed in (11, 11, 12)
    )
    assert np.array_equal(np.asarray(first.image), np.asarray(again.image))
    assert not np.array_equal(np.asarray(first.image), np.asarray(other.image))


def test_batched_requests_share_one_call_with_one_generator_per_image(diffusion_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    requests = [RenderRequest(image=image, recipe="background", params=generate(), seed=s) for s in (1, 2, 3)]
    batched = diffusion_engine.render_batch(requests)
    assert [r.metadata.details["diffusion_batch"] for r in batched] == [3, 3, 3]
    for request, result in zip(requests, batched, strict=True):
        alone = diffusion_engine.render(request)
        difference = np.abs(np.asarray(alone.image).astype(int) - np.asarray(result.image).astype(int))
        assert difference.max() <= 2  # an image's noise depends on its own seed only


def test_batch_mixes_results_and_errors(diffusion_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    outcomes = diffusion_engine.render_batch([
        RenderRequest(image=image, recipe="background", params=generate(), seed=1),
        RenderRequest(image=image, recipe="background", params=generate(model="nobody/unknown")),
        RenderRequest(image=Image.new("RGB", (64, 64), "white"), recipe="background", params=generate()),
        RenderRequest(image=image, recipe="background", params={"mode": "solid"}),
    ])  # fmt: skip
    assert outcomes[0].metadata.backend == "diffusers"
    assert isinstance(outcomes[1], UnknownModel) and "not in the model registry" in str(outcomes[1])
    assert "no product was found" in str(outcomes[2])
    assert outcomes[3].metadata.backend == "classical"


def test_different_sizes_run_as_separate_calls(diffusion_engine: Engine) -> None:
    square, _ = photos.packshot(64)
    wide = Image.new("RGB", (96, 64), "white")
    wide.paste(square, (16, 0))
    results = diffusion_engine.render_batch([
        RenderRequest(image=square, recipe="background", params=generate(), seed=1),
        RenderRequest(image=wide, recipe="background", params=generate(), seed=1),
    ])  # fmt: skip
    assert [r.metadata.details["diffusion_batch"] for r in results] == [1, 1]
    assert results[1].image.size == (96, 64)
    assert_product_exact(wide, results[1])


def test_real_photo_background_with_a_supplied_mask(diffusion_engine: Engine) -> None:
    photo = Image.fromarray(skimage.data.chelsea()).resize((96, 64))
    mask = np.zeros((64, 96), bool)
    mask[10:60, 25:70] = True
    result = diffusion_engine.render(
        RenderRequest(image=photo, recipe="background", params=generate("a garden"), mask=mask, seed=3)
    )
    assert_product_exact(photo, result, erosion=0)


def test_time_limit_stops_the_denoising_loop(diffusion_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    [outcome] = diffusion_engine.render_batch(
        [RenderRequest(image=image, recipe="background", params=generate())], time_limit_s=1e-9
    )
    assert isinstance(outcome, RenderTimedOut)
    assert not outcome.retryable and "took longer than" in outcome.merchant_message


def test_no_model_configured_names_the_setting(classical_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    with pytest.raises(ModelNotConfigured, match="set INFERENCE_DEFAULT_MODEL"):
        classical_engine.render(RenderRequest(image=image, recipe="background", params=generate()))


def test_working_size_follows_the_model() -> None:
    models = {spec.id: spec for spec in BUILTIN_MODELS}
    sdxl = models["diffusers/stable-diffusion-xl-1.0-inpainting-0.1"]
    sd = models["stable-diffusion-v1-5/stable-diffusion-inpainting"]
    flux = models["black-forest-labs/FLUX.1-Fill-dev"]
    assert working_size(3000, 2000, sdxl) == (1024, 680)
    assert working_size(800, 1200, sd) == (344, 512)
    assert working_size(1000, 1000, flux) == (1024, 1024)
    assert all(side % 16 == 0 for side in working_size(777, 1333, flux))


def test_pipeline_cache_evicts_least_recently_used(tiny_models) -> None:
    engine = Engine(
        EngineConfig(device="cpu", registry_file=str(tiny_models["registry"]), pipeline_memory_budget_gb=1e-9)
    )
    first = engine.pipelines.get(engine.registry.get(TINY_SD))
    assert engine.pipelines.get(engine.registry.get(TINY_SD)) is first  # resident: not loaded again
    engine.pipelines.get(engine.registry.get(TINY_SDXL))
    assert engine.pipelines.loaded() == [TINY_SDXL]  # over budget: the older one went
