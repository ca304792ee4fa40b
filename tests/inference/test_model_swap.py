from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image

from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import ConfigurationError, ModelNotConfigured, UnsupportedParameter
from vitrine.inference.masks import erode
from vitrine.inference.recipes.model_swap import PARAMETERS, describe_model

MARKET = {"gender": "woman", "age": "in her thirties", "ethnicity": "East Asian", "body_size": "plus-size"}


def astronaut(size: int = 64) -> tuple[Image.Image, np.ndarray]:
    """A real portrait and a hand-drawn garment mask (the suit's torso)."""
    photo = Image.fromarray(skimage.data.astronaut()).resize((size, size))
    garment = np.zeros((size, size), bool)
    garment[size // 2 :, size // 8 : size * 7 // 8] = True
    return photo, garment


def test_without_a_diffusion_model_it_fails_naming_the_setting(classical_engine: Engine) -> None:
    photo, garment = astronaut()
    with pytest.raises(ModelNotConfigured) as caught:
        classical_engine.render(RenderRequest(image=photo, recipe="model_swap", params=MARKET, mask=garment))
    assert "INFERENCE_DEFAULT_MODEL" in caught.value.merchant_message
    assert not caught.value.retryable


def test_without_a_garment_outline_it_names_the_segmentation_setting(diffusion_engine: Engine) -> None:
    photo, _ = astronaut()
    with pytest.raises(ConfigurationError, match="INFERENCE_SEGMENTATION_MODEL"):
        diffusion_engine.render(RenderRequest(image=photo, recipe="model_swap", params=MARKET))


def test_supplied_garment_mask_keeps_the_garment_exact(diffusion_engine: Engine) -> None:
    photo, garment = astronaut()
    result = diffusion_engine.render(
        RenderRequest(image=photo, recipe="model_swap", params=MARKET, mask=garment, seed=5)
    )
    src, out = np.asarray(photo), np.asarray(result.image)
    assert np.array_equal(out[garment], src[garment])
    assert np.array_equal(out[~result.edit_mask], src[~result.edit_mask])
    assert not np.array_equal(out[result.edit_mask], src[result.edit_mask])
    assert result.metadata.backend == "diffusers"
    assert "no segmentation model" in " ".join(result.metadata.warnings)
    assert "East Asian" in result.metadata.details["prompt"]


def test_segmentation_finds_garment_and_person(segmentation_engine: Engine) -> None:
    photo, _ = astronaut()
    result = segmentation_engine.render(RenderRequest(image=photo, recipe="model_swap", params=MARKET, seed=5))
    assert result.protect_mask.method == "segmentation"
    src, out = np.asarray(photo), np.asarray(result.image)
    kept = erode(result.protect_mask.mask, 1)
    assert np.array_equal(out[kept], src[kept])
    assert np.array_equal(out[~result.edit_mask], src[~result.edit_mask])
    assert not (result.edit_mask & result.protect_mask.mask).any()  # the garment is never regenerated


def test_keep_background_off_regenerates_everything_but_the_garment(segmentation_engine: Engine) -> None:
    photo, garment = astronaut()
    result = segmentation_engine.render(RenderRequest(
        image=photo, recipe="model_swap", params={**MARKET, "keep_background": False}, mask=garment
    ))  # fmt: skip
    assert np.array_equal(result.edit_mask, ~garment)


def test_a_description_is_required(diffusion_engine: Engine) -> None:
    photo, garment = astronaut()
    with pytest.raises(UnsupportedParameter, match="needs a description of the new model"):
        diffusion_engine.render(RenderRequest(image=photo, recipe="model_swap", params={}, mask=garment))


def test_prompt_reads_the_template_words() -> None:
    params, _ = PARAMETERS.resolve({**MARKET, "hair": "short black", "styling": "natural make-up", "age": 34})
    assert describe_model(params) == (
        "photo of a fashion model, woman, 34, East Asian, plus-size body, short black hair, natural make-up, "
        "wearing the garment shown, natural skin, professional fashion photography"
    )
