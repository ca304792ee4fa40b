"""The fidelity gate: score a generated variant's SKU fidelity, then send it to review or fail it.

The thresholds are the ones copied onto the variant when it was planned (``Variant.fidelity_thresholds``), under
the deployment's ``FIDELITY_THRESHOLDS``; never the variant's own generation parameters.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from vitrine.fidelity import FidelityInputError, ThresholdError, assess
from vitrine.platform import events
from vitrine.platform.lifecycle import IllegalTransition, VariantState
from vitrine.platform.merchants import AUTO_PUBLISH_PASS, review_policy_of
from vitrine.platform.models import Blob, Variant
from vitrine.platform.services import blob_put, blob_read, variant_transition
from vitrine.review.models import ReviewArtefact, ReviewItem
from vitrine.review.services import review_item_open
from vitrine.review.text_cache import SharedTextCache

logger = logging.getLogger(__name__)


ESTIMATED_MASK_METHODS = ("classical", "grabcut", "segmentation")


def _thresholds(variant: Variant) -> dict[str, Any] | None:
    """The template version's threshold overrides as copied onto the variant when it was planned (settings'
    FIDELITY_THRESHOLDS apply below them), so a later template revision cannot move a variant's gate. Never
    the variant's own parameters: a reviewer adjusts those on regenerate, and must not loosen the gate."""
    return dict(variant.fidelity_thresholds) or None


def _colourway_target(variant: Variant) -> tuple[float, float, float] | None:
    """The CIELAB colour a colourway variant had to reach, as its render resolved it (``target``,
    ``target_lab`` or a ``target_image`` swatch photo alike); from its parameters for a variant rendered
    before renders recorded it (a swatch photo then cannot be checked)."""
    if variant.kind != "colourway":
        return None
    from vitrine.inference.colourspace import parse_lab, rgb_to_lab_exact
    from vitrine.inference.params import parse_color

    resolved = (variant.render_details or {}).get("target_lab")
    try:
        if resolved:
            lightness, a, b = (float(v) for v in resolved)
            return lightness, a, b
        if variant.params.get("target"):
            lab = rgb_to_lab_exact(parse_color(variant.params["target"]))[0]
            return float(lab[0]), float(lab[1]), float(lab[2])
        if variant.params.get("target_lab"):
            return parse_lab(variant.params["target_lab"])
    except (ValueError, TypeError):
        return None  # the render refused it already; the report then says the target was not checked
    return None


def variant_assess(*, variant_id: int, offset: Sequence[int] | None = None,
                   rewritten_boxes: Sequence[Sequence[int]] | None = None) -> ReviewItem | None:
    """Score a generated variant's SKU fidelity and send it to review, or fail it below the hard floor.

    ``offset`` is where the render put source pixel (0, 0) in its output; ``rewritten_boxes`` are areas
    a text edit legitimately rewrote (source pixels), left out of the comparison. Both default to what the
    variant's ``render_details`` say, as do the upscale factor, the reasons that always need a person and the
    renderer's confidence in an estimated product outline (a low one keeps the variant from passing).

    Idempotent: a variant that is no longer ``generated`` is left alone (its review item, if any, is
    returned). The comparison runs outside any transaction; the move and the item are written together.
    """
    variant = Variant.objects.select_related("shop", "source_image__image", "source_image__protect_mask",
                                             "output", "used_mask").get(pk=variant_id)
    if variant.state != VariantState.GENERATED:
        return ReviewItem.objects.filter(variant=variant).first()
    actor = "task:review.assess_variant"
    if variant.output is None:
        _fail_generated(variant, actor, "No output image was stored for this variant, so it cannot be reviewed.")
        return None
    details = variant.render_details or {}
    if offset is None:
        offset = details.get("offset") or (0, 0)
    if rewritten_boxes is None:
        rewritten_boxes = rewritten_text_boxes(details, offset)
    upscale = float(details.get("upscale") or 1.0)
    # An outline the renderer estimated carries its confidence; supplied masks and alpha are certain.
    mask_method = str(details.get("mask_method") or "given")
    mask_confidence = details.get("mask_confidence") if mask_method in ESTIMATED_MASK_METHODS else None
    try:
        original = _load_image(variant.source_image.image, mode="RGB")
        output = _load_image(variant.output, mode="RGB")
        mask = _product_mask(variant, original.size, (int(offset[0]), int(offset[1])), upscale)
        if upscale != 1.0:
            output, offset = _scaled_back(output, original.size, offset, upscale), (0, 0)
    except (OSError, Image.DecompressionBombError) as exc:
        _fail_generated(variant, actor, f"The images could not be read for the fidelity check: {exc}")
        return None
    try:
        assessment = assess(
            original, output, mask,
            kind=variant.kind, thresholds=_thresholds(variant),
            ignore_boxes=list(rewritten_boxes) or None,
            ocr=settings.FIDELITY_OCR, mask_confidence=mask_confidence, mask_method=mask_method,
            text_cache=SharedTextCache(), target_colour=_colourway_target(variant),
        )
    except ThresholdError as exc:
        _fail_generated(variant, actor, f"The template's fidelity thresholds are invalid: {exc}")
        return None
    except FidelityInputError as exc:
        # The automatic check could not run: a person looks at it instead, with the reason on the page.
        logger.warning("variant %s could not be scored: %s", variant.pk, exc)
        return _send_to_review(variant, actor, fidelity={"error": str(exc)}, verdict="review", score=None,
                               artefacts={})
    report = assessment.report
    artefacts = {name: _blob_for_png(png) for name, png in assessment.artefacts.items()}
    if report.failed:
        floor = report.thresholds["hard_floor"]
        reason = (
            f"The product in this variant differs too much from the original (fidelity score {report.score:.2f}, "
            f"below the floor of {floor:.2f}): " + "; ".join(report.reasons) + "."
        )
        with transaction.atomic():
            if _fail_generated(variant, actor, reason, fidelity=report.to_dict(), fidelity_verdict=report.verdict,
                               fidelity_score=report.score):
                _artefacts_store(variant, artefacts)
        return None
    fidelity, verdict = report.to_dict(), report.verdict
    must_see = [str(reason) for reason in details.get("review_reasons") or []]
    if must_see:
        # A passing score does not clear what the renderer itself was unsure of: a person decides.
        fidelity["reasons"] = [*fidelity.get("reasons", []), *must_see]
        verdict = "review" if verdict == "pass" else verdict
        fidelity["verdict"] = verdict
    return _send_to_review(variant, actor, fidelity=fidelity, verdict=verdict, score=report.score,
                           artefacts=artefacts)


def _send_to_review(variant: Variant, actor: str, *, fidelity: dict[str, Any], verdict: str, score: float | None,
                    artefacts: dict[str, Blob]) -> ReviewItem | None:
    with transaction.atomic():
        try:
            variant = variant_transition(
                variant_id=variant.pk, to=VariantState.IN_REVIEW, actor=actor, expected_from=VariantState.GENERATED,
                fidelity=fidelity, fidelity_verdict=verdict, fidelity_score=score,
            )
        except IllegalTransition:
            return ReviewItem.objects.filter(variant=variant).first()  # another run got there first
        _artefacts_store(variant, artefacts)
        item = review_item_open(variant=variant)
        _apply_review_policy(item, verdict=verdict, score=score)
        return item


POLICY_ACTOR = "system:review_policy"


def _apply_review_policy(item: ReviewItem, *, verdict: str, score: float | None) -> None:
    """Approve at once what the shop's policy lets skip the queue (verdict pass, score high enough)."""
    mode, min_score = review_policy_of(item.shop)
    if mode != AUTO_PUBLISH_PASS or verdict != "pass" or score is None or score < min_score:
        return
    variant_transition(variant_id=item.variant_id, to=VariantState.APPROVED, actor=POLICY_ACTOR,
                       reason=f"the shop's policy approves verdict pass with score {score:.2f} >= {min_score:.2f}",
                       expected_from=VariantState.IN_REVIEW)
    events.emit(events.VARIANT_APPROVED, {"variant_id": item.variant_id, "decision_id": None,
                                          "reviewer_id": None, "policy": True}, shop=item.shop)
    item.state = ReviewItem.State.DECIDED
    item.decided_at = timezone.now()
    item.save(update_fields=["state", "decided_at"])


def _fail_generated(variant: Variant, actor: str, reason: str, **fields: Any) -> bool:
    try:
        variant_transition(variant_id=variant.pk, to=VariantState.FAILED, actor=actor, reason=reason,
                           expected_from=VariantState.GENERATED, **fields)
    except IllegalTransition:
        return False
    return True


def _artefacts_store(variant: Variant, artefacts: dict[str, Blob]) -> None:
    for name, blob in artefacts.items():
        ReviewArtefact.objects.update_or_create(variant=variant, name=name.removesuffix(".png"),
                                                defaults={"blob": blob})


def _blob_for_png(png: bytes) -> Blob:
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    return blob_put(data=png, content_type="image/png", width=width, height=height)


def _load_image(blob: Blob, *, mode: str) -> Image.Image:
    with Image.open(io.BytesIO(blob_read(blob))) as image:
        return image.convert(mode)


def _scaled_back(output: Image.Image, size: tuple[int, int], offset: Sequence[int], factor: float) -> Image.Image:
    """The part of an enlarged output that shows the source, brought back to the source's size, so the
    comparison sees what enlarging changed beyond resampling."""
    dx, dy = int(offset[0]), int(offset[1])
    box = (dx, dy, dx + round(size[0] * factor), dy + round(size[1] * factor))
    return output.crop(box).resize(size, Image.Resampling.LANCZOS)


def _product_mask(variant: Variant, size: tuple[int, int], offset: tuple[int, int],
                  upscale: float = 1.0) -> Image.Image | None:
    """The product mask on the original's canvas: the mask the edit kept exact, moved back by the render's
    offset (a marketplace main image re-centres the product) and scaled back when it was enlarged, else the
    source image's protect mask. None lets compare() estimate the product itself (the report says so)."""
    width, height = size
    dx, dy = offset
    if variant.used_mask is not None and upscale != 1.0:
        used = _load_image(variant.used_mask, mode="L")
        return _scaled_back(used, size, offset, upscale).point(lambda value: 255 if value >= 128 else 0)
    if variant.used_mask is not None:
        used = _load_image(variant.used_mask, mode="L")
        if min(dx, dy) >= 0 and dx + width <= used.width and dy + height <= used.height:
            return used.crop((dx, dy, dx + width, dy + height))
    if variant.source_image.protect_mask is not None:
        protect = _load_image(variant.source_image.protect_mask, mode="L")
        if protect.size == size:
            return protect
    return None


def rewritten_text_boxes(details: Mapping[str, Any], offset: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """The areas a text_localize render rewrote on purpose, in source pixels: each line's original text box
    joined with the box of the ink drawn for its translation (which the render reports in output pixels).

    ``details`` and ``offset`` are what the renderer put in the variant.generated event.
    """
    dx, dy = offset
    boxes = []
    for line in details.get("lines", []):
        try:
            x0, y0, x1, y1 = (int(v) for v in line["box"])
            if "ink" in line:
                ix0, iy0, ix1, iy1 = (int(v) for v in line["ink"])
                x0, y0, x1, y1 = min(x0, ix0 - dx), min(y0, iy0 - dy), max(x1, ix1 - dx), max(y1, iy1 - dy)
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"a rewritten text line must carry a box [x0, y0, x1, y1]; got {line!r}") from None
        boxes.append((x0, y0, x1, y1))
    return boxes
