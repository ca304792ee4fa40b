"""Inpainting through diffusers: batching, per-image generators, working-size round trip.

The backend only regenerates pixels; it never decides what is product. Its output goes back through
:func:`vitrine.inference.pasteback.paste_back`, because the VAE changes every pixel it sees.
"""

from __future__ import annotations

import inspect
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import torch
from PIL import Image

from vitrine.inference.errors import TransientInferenceError
from vitrine.inference.jobs import Deadline, InpaintJob, working_size
from vitrine.inference.pipelines import PipelineCache
from vitrine.inference.registry import ModelSpec

__all__ = ["BatchTiming", "Deadline", "DiffusionBackend", "InpaintJob", "working_size"]


@dataclass(frozen=True)
class BatchTiming:
    milliseconds: float
    batch_size: int


class DiffusionBackend:
    def __init__(self, pipelines: PipelineCache, *, max_batch: int) -> None:
        self.pipelines = pipelines
        self.max_batch = max(1, max_batch)

    def inpaint(
        self, spec: ModelSpec, jobs: Sequence[InpaintJob], *, deadline: Deadline | None = None
    ) -> list[tuple[np.ndarray, BatchTiming]]:
        """Regenerated frames at each job's own size, in job order, with the timing of the call that made each."""
        pipe = self.pipelines.get(spec)
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for index, job in enumerate(jobs):
            groups[job.batch_key(spec)].append(index)
        limit = self.max_batch if spec.batchable else 1
        results: list[tuple[np.ndarray, BatchTiming] | None] = [None] * len(jobs)
        for indices in groups.values():
            for start in range(0, len(indices), limit):
                chunk = indices[start : start + limit]
                started = time.perf_counter()
                frames = self._call(pipe, spec, [jobs[i] for i in chunk], deadline)
                timing = BatchTiming((time.perf_counter() - started) * 1000.0, len(chunk))
                for i, frame in zip(chunk, frames, strict=True):
                    results[i] = (frame, timing)
        return [result for result in results if result is not None]

    def _call(self, pipe: Any, spec: ModelSpec, jobs: list[InpaintJob], deadline: Deadline | None) -> list[np.ndarray]:
        first = jobs[0]
        width, height = working_size(first.image.shape[1], first.image.shape[0], spec)
        images = [Image.fromarray(cv2.resize(job.image, (width, height), interpolation=cv2.INTER_AREA)) for job in jobs]
        if spec.task == "edit":
            return [self._call_edit(pipe, spec, job, image, deadline) for job, image in zip(jobs, images, strict=True)]
        masks = [
            # Nearest keeps the mask binary; the product is restored exactly afterwards anyway.
            Image.fromarray(
                cv2.resize(
                    np.where(job.edit_mask, 255, 0).astype(np.uint8),
                    (width, height),
                    interpolation=cv2.INTER_NEAREST,
                )
            )
            for job in jobs
        ]
        device = self.pipelines.device
        generator_device = "cpu" if device.type == "mps" else device
        # One generator per image: an image's noise depends on its own seed, not on its batch neighbours.
        generators = [torch.Generator(device=generator_device).manual_seed(job.seed) for job in jobs]
        accepted = inspect.signature(pipe.__call__).parameters
        kwargs: dict[str, Any] = {
            "prompt": [job.prompt for job in jobs],
            "image": images,
            "mask_image": masks,
            "height": height,
            "width": width,
            "num_inference_steps": first.steps,
            spec.guidance_argument: first.guidance,
            "generator": generators,
            "output_type": "np",
        }
        if "negative_prompt" in accepted:
            kwargs["negative_prompt"] = [job.negative_prompt for job in jobs]
        if "strength" in accepted:
            kwargs["strength"] = first.strength
        self._add_deadline(kwargs, accepted, deadline)
        output = self._run(pipe, kwargs)
        return [_to_frame(frame, job) for job, frame in zip(jobs, output, strict=True)]

    def _call_edit(
        self, pipe: Any, spec: ModelSpec, job: InpaintJob, image: Image.Image, deadline: Deadline | None
    ) -> np.ndarray:
        """An instruction-editing pipeline: the photo (then any references) and the instruction, no mask.

        It redraws the whole frame; the recipe pastes back everything outside the area it asked to change."""
        width, height = image.size
        references = [
            Image.fromarray(cv2.resize(ref, (width, height), interpolation=cv2.INTER_AREA)) for ref in job.references
        ]
        accepted = inspect.signature(pipe.__call__).parameters
        device = self.pipelines.device
        kwargs: dict[str, Any] = {
            "prompt": job.prompt,
            # Multi-image pipelines take a list (photo first); single-image ones the photo alone.
            "image": [image, *references] if references else image,
            "num_inference_steps": job.steps,
            spec.guidance_argument: job.guidance,
            "generator": torch.Generator(device="cpu" if device.type == "mps" else device).manual_seed(job.seed),
            "output_type": "np",
        }
        if "height" in accepted:
            kwargs["height"], kwargs["width"] = height, width
        if "negative_prompt" in accepted and job.negative_prompt:
            kwargs["negative_prompt"] = job.negative_prompt
        self._add_deadline(kwargs, accepted, deadline)
        return _to_frame(self._run(pipe, kwargs)[0], job)

    @staticmethod
    def _add_deadline(kwargs: dict[str, Any], accepted: Any, deadline: Deadline | None) -> None:
        if deadline is None:
            return
        deadline.check()
        if "callback_on_step_end" in accepted:

            def stop_when_late(_pipe: Any, _step: int, _timestep: Any, tensors: dict) -> dict:
                deadline.check()
                return tensors

            kwargs["callback_on_step_end"] = stop_when_late

    @staticmethod
    def _run(pipe: Any, kwargs: dict[str, Any]) -> Any:
        try:
            with torch.inference_mode():
                return pipe(**kwargs).images
        except torch.OutOfMemoryError as exc:
            raise TransientInferenceError(
                "the GPU ran out of memory while generating; the job will be retried"
            ) from exc


def _to_frame(frame: np.ndarray, job: InpaintJob) -> np.ndarray:
    """A pipeline's float output as uint8 RGB at the job's own size."""
    frame8 = np.clip(np.rint(np.nan_to_num(np.asarray(frame)) * 255.0), 0, 255).astype(np.uint8)
    size = (job.image.shape[1], job.image.shape[0])
    return cv2.resize(frame8, size, interpolation=cv2.INTER_CUBIC) if frame8.shape[:2] != size[::-1] else frame8
