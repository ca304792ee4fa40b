"""What a recipe asks of the diffusion backend, without torch.

Recipes plan an :class:`InpaintJob`; the backend in :mod:`vitrine.inference.diffusion` (which loads torch and
diffusers) runs it. Kept apart so that planning, parameter checks and the recipe list import no ML framework.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from vitrine.inference.errors import RenderTimedOut
from vitrine.inference.registry import ModelSpec


@dataclass(frozen=True, eq=False)
class InpaintJob:
    image: np.ndarray  # uint8 RGB HxWx3, the source
    edit_mask: np.ndarray  # bool HxW, True = regenerate
    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    guidance: float
    strength: float = 1.0
    # Further input images for instruction-editing models (a reference of the target model, a swatch).
    references: tuple[np.ndarray, ...] = ()

    def batch_key(self, spec: ModelSpec) -> tuple[Any, ...]:
        return (
            working_size(self.image.shape[1], self.image.shape[0], spec),
            self.steps,
            self.guidance,
            self.strength,
        )


def working_size(width: int, height: int, spec: ModelSpec) -> tuple[int, int]:
    """The model's native long side, aspect kept, both sides rounded to the model's multiple."""
    scale = spec.resolution / max(width, height)
    multiple = spec.size_multiple

    def snap(side: int) -> int:
        return max(multiple, round(side * scale / multiple) * multiple)

    return snap(width), snap(height)


@dataclass(frozen=True)
class Deadline:
    """A monotonic-clock time after which the denoising loop stops (Celery's solo pool enforces no limit)."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise RenderTimedOut(f"rendering took longer than {self.seconds:.0f} s and was stopped")
