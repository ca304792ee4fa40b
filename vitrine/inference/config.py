"""Engine configuration: a plain dataclass, filled from Django settings in the app and from flags in scripts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EngineConfig:
    device: str = "auto"  # "auto" | "cuda" | "cuda:N" | "mps" | "cpu"
    default_model: str = ""  # registry id used when a template names none; "" = no diffusion model
    registry_file: str = ""  # JSON file adding or overriding registry entries
    allow_noncommercial_models: bool = False
    pipeline_memory_budget_gb: float = 40.0  # resident pipelines beyond this are evicted, least recent first
    torch_compile: bool = False
    batch_size: int = 4  # most images per diffusers call
    segmentation_model: str = ""  # registry id, local folder or hub id of a semantic segmentation model
    box_segmentation_model: str = ""  # registry id or folder of a box-prompted model (SAM 2.1) refining masks
    translation_models: Mapping[str, str] = field(default_factory=dict)  # "zh-en" or "*-de" -> location
    font_paths: tuple[str, ...] = ()  # tried before the system fallbacks
    min_mask_confidence: float = 0.6
    cpu_threads: int = 0  # 0 = library defaults
    upscale_model: str = ""  # TorchScript super-resolution model for small marketplace products; "" = Lanczos

    @classmethod
    def from_settings(cls, settings: Any) -> EngineConfig:
        """Read the ``INFERENCE_*`` names from a settings object (``django.conf.settings``)."""
        defaults = cls()

        def pick(name: str, default: Any) -> Any:
            return getattr(settings, f"INFERENCE_{name}", default)

        return cls(
            device=pick("DEVICE", defaults.device),
            default_model=pick("DEFAULT_MODEL", defaults.default_model),
            registry_file=pick("MODEL_REGISTRY_FILE", defaults.registry_file),
            allow_noncommercial_models=pick("ALLOW_NONCOMMERCIAL_MODELS", defaults.allow_noncommercial_models),
            pipeline_memory_budget_gb=pick("PIPELINE_MEMORY_BUDGET_GB", defaults.pipeline_memory_budget_gb),
            torch_compile=pick("TORCH_COMPILE", defaults.torch_compile),
            batch_size=pick("BATCH_SIZE", defaults.batch_size),
            segmentation_model=pick("SEGMENTATION_MODEL", defaults.segmentation_model),
            box_segmentation_model=pick("BOX_SEGMENTATION_MODEL", defaults.box_segmentation_model),
            translation_models=dict(pick("TRANSLATION_MODELS", defaults.translation_models)),
            font_paths=tuple(pick("FONT_PATHS", defaults.font_paths)),
            min_mask_confidence=pick("MIN_MASK_CONFIDENCE", defaults.min_mask_confidence),
            cpu_threads=pick("CPU_THREADS", defaults.cpu_threads),
            upscale_model=pick("UPSCALE_MODEL", defaults.upscale_model),
        )
