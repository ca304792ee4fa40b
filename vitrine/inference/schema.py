"""What goes into the engine and what comes out (documented in docs/inference.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from vitrine.inference.masks import ProtectMask


@dataclass(frozen=True, eq=False)
class RenderRequest:
    image: Image.Image  # the source photo (RGB or RGBA; alpha, when present, is the product mask)
    recipe: str  # an edit kind (vitrine.edit_kinds.KINDS): the recipe that renders it
    params: Mapping[str, Any] = field(default_factory=dict)  # the recipe's parameters (JSON values)
    seed: int = 0  # drives every random choice; the same request and seed give the same image
    mask: Image.Image | np.ndarray | None = None  # a supplied protect mask: white / True = product
    assets: Mapping[str, Image.Image] = field(default_factory=dict)  # images params refer to by name
    # A merchant's box (x0, y0, x1, y1) around the product: the box segmenter's prompt when one is configured.
    box: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class RenderMetadata:
    recipe: str
    backend: str  # "classical" | "diffusers"
    model_id: str  # "" for classical work
    model_licence: str
    seed: int
    params: Mapping[str, Any]  # the resolved parameters, defaults included
    timings: Mapping[str, float]  # milliseconds per stage, "total" included
    warnings: tuple[str, ...]
    details: Mapping[str, Any] = field(default_factory=dict)  # recipe specifics, JSON-safe


@dataclass(frozen=True, eq=False)
class RenderResult:
    image: Image.Image  # RGB output
    protect_mask: ProtectMask  # the product mask actually kept exact, in output coordinates
    edit_mask: np.ndarray  # bool, output coordinates: where the output may differ from the source
    offset: tuple[int, int]  # (dx, dy): source pixel (x, y) sits at output (x + dx, y + dy)
    metadata: RenderMetadata
