"""Semantic segmentation through transformers: garment, face, hair and skin regions of a model photo.

Any ``AutoModelForSemanticSegmentation`` checkpoint works (SegFormer clothes parsing is the usual one);
its ``id2label`` names are matched to the groups below, case- and punctuation-insensitively.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vitrine.inference.errors import ConfigurationError
from vitrine.inference.masks import ProtectMask

# Label names of the common clothes-parsing checkpoints (ATR / LIP style), grouped by what an edit does
# with them: garments are kept exactly, the rest of the person may be regenerated.
DEFAULT_LABEL_GROUPS: Mapping[str, tuple[str, ...]] = {
    "garment": (
        "hat",
        "upper-clothes",
        "upperclothes",
        "skirt",
        "pants",
        "dress",
        "belt",
        "left-shoe",
        "right-shoe",
        "shoes",
        "bag",
        "scarf",
        "coat",
        "jacket",
        "socks",
        "gloves",
        "jumpsuits",
        "clothes",
        "sunglasses",
    ),
    "face": ("face",),
    "hair": ("hair",),
    "skin": ("left-arm", "right-arm", "left-leg", "right-leg", "arm", "leg", "neck", "skin", "torso-skin"),
}
BACKGROUND_LABELS = ("background", "bg", "null")


def _normalise_label(label: str) -> str:
    return label.strip().lower().replace("_", "-").replace(" ", "-")


@dataclass(frozen=True, eq=False)
class Segmentation:
    labels: np.ndarray  # int HxW, the arg-max class of each pixel
    probability: np.ndarray  # float32 HxW, that class's softmax probability
    id2label: Mapping[int, str]
    groups: Mapping[str, tuple[str, ...]]

    def _ids(self, names: tuple[str, ...]) -> list[int]:
        wanted = {_normalise_label(name) for name in names}
        return [i for i, label in self.id2label.items() if _normalise_label(label) in wanted]

    def group(self, name: str) -> np.ndarray:
        return np.isin(self.labels, self._ids(self.groups[name]))

    def person(self) -> np.ndarray:
        return ~np.isin(self.labels, self._ids(BACKGROUND_LABELS))

    def protect_mask(self, group: str = "garment") -> ProtectMask:
        mask = self.group(group)
        confidence = float(self.probability[mask].mean()) if mask.any() else 0.0
        warnings = () if mask.any() else (f"the segmentation found no {group}",)
        return ProtectMask(mask=mask, confidence=round(confidence, 4), method="segmentation", warnings=warnings)


class SegmentationModel:
    """Image processor + model from a local folder or hub id, loaded on first use."""

    def __init__(self, location: str, *, groups: Mapping[str, tuple[str, ...]] = DEFAULT_LABEL_GROUPS) -> None:
        self.location = location
        self.groups = groups
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import AutoImageProcessor, AutoModelForSemanticSegmentation

            local = Path(self.location).is_dir()
            try:
                processor = AutoImageProcessor.from_pretrained(self.location, local_files_only=local)
                model = AutoModelForSemanticSegmentation.from_pretrained(self.location, local_files_only=local)
            except (OSError, ValueError) as exc:
                raise ConfigurationError(
                    f"segmentation model {self.location} could not be loaded (INFERENCE_SEGMENTATION_MODEL): {exc}"
                ) from exc
            self._loaded = (processor, model.eval())
        return self._loaded

    def segment(self, rgb: np.ndarray) -> Segmentation:
        import torch

        with self._lock:
            processor, model = self._load()
            inputs = processor(images=rgb, return_tensors="pt")
            with torch.inference_mode():
                logits = model(**inputs).logits
                logits = torch.nn.functional.interpolate(
                    logits, size=rgb.shape[:2], mode="bilinear", align_corners=False
                )
                probability, labels = logits.softmax(dim=1)[0].max(dim=0)
        id2label = {int(k): v for k, v in model.config.id2label.items()}
        return Segmentation(
            labels=labels.numpy(),
            probability=probability.float().numpy(),
            id2label=id2label,
            groups=self.groups,
        )


# SAM's input normalisation (ImageNet statistics), as its own processor applies it.
SAM_MEAN = (0.485, 0.456, 0.406)
SAM_STD = (0.229, 0.224, 0.225)


class BoxSegmenter:
    """SAM 2.1 through transformers (``Sam2Model``): the object inside a box, as a protect mask.

    The box comes from the classical mask's extent or from the merchant; the model's predicted IoU is the
    mask's confidence. The input is prepared here as SAM's processor does (square resize, ImageNet
    normalisation, box scaled alike), since that processor needs torchvision and this needs nothing more."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            from transformers import Sam2Model

            local = Path(self.location).is_dir()
            try:
                model = Sam2Model.from_pretrained(self.location, local_files_only=local)
            except (OSError, ValueError) as exc:
                raise ConfigurationError(
                    f"box segmentation model {self.location} could not be loaded "
                    f"(INFERENCE_BOX_SEGMENTATION_MODEL): {exc}"
                ) from exc
            self._model = model.eval()
        return self._model

    def segment(self, rgb: np.ndarray, box: tuple[int, int, int, int]) -> ProtectMask:
        """``box`` is (x0, y0, x1, y1) in pixels of ``rgb``."""
        import cv2
        import torch

        height, width = rgb.shape[:2]
        with self._lock:
            model = self._load()
            side = int(model.config.prompt_encoder_config.image_size)
            resized = cv2.resize(rgb, (side, side), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
            pixels = (resized - np.float32(SAM_MEAN)) / np.float32(SAM_STD)
            pixel_values = torch.from_numpy(pixels.transpose(2, 0, 1).copy())[None]
            x0, y0, x1, y1 = box
            scaled = [x0 * side / width, y0 * side / height, x1 * side / width, y1 * side / height]
            with torch.inference_mode():
                outputs = model(
                    pixel_values=pixel_values, input_boxes=torch.tensor([[scaled]]), multimask_output=False
                )
                logits = outputs.pred_masks.reshape(-1, *outputs.pred_masks.shape[-2:])[:1, None]
                logits = torch.nn.functional.interpolate(logits, size=(height, width), mode="bilinear")
        mask = (logits[0, 0] > 0).numpy()
        score = float(outputs.iou_scores.reshape(-1)[0])
        warnings = () if mask.any() else ("the box segmentation found nothing inside the box",)
        return ProtectMask(mask=mask, confidence=round(min(max(score, 0.0), 1.0), 4), method="sam", warnings=warnings)
