"""compare() and the diff images together: what the review app stores for a generated variant.

Its own module so that the report (engine) and the images drawn from it (artefacts) do not import each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from vitrine.fidelity import text
from vitrine.fidelity.artefacts import render_artefacts
from vitrine.fidelity.engine import compare
from vitrine.fidelity.imaging import ImageInput
from vitrine.fidelity.report import FidelityReport
from vitrine.fidelity.thresholds import KIND_BACKGROUND


@dataclass(frozen=True)
class Assessment:
    """What the review app stores for a generated variant: the report and the diff images (PNG by name)."""

    report: FidelityReport
    artefacts: dict[str, bytes]


def assess(
    original: ImageInput,
    variant: ImageInput,
    product_mask: ImageInput | None = None,
    kind: str = KIND_BACKGROUND,
    thresholds: Mapping[str, float] | None = None,
    *,
    ignore_boxes: Iterable[Sequence[float]] | None = None,
    ocr: bool | None = None,
    mask_confidence: float | None = None,
    mask_method: str = "given",
    text_cache: text.TextCache | None = None,
    target_colour: Sequence[float] | None = None,
) -> Assessment:
    """compare() plus the diff images: what the review app stores for a generated variant.
    ``assessment.report.failed`` means the variant is below the hard floor and is failed without review.
    The images are drawn from the report alone, so redrawing them later gives the same bytes."""
    report = compare(original, variant, product_mask, kind, thresholds, ignore_boxes=ignore_boxes, ocr=ocr,
                     mask_confidence=mask_confidence, mask_method=mask_method, text_cache=text_cache,
                     target_colour=target_colour)
    return Assessment(report=report, artefacts=render_artefacts(original, variant, report))
