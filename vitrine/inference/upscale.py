"""Enlarging a product that is too small for a marketplace main image.

Lanczos resampling by default; a super-resolution model when one is configured (``INFERENCE_UPSCALE_MODEL``:
a ``torch.export`` program (``.pt2``, saved with dynamic height and width) that maps a 1x3xHxW float tensor
in [0, 1] to a larger one, e.g. an exported Real-ESRGAN).
The model runs as often as needed to reach the factor (each pass at its native scale), then Lanczos brings
the result to the exact size. Enlarging resamples the product's pixels: the factor is recorded on the
variant and a large one sends it to review.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from vitrine.inference.errors import ConfigurationError

# Beyond this factor a person checks the enlarged product's sharpness before it is published.
REVIEW_FACTOR = 2.0


@functools.lru_cache(maxsize=2)
def _model(path: str, device: str) -> Any:
    import torch

    if not Path(path).is_file():
        raise ConfigurationError(f"the super-resolution model {path!r} (INFERENCE_UPSCALE_MODEL) does not exist")
    try:
        model = torch.export.load(path).module()
    except (RuntimeError, ValueError, OSError) as exc:
        raise ConfigurationError(f"the super-resolution model {path!r} cannot be loaded: {exc}") from exc
    return model.to(device)


def _model_pass(rgb: np.ndarray, model: Any, device: str) -> np.ndarray:
    import torch

    tensor = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).float().div(255.0).to(device)
    with torch.inference_mode():
        out = model(tensor)
    return out.squeeze(0).clamp(0.0, 1.0).mul(255.0).round().byte().permute(1, 2, 0).cpu().numpy()


def upscale_rgb(rgb: np.ndarray, size: tuple[int, int], *, model_path: str = "", device: str = "cpu"
                ) -> tuple[np.ndarray, str]:
    """``rgb`` (uint8 HxWx3) enlarged to ``size`` (w, h); returns the image and the method used."""
    width, height = size
    method = "lanczos"
    if model_path:
        if device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        model = _model(model_path, device)
        while rgb.shape[1] < width or rgb.shape[0] < height:
            enlarged = _model_pass(rgb, model, device)
            if enlarged.shape[1] <= rgb.shape[1]:
                raise ConfigurationError(f"the super-resolution model {model_path!r} does not enlarge images")
            rgb = enlarged
        method = f"model:{Path(model_path).name}"
    image = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")
    return np.asarray(image.resize((width, height), Image.Resampling.LANCZOS)), method


def upscale_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A bool mask enlarged to ``size`` (w, h) with a smooth edge cut at one half."""
    return cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_LINEAR) >= 0.5


def upscale_alpha(alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(alpha, mode="L").resize(size, Image.Resampling.LANCZOS))
