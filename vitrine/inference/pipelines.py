"""Loading diffusers pipelines lazily and keeping them resident on the worker's device.

Nothing here touches CUDA at import time: a Celery prefork parent that initialised CUDA would hand its
children a context they cannot use. The device is chosen on the first load, inside the worker.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

import torch

from vitrine.inference.errors import ConfigurationError, TransientInferenceError
from vitrine.inference.registry import ModelSpec

logger = logging.getLogger(__name__)


def select_device(preference: str) -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then the CPU; anything else is taken as a torch device string."""
    if preference != "auto":
        try:
            return torch.device(preference)
        except RuntimeError as exc:
            raise ConfigurationError(f"INFERENCE_DEVICE={preference!r} is not a torch device: {exc}") from exc
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def dtype_for(spec: ModelSpec, device: torch.device) -> torch.dtype:
    # Half precision on the CPU is slow and poorly supported by several kernels.
    return torch.float32 if device.type == "cpu" else getattr(torch, spec.dtype)


def denoiser_of(pipe: Any) -> torch.nn.Module:
    """The UNet or transformer that runs once per step: the part worth compiling."""
    return pipe.unet if getattr(pipe, "unet", None) is not None else pipe.transformer


def resident_bytes(pipe: Any) -> int:
    total = 0
    for component in pipe.components.values():
        if isinstance(component, torch.nn.Module):
            total += sum(t.numel() * t.element_size() for t in component.parameters())
            total += sum(t.numel() * t.element_size() for t in component.buffers())
    return total


def optimise_for_device(pipe: Any, device: torch.device, *, dtype: torch.dtype, compile_denoiser: bool) -> Any:
    """SDPA attention and channels-last on accelerators, optionally a compiled denoiser."""
    from diffusers.models.attention_processor import AttnProcessor2_0

    vae = getattr(pipe, "vae", None)
    if dtype != torch.float16 and vae is not None and getattr(vae.config, "force_upcast", False):
        # The VAE upcast guards against float16 overflow only (bfloat16 has float32's range); left on, it
        # moves the VAE's weights to float32 and back on every call.
        vae.register_to_config(force_upcast=False)
    denoiser = denoiser_of(pipe)
    if device.type != "cpu" and hasattr(denoiser, "set_attn_processor") and hasattr(pipe, "unet"):
        # UNet attention through torch's fused scaled-dot-product kernels (flash / memory-efficient).
        denoiser.set_attn_processor(AttnProcessor2_0())
    if device.type == "cuda":
        denoiser.to(memory_format=torch.channels_last)
    if compile_denoiser:
        compiled = torch.compile(denoiser, fullgraph=False)
        if getattr(pipe, "unet", None) is not None:
            pipe.unet = compiled
        else:
            pipe.transformer = compiled
    return pipe


class PipelineCache:
    """Loaded pipelines by model id; past the memory budget the least recently used one is dropped."""

    def __init__(self, *, device: str, memory_budget_gb: float, compile_denoiser: bool = False) -> None:
        self._device_preference = device
        self._device: torch.device | None = None
        self._budget = int(memory_budget_gb * 1024**3)
        self._compile = compile_denoiser
        self._pipelines: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def device(self) -> torch.device:
        if self._device is None:
            self._device = select_device(self._device_preference)
        return self._device

    def loaded(self) -> list[str]:
        return list(self._pipelines)

    def get(self, spec: ModelSpec) -> Any:
        with self._lock:
            if spec.id in self._pipelines:
                self._pipelines.move_to_end(spec.id)
                return self._pipelines[spec.id][0]
            pipe = self._load(spec)
            size = resident_bytes(pipe)
            while self._pipelines and sum(s for _, s in self._pipelines.values()) + size > self._budget:
                evicted, _ = self._pipelines.popitem(last=False)
                logger.info("evicting diffusion pipeline %s to stay within the memory budget", evicted)
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
            self._pipelines[spec.id] = (pipe, size)
            return pipe

    def _load(self, spec: ModelSpec) -> Any:
        import diffusers

        pipeline_class = getattr(diffusers, spec.pipeline_class, None)
        if pipeline_class is None:
            raise ConfigurationError(f"model {spec.id}: diffusers has no pipeline class {spec.pipeline_class!r}")
        device = self.device
        dtype = dtype_for(spec, device)
        logger.info("loading diffusion pipeline %s from %s onto %s", spec.id, spec.location, device)
        try:
            pipe = pipeline_class.from_pretrained(
                spec.location,
                dtype=dtype,
                # A local folder must never trigger a download; hub ids follow HF_HUB_OFFLINE.
                local_files_only=spec.is_local,
            )
            pipe.to(device)
        except torch.OutOfMemoryError as exc:
            raise TransientInferenceError(
                f"the GPU had no room to load model {spec.id}; the job will be retried"
            ) from exc
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"model {spec.id} could not be loaded from {spec.location}: {exc}") from exc
        pipe.set_progress_bar_config(disable=True)
        return optimise_for_device(pipe, device, dtype=dtype, compile_denoiser=self._compile)
