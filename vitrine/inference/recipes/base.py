"""What every recipe shares: the two-step shape (prepare, then finish) and the protect-mask policy.

A recipe's :meth:`Recipe.prepare` checks parameters, settles the masks and, when it needs a generative
step, describes it as an :class:`~vitrine.inference.jobs.InpaintJob`. The engine runs the jobs of
many requests together (one diffusers batch per model and size) and hands each plan its frame in
:meth:`Plan.finish`, which pastes the product back and builds the result.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from PIL import Image

from vitrine.inference.grabcut import GRABCUT_MIN_USABLE, grabcut_protect_mask
from vitrine.inference.jobs import InpaintJob
from vitrine.inference.masks import (
    ProtectMask,
    classical_protect_mask,
    mask_from_alpha,
    mask_from_supplied,
    require_usable,
)
from vitrine.inference.params import ParamSet
from vitrine.inference.registry import ModelSpec
from vitrine.inference.schema import RenderMetadata, RenderRequest, RenderResult

if TYPE_CHECKING:
    from vitrine.inference.engine import Engine


class Stopwatch:
    """Milliseconds per named stage."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - started) * 1000.0
            self.timings[name] = round(self.timings.get(name, 0.0) + elapsed, 2)


@dataclass(eq=False)
class Plan(abc.ABC):
    request: RenderRequest
    source: np.ndarray  # uint8 RGB
    params: dict[str, Any]
    stopwatch: Stopwatch
    protect: ProtectMask  # the product mask the recipe keeps exact
    warnings: list[str] = field(default_factory=list)
    job: InpaintJob | None = None  # the generative step, if this plan has one
    spec: ModelSpec | None = None  # the model that runs ``job``
    diffusion_batch: int = 0  # how many images shared the diffusers call that made this one

    @abc.abstractmethod
    def finish(self, generated: np.ndarray | None) -> RenderResult:
        """The result, given the regenerated frame (None when there was no job)."""

    def result(
        self,
        *,
        image: np.ndarray,
        protect: ProtectMask,
        edit_mask: np.ndarray,
        offset: tuple[int, int] = (0, 0),
        details: dict[str, Any] | None = None,
    ) -> RenderResult:
        metadata = RenderMetadata(
            recipe=self.request.recipe,
            backend="diffusers" if self.spec is not None else "classical",
            model_id=self.spec.id if self.spec is not None else "",
            model_licence=self.spec.licence if self.spec is not None else "",
            seed=self.request.seed,
            params=json_safe(self.params),
            timings=dict(self.stopwatch.timings),
            warnings=tuple(dict.fromkeys([*protect.warnings, *self.warnings])),
            details={
                **_mask_details(protect),
                **(details or {}),
                **({"diffusion_batch": self.diffusion_batch} if self.job else {}),
                "review_reasons": [*protect.review_reasons, *(details or {}).get("review_reasons", [])],
            },
        )
        return RenderResult(
            image=Image.fromarray(image, mode="RGB"),
            protect_mask=protect,
            edit_mask=edit_mask,
            offset=offset,
            metadata=metadata,
        )


class Recipe(abc.ABC):
    name: ClassVar[str]
    parameters: ClassVar[ParamSet]

    @abc.abstractmethod
    def prepare(self, request: RenderRequest, source: np.ndarray, alpha: np.ndarray | None, engine: Engine) -> Plan:
        """Validate, decide masks, and describe the generative step (if any)."""


def _mask_details(protect: ProtectMask) -> dict[str, Any]:
    """The protect mask's part of the render details (kept on the variant for review and regeneration)."""
    return {
        "mask_method": protect.method,
        "mask_confidence": float(protect.confidence),
        "mask_notes": list(protect.warnings),
        "mask_holes_opened": int(protect.holes_opened),
    }


def json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def product_mask(
    request: RenderRequest,
    source: np.ndarray,
    alpha: np.ndarray | None,
    engine: Engine,
    *,
    what: str = "product",
    allow_uncertain: bool = False,
) -> ProtectMask:
    """Supplied mask, else the alpha channel, else the classical estimate (GrabCut when the background is
    not plain); refused when unusable. With ``allow_uncertain`` a GrabCut outline below the usual confidence
    is still used, but carries a warning and its confidence, so the variant goes to a reviewer instead of
    passing (recipes with a safer fallback leave it off)."""
    minimum = engine.config.min_mask_confidence
    if request.mask is not None:
        protect = mask_from_supplied(request.mask, (source.shape[1], source.shape[0]))
    elif alpha is not None:
        protect = mask_from_alpha(alpha)
    elif engine.box_segmenter is not None and request.box is not None:
        protect = engine.box_segmenter.segment(source, request.box)
    else:
        protect = classical_protect_mask(source)
        if engine.box_segmenter is not None and protect.mask.any():
            # The classical outline is only a box prompt here: the box segmenter draws the real edge.
            protect = engine.box_segmenter.segment(source, mask_box(protect.mask))
        elif protect.confidence < minimum:
            cut = grabcut_protect_mask(source)
            if cut.mask.any() and cut.confidence > protect.confidence:
                protect = cut
    if allow_uncertain and protect.method == "grabcut" and protect.confidence < minimum:
        require_usable(protect, min_confidence=GRABCUT_MIN_USABLE, what=what)
        note = (f"the {what} outline was estimated with low confidence ({protect.confidence:.2f}, below "
                f"{minimum:.2f}): a reviewer must check its edges")
        return replace(protect, warnings=(*protect.warnings, note))
    return require_usable(protect, min_confidence=minimum, what=what)


def mask_box(mask: np.ndarray, margin: int = 2) -> tuple[int, int, int, int]:
    """The mask's extent (x0, y0, x1, y1), grown by ``margin`` px within the frame."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    height, width = mask.shape
    return (
        max(0, int(cols[0]) - margin),
        max(0, int(rows[0]) - margin),
        min(width, int(cols[-1]) + 1 + margin),
        min(height, int(rows[-1]) + 1 + margin),
    )
