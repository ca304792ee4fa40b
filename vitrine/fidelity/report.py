"""The SKU-fidelity report: what was measured, the verdict, and why, as plain data that round-trips JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

VERDICT_PASS = "pass"
VERDICT_REVIEW = "review"
VERDICT_FAIL = "fail"
VERDICTS = (VERDICT_PASS, VERDICT_REVIEW, VERDICT_FAIL)
REPORT_VERSION = 1

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ChangedRegion:
    """A connected area of the product that changed beyond tolerance, in original-image pixels."""

    box: Box  # x0, y0, x1, y1 (exclusive) in the original image
    share: float  # of the compared product area
    cause: str  # "structure", "colour" or "missing"
    delta_e: float  # median CIEDE2000 inside the region
    ssim: float  # mean local SSIM inside the region
    where: str  # "the upper left of the product", ...

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangedRegion:
        return cls(**{**data, "box": tuple(data["box"])})


@dataclass(frozen=True)
class TextComparison:
    """One line of printed text found on the original product and what the variant shows there."""

    original: str
    variant: str | None  # None: nothing legible there any more
    similarity: float  # 1.0 = identical after whitespace normalisation
    box: Box

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextComparison:
        return cls(**{**data, "box": tuple(data["box"])})


@dataclass(frozen=True)
class Alignment:
    """How the variant was registered onto the original (variant = matrix @ [x, y, 1] of the original)."""

    matrix: tuple[tuple[float, float, float], tuple[float, float, float]]
    method: str  # "keypoints+ecc", "shift+ecc", "resize+ecc", "keypoints", "shift", "resize"
    shift_px: tuple[float, float]  # how far the product centre moved from a plain resize, in variant pixels
    scale: float  # variant pixels per original pixel
    rotation_deg: float
    correlation: float | None  # final ECC correlation coefficient on the product, None if ECC failed
    refined: bool  # whether the intensity-based refinement converged

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alignment:
        matrix = tuple(tuple(float(v) for v in row) for row in data["matrix"])
        return cls(**{**data, "matrix": matrix, "shift_px": tuple(data["shift_px"])})


@dataclass(frozen=True)
class MaskInfo:
    """Where the product mask came from; an estimated mask carries the estimator's confidence."""

    source: str  # "given" or "estimated"
    method: str
    confidence: float | None
    area_share: float  # of the original image
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MaskInfo:
        return cls(**{**data, "warnings": tuple(data.get("warnings", ()))})


@dataclass(frozen=True)
class AnalysisFrame:
    """The crop of the original that was analysed and its scale (analysis px = scale * original px)."""

    box: Box  # x0, y0, x1, y1 in the original image
    scale: float
    mask_png: str  # base64 PNG of the compared product area at analysis resolution (white = compared)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnalysisFrame:
        return cls(**{**data, "box": tuple(data["box"])})


@dataclass(frozen=True)
class FidelityReport:
    verdict: str
    score: float  # in [0, 1], higher = more faithful
    kind: str
    measures: dict[str, float | None]
    measure_scores: dict[str, float]
    reasons: list[str]
    notes: list[str]
    regions: list[ChangedRegion]
    text: list[TextComparison]
    alignment: Alignment
    mask: MaskInfo
    frame: AnalysisFrame
    thresholds: dict[str, float]
    ignore_boxes: list[Box]
    original_size: tuple[int, int]  # width, height
    variant_size: tuple[int, int]
    ocr: bool
    elapsed_ms: float
    version: int = REPORT_VERSION

    @property
    def failed(self) -> bool:
        """Below the hard floor: the variant is failed without review."""
        return self.verdict == VERDICT_FAIL

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FidelityReport:
        version = data.get("version")
        if version != REPORT_VERSION:
            raise ValueError(
                f"fidelity report version {version!r} is not supported (expected {REPORT_VERSION})"
            )
        if data.get("verdict") not in VERDICTS:
            raise ValueError(f"fidelity report verdict {data.get('verdict')!r} is not one of {VERDICTS}")
        return cls(
            **{
                **data,
                "regions": [ChangedRegion.from_dict(r) for r in data["regions"]],
                "text": [TextComparison.from_dict(t) for t in data["text"]],
                "alignment": Alignment.from_dict(data["alignment"]),
                "mask": MaskInfo.from_dict(data["mask"]),
                "frame": AnalysisFrame.from_dict(data["frame"]),
                "ignore_boxes": [tuple(b) for b in data["ignore_boxes"]],
                "original_size": tuple(data["original_size"]),
                "variant_size": tuple(data["variant_size"]),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> FidelityReport:
        return cls.from_dict(json.loads(text))
