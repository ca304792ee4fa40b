"""Tiny random-weight models, built once per test session and loaded through the real registry path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inference import tiny_models as builders
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine

TINY_SD = "tiny/sd-inpaint"
TINY_SDXL = "tiny/sdxl-inpaint"


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> None:
    # Tiny models gain nothing from threads, and oversubscribed CPU threads spin instead of working.
    import torch

    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _one_ocr_thread(settings) -> None:  # type: ignore[no-untyped-def]
    settings.INFERENCE_CPU_THREADS = 1


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    sd = builders.build_tiny_sd_inpaint(root / "sd-inpaint")
    sdxl = builders.build_tiny_sdxl_inpaint(root / "sdxl-inpaint")
    registry = builders.tiny_registry_file(
        root / "registry.json",
        {TINY_SD: ("StableDiffusionInpaintPipeline", sd), TINY_SDXL: ("StableDiffusionXLInpaintPipeline", sdxl)},
    )
    return {
        "sd": sd,
        "sdxl": sdxl,
        "registry": registry,
        "segformer": builders.build_tiny_segformer(root / "segformer"),
        "translator": builders.build_tiny_translator(root / "translator"),
    }


@pytest.fixture(scope="session")
def classical_engine() -> Engine:
    """No diffusion model, no segmentation: what a CPU-only deployment has."""
    return Engine(EngineConfig(device="cpu", cpu_threads=1))


@pytest.fixture(scope="session")
def diffusion_engine(tiny_models: dict[str, Path]) -> Engine:
    return Engine(
        EngineConfig(device="cpu", registry_file=str(tiny_models["registry"]), default_model=TINY_SD, cpu_threads=1)
    )


@pytest.fixture(scope="session")
def segmentation_engine(tiny_models: dict[str, Path]) -> Engine:
    # Random weights give flat class probabilities, so the confidence floor is off for this engine.
    return Engine(
        EngineConfig(
            device="cpu",
            registry_file=str(tiny_models["registry"]),
            default_model=TINY_SD,
            segmentation_model=str(tiny_models["segformer"]),
            min_mask_confidence=0.0,
            cpu_threads=1,
        )
    )
