from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests import photos
from vitrine.inference.engine import Engine, RenderRequest, derive_seed, shared_engine
from vitrine.inference.errors import ImageTooSmall, InferenceError, UnknownRecipe


def test_unknown_recipe(classical_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    known = "background, cleanup, colourway, model_swap"
    with pytest.raises(UnknownRecipe, match=f"unknown edit recipe 'cartoonify'; known: {known}"):
        classical_engine.render(RenderRequest(image=image, recipe="cartoonify"))


def test_tiny_images_are_refused(classical_engine: Engine) -> None:
    with pytest.raises(ImageTooSmall, match="the photo is 12x40 px"):
        classical_engine.render(RenderRequest(image=Image.new("RGB", (12, 40)), recipe="background"))


def test_every_error_has_a_merchant_message_and_a_retry_decision(classical_engine: Engine) -> None:
    image, _ = photos.packshot(64)
    outcomes = classical_engine.render_batch([
        RenderRequest(image=image, recipe="background", params={"mode": "generate", "prompt": "x"}),
        RenderRequest(image=image, recipe="background", params={"feather": -1}),
        RenderRequest(image=Image.new("RGB", (64, 64)), recipe="background"),
    ])  # fmt: skip
    assert all(isinstance(outcome, InferenceError) for outcome in outcomes)
    assert all(outcome.merchant_message and not outcome.retryable for outcome in outcomes)


def test_result_metadata(classical_engine: Engine) -> None:
    image, _ = photos.packshot(64, transparent=True)
    result = classical_engine.render(RenderRequest(image=image, recipe="background", seed=42))
    metadata = result.metadata
    assert metadata.recipe == "background" and metadata.seed == 42 and metadata.backend == "classical"
    assert metadata.params["mode"] == "solid" and metadata.params["color"] == [255, 255, 255]
    assert metadata.timings["total"] >= metadata.timings["prepare"]
    assert result.image.mode == "RGB" and result.offset == (0, 0)
    assert result.edit_mask.dtype == bool and np.array_equal(result.edit_mask, ~result.protect_mask.mask)


def test_derived_seeds_are_stable_and_fit_a_signed_bigint() -> None:
    seed = derive_seed("sha", "background", {"mode": "solid"})
    assert seed == derive_seed("sha", "background", {"mode": "solid"})
    assert seed != derive_seed("sha", "background", {"mode": "studio"})
    assert 0 <= seed < 2**63


def test_shared_engine_follows_the_settings(settings) -> None:
    settings.INFERENCE_DEFAULT_MODEL = ""
    first = shared_engine()
    assert shared_engine() is first
    settings.INFERENCE_DEFAULT_MODEL = "stable-diffusion-v1-5/stable-diffusion-inpainting"
    rebuilt = shared_engine()
    assert rebuilt is not first and rebuilt.config.default_model.startswith("stable-diffusion-v1-5")
