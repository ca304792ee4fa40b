"""The engine: one entry point for every edit, free of Django models.

``render(RenderRequest(...))`` returns a :class:`RenderResult`: the image, the protect mask actually
kept exact, the region allowed to change, and metadata (backend, model and licence, seed, timings,
warnings). ``render_batch`` takes several requests; those needing the same diffusion model at the same
working size share one diffusers call. Errors are :class:`~vitrine.inference.errors.InferenceError`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from vitrine.inference.config import EngineConfig
from vitrine.inference.diffusion import Deadline, DiffusionBackend, InpaintJob
from vitrine.inference.errors import ImageTooSmall, InferenceError, UnknownRecipe
from vitrine.inference.fonts import FontBook
from vitrine.inference.kinds import RECIPES, derive_seed
from vitrine.inference.masks import split_rgb_alpha
from vitrine.inference.ocr import TextReader
from vitrine.inference.pipelines import PipelineCache
from vitrine.inference.recipes.base import Plan
from vitrine.inference.registry import ModelRegistry, ModelSpec
from vitrine.inference.schema import RenderMetadata, RenderRequest, RenderResult
from vitrine.inference.segmentation import BoxSegmenter, SegmentationModel
from vitrine.inference.translate import Translator

__all__ = [
    "RECIPES",
    "Engine",
    "RenderMetadata",
    "RenderRequest",
    "RenderResult",
    "derive_seed",
    "render",
    "render_batch",
    "shared_engine",
]

MIN_SIDE = 16


class Engine:
    """Holds what is expensive to build (pipelines, OCR, fonts, models); keep one per worker process."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.registry = (
            ModelRegistry.from_file(self.config.registry_file) if self.config.registry_file else ModelRegistry()
        )
        self.pipelines = PipelineCache(
            device=self.config.device,
            memory_budget_gb=self.config.pipeline_memory_budget_gb,
            compile_denoiser=self.config.torch_compile,
        )
        self.diffusion = DiffusionBackend(self.pipelines, max_batch=self.config.batch_size)
        self.text_reader = TextReader(threads=self.config.cpu_threads)
        self.fonts = FontBook(self.config.font_paths)
        self.translator = Translator(self.config.translation_models)
        self.segmentation_model = (
            SegmentationModel(
                self._segmentation_location(self.config.segmentation_model, "INFERENCE_SEGMENTATION_MODEL")
            )
            if self.config.segmentation_model
            else None
        )
        self.box_segmenter = (
            BoxSegmenter(
                self._segmentation_location(self.config.box_segmentation_model, "INFERENCE_BOX_SEGMENTATION_MODEL")
            )
            if self.config.box_segmentation_model
            else None
        )

    def _segmentation_location(self, name: str, setting: str) -> str:
        """A registry id passes the licence gate and gives its location; anything else is a folder or hub id."""
        if name not in {spec.id for spec in self.registry}:
            return name
        spec = self.registry.resolve(
            name,
            default="",
            allow_noncommercial=self.config.allow_noncommercial_models,
            purpose=f"segmentation ({setting})",
            tasks=("segment",),
        )
        return spec.location

    def resolve_model(self, model_id: str, *, purpose: str, tasks: tuple[str, ...] = ("inpaint", "edit")) -> ModelSpec:
        return self.registry.resolve(
            model_id,
            default=self.config.default_model,
            allow_noncommercial=self.config.allow_noncommercial_models,
            purpose=purpose,
            tasks=tasks,
        )

    def render(self, request: RenderRequest) -> RenderResult:
        outcome = self.render_batch([request])[0]
        if isinstance(outcome, InferenceError):
            raise outcome
        return outcome

    def render_batch(
        self, requests: Sequence[RenderRequest], *, time_limit_s: float | None = None
    ) -> list[RenderResult | InferenceError]:
        """One outcome per request, in order: a result, or the error that request ran into.

        ``time_limit_s`` bounds the generative steps: past it they stop with ``RenderTimedOut``.
        """
        deadline = Deadline.after(time_limit_s) if time_limit_s else None
        outcomes: list[RenderResult | InferenceError | None] = [None] * len(requests)
        plans: dict[int, Plan] = {}
        for index, request in enumerate(requests):
            started = time.perf_counter()
            try:
                plans[index] = self._prepare(request)
            except InferenceError as exc:
                outcomes[index] = exc
                continue
            plans[index].stopwatch.timings["prepare"] = round((time.perf_counter() - started) * 1000.0, 2)

        frames = self._generate(plans, outcomes, deadline)
        for index, plan in plans.items():
            if outcomes[index] is not None:
                continue
            started = time.perf_counter()
            try:
                result = plan.finish(frames.get(index))
            except InferenceError as exc:
                outcomes[index] = exc
                continue
            timings = dict(result.metadata.timings)
            timings["finish"] = round((time.perf_counter() - started) * 1000.0, 2)
            timings["total"] = round(sum(timings.get(k, 0.0) for k in ("prepare", "diffusion", "finish")), 2)
            outcomes[index] = replace(result, metadata=replace(result.metadata, timings=timings))
        return [outcome for outcome in outcomes if outcome is not None]

    def _prepare(self, request: RenderRequest) -> Plan:
        recipe = RECIPES.get(request.recipe)
        if recipe is None:
            raise UnknownRecipe(f"unknown edit recipe {request.recipe!r}; known: {', '.join(sorted(RECIPES))}")
        width, height = request.image.size
        if min(width, height) < MIN_SIDE:
            raise ImageTooSmall(f"the photo is {width}x{height} px; edits need at least {MIN_SIDE} px on each side")
        source, alpha = split_rgb_alpha(request.image)
        return recipe.prepare(request, source, alpha, self)

    def _generate(
        self, plans: dict[int, Plan], outcomes: list[Any], deadline: Deadline | None
    ) -> dict[int, np.ndarray]:
        """Run every plan's inpaint job, batched per model; a failed batch fails each of its requests."""
        by_model: dict[str, tuple[ModelSpec, list[tuple[int, InpaintJob]]]] = {}
        for index, plan in plans.items():
            if plan.job is not None and plan.spec is not None:
                by_model.setdefault(plan.spec.id, (plan.spec, []))[1].append((index, plan.job))
        frames: dict[int, np.ndarray] = {}
        for spec, entries in by_model.values():
            indices = [index for index, _ in entries]
            try:
                generated = self.diffusion.inpaint(spec, [job for _, job in entries], deadline=deadline)
            except InferenceError as exc:
                for i in indices:
                    outcomes[i] = exc
                continue
            for i, (frame, timing) in zip(indices, generated, strict=True):
                frames[i] = frame
                plans[i].stopwatch.timings["diffusion"] = round(timing.milliseconds, 2)
                plans[i].diffusion_batch = timing.batch_size
        return frames


_shared: Engine | None = None


def shared_engine() -> Engine:
    """This process's engine, configured from Django settings when they are loaded; rebuilt if they change."""
    global _shared
    from django.conf import settings

    config = EngineConfig.from_settings(settings) if settings.configured else EngineConfig()
    if _shared is None or _shared.config != config:
        _shared = Engine(config)
    return _shared


def render(request: RenderRequest, *, engine: Engine | None = None) -> RenderResult:
    return (engine or shared_engine()).render(request)


def render_batch(
    requests: Sequence[RenderRequest], *, engine: Engine | None = None, time_limit_s: float | None = None
) -> list[RenderResult | InferenceError]:
    return (engine or shared_engine()).render_batch(requests, time_limit_s=time_limit_s)
