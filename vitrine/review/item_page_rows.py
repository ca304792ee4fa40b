"""What the reviewer's item page shows of a variant and its fidelity report: measures against their limits, the
changed regions on both images, the rewritten text lines and who holds the claim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from vitrine.fidelity import FidelityReport
from vitrine.fidelity.registry import MEASURES, PASS_CHECKS
from vitrine.fidelity.scoring import SCORE_AT_PASS_LIMIT
from vitrine.review import selectors
from vitrine.review.models import ReviewItem

if TYPE_CHECKING:
    from vitrine.platform.models import Variant


@dataclass(frozen=True)
class Rect:
    """A box as percentages of an image, for overlays positioned with CSS."""

    left: float
    top: float
    width: float
    height: float

    @classmethod
    def of(cls, box: tuple[float, float, float, float], size: tuple[int, int]) -> Rect:
        width, height = size
        x0, y0 = max(0.0, box[0]), max(0.0, box[1])
        x1, y1 = min(float(width), box[2]), min(float(height), box[3])
        return cls(left=round(100 * x0 / width, 3), top=round(100 * y0 / height, 3),
                   width=round(100 * max(0.0, x1 - x0) / width, 3), height=round(100 * max(0.0, y1 - y0) / height, 3))

    def style(self) -> str:
        return f"left:{self.left}%;top:{self.top}%;width:{self.width}%;height:{self.height}%"


def in_variant(report: FidelityReport, box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """A box of the original mapped through the alignment into the variant's pixels (its bounding box)."""
    (a, b, c), (d, e, f) = report.alignment.matrix
    corners = [(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs = [a * x + b * y + c for x, y in corners]
    ys = [d * x + e * y + f for x, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def measure_rows(report: FidelityReport) -> list[dict[str, Any]]:
    """Every verdict-deciding entry of the registry: the scored measures, then the pass checks."""
    rows = []
    for measure in MEASURES:
        if measure.name not in report.measures:
            continue  # measured only for other edit kinds
        value = report.measures.get(measure.name)
        score = report.measure_scores.get(measure.name)
        rows.append({"name": measure.name, "label": measure.label, "value": value, "score": score,
                     "pass": report.thresholds.get(f"{measure.name}_pass"),
                     "fail": report.thresholds.get(f"{measure.name}_fail"),
                     "ok": None if score is None else score >= SCORE_AT_PASS_LIMIT})
    check_values = {"mask_confidence": report.mask.confidence, "alignment_correlation": report.alignment.correlation}
    for check in PASS_CHECKS:
        value, limit = check_values[check.name], report.thresholds.get(check.threshold)
        rows.append({"name": check.name, "label": check.label, "value": value, "score": None,
                     "pass": limit, "fail": None, "check": True,
                     "ok": None if value is None or limit is None else value >= limit})
    return rows


def translation_rows(variant: Variant) -> list[dict[str, Any]]:
    """For a text variant: each printed line, its target text and what OCR read back on the variant."""
    if variant.kind != "text_localize":
        return []
    rows = [
        {"source": line.get("source", ""), "target": line.get("target", ""), "origin": line.get("origin", ""),
         "read_back": line.get("read_back", ""), "similarity": line.get("similarity"), "skipped": ""}
        for line in selectors.rewritten_lines_of(variant)
    ]
    rows += [
        {"source": line.get("source", ""), "target": "", "origin": "", "read_back": "", "similarity": None,
         "skipped": line.get("reason", "")}
        for line in selectors.skipped_lines_of(variant)
    ]
    return rows


def claim_status(item: ReviewItem, user: Any) -> dict[str, Any]:
    now = timezone.now()
    if item.state == ReviewItem.State.DECIDED:
        return {"code": "decided", "text": "Decided"}
    if selectors.claim_is_live(item, now):
        mine = item.claimed_by_id == user.pk
        who = "you" if mine else str(item.claimed_by)
        until = f"{item.claim_expires_at:%H:%M} UTC"
        return {"code": "mine" if mine else "other", "text": f"Claimed by {who} until {until}"}
    return {"code": "open", "text": "Open: deciding claims it for you"}


def region_rows(report: FidelityReport, original_size: tuple[int, int], output_size: tuple[int, int]
                ) -> list[dict[str, Any]]:
    """Each changed region, numbered, with its box on the original and (through the alignment) on the variant."""
    return [
        {"number": number, "region": region, "percent": round(100 * region.share, 2),
         "original": Rect.of(region.box, original_size),
         "variant": Rect.of(in_variant(report, region.box), output_size)}
        for number, region in enumerate(report.regions, start=1)
    ]
