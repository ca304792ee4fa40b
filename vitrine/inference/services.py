"""Rendering variants: load by id, run the engine, store the output, move the lifecycle on.

Every entry point is idempotent: a variant already past ``generating`` is left alone, and one that
another worker is rendering right now is not taken twice. Bad input fails the variant with the
engine's merchant-readable message; a transient error puts it back to ``requested`` for a retry.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from vitrine.inference.engine import RenderRequest, RenderResult, shared_engine
from vitrine.inference.errors import InferenceError
from vitrine.inference.masks import mask_to_image
from vitrine.inference.recipes.base import json_safe
from vitrine.platform import events
from vitrine.platform.lifecycle import IllegalTransition, VariantState
from vitrine.platform.logging import log_context
from vitrine.platform.models import Blob, Variant
from vitrine.platform.services import (
    VariantNotRetryable,
    blob_put,
    blob_read,
    variant_retry,
    variant_transition,
)
from vitrine.platform.stores import ApiError, output_fit

logger = logging.getLogger(__name__)

ACTOR = "task:vitrine.inference.render"
INTERNAL_FAILURE = "an internal error stopped the rendering; it has been reported and the variant can be retried"


@dataclass(frozen=True)
class RenderOutcome:
    variant_id: int
    state: str  # the variant's state after this call
    retry: bool = False  # a transient error: the caller should try again later


def _claim(variant_id: int) -> Variant | None:
    """Move a requested variant to ``generating``; take over one whose worker died. None: not ours."""
    variant = Variant.objects.select_related("source_image", "market", "shop").get(pk=variant_id)
    if variant.state == VariantState.GENERATING:
        now = timezone.now()
        stale_before = now - timedelta(seconds=settings.INFERENCE_TASK_TIME_LIMIT)
        # Compare-and-set on updated_at: of two workers finding the same stale variant, one takes it.
        taken = Variant.objects.filter(
            pk=variant_id, state=VariantState.GENERATING, updated_at__lte=stale_before
        ).update(updated_at=now)
        if not taken:
            return None  # another worker is on it right now
        logger.warning("variant %s was left generating by a worker that died; rendering it again", variant_id)
        return variant
    try:
        return variant_transition(
            variant_id=variant_id, to=VariantState.GENERATING, actor=ACTOR, expected_from=VariantState.REQUESTED
        )
    except IllegalTransition:
        return None


def _image(blob: Blob) -> Image.Image:
    image = Image.open(io.BytesIO(blob_read(blob)))
    image.load()
    return image


def _request(variant: Variant) -> RenderRequest:
    """The engine request for a variant: its source, mask, parameters and the market's language."""
    source = variant.source_image
    params = dict(variant.params)
    assets: dict[str, Image.Image] = {}
    if variant.kind == "text_localize":
        params.setdefault("target_language", variant.market.locale)
        shop_glossaries = (variant.shop.settings or {}).get("glossary", {})
        glossary = {
            **shop_glossaries.get(variant.market.language, {}),
            **shop_glossaries.get(variant.market.locale, {}),
            **params.get("glossary", {}),
        }
        if glossary:
            params["glossary"] = glossary
    elif variant.kind == "background" and params.get("mode") == "scene" and params.get("scene"):
        scene = Blob.objects.filter(pk=params["scene"]).first()
        if scene is not None:
            assets[params["scene"]] = _image(scene)
    return RenderRequest(
        image=_image(source.image),
        recipe=variant.kind,
        params=params,
        seed=variant.seed,
        mask=_image(source.protect_mask) if source.protect_mask_id else None,
        assets=assets,
    )


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _store(variant: Variant, result: RenderResult) -> str:
    # Fitted to the store's file limits now, not when publishing: the reviewer approves these very bytes.
    try:
        data, content_type = output_fit(variant.shop.provider, _png(result.image), "image/png")
    except ApiError as exc:
        _fail(variant.pk, f"the rendered image cannot be brought within the store's file limits: {exc.message}")
        return VariantState.FAILED
    with Image.open(io.BytesIO(data)) as fitted:
        width, height = fitted.size
    output = blob_put(data=data, content_type=content_type, width=width, height=height)
    mask_image = mask_to_image(result.protect_mask.mask)
    used_mask = blob_put(
        data=_png(mask_image), content_type="image/png", width=mask_image.width, height=mask_image.height
    )
    metadata = result.metadata
    details = render_details(result)
    with transaction.atomic():
        variant_transition(
            variant_id=variant.pk,
            to=VariantState.GENERATED,
            actor=ACTOR,
            expected_from=VariantState.GENERATING,
            output=output,
            used_mask=used_mask,
            backend=metadata.backend,
            model_id=metadata.model_id,
            model_licence=metadata.model_licence,
            timings=dict(metadata.timings),
            warnings=list(metadata.warnings),
            render_details=details,
            failure_reason="",
        )
        # The payload still carries the details for old consumers; readers use Variant.render_details.
        events.emit(
            events.VARIANT_GENERATED,
            {"variant_id": variant.pk, "offset": details["offset"], "details": dict(metadata.details)},
            shop=variant.shop,
        )
    return VariantState.GENERATED


def render_details(result: RenderResult) -> dict[str, Any]:
    """What the review page, the API and a regeneration need to know about how the output was made:
    where the source landed (offset, upscale factor), the recipe's specifics (text boxes, mask method and
    confidence, notes) and the reasons a person must look at it."""
    details = json_safe(dict(result.metadata.details))
    details["offset"] = [int(result.offset[0]), int(result.offset[1])]
    details.setdefault("upscale", 1.0)
    details["review_reasons"] = list(dict.fromkeys(details.get("review_reasons") or []))
    return details


def _fail(variant_id: int, reason: str) -> None:
    try:
        variant_transition(variant_id=variant_id, to=VariantState.FAILED, actor=ACTOR, reason=reason)
    except IllegalTransition as exc:
        logger.warning("variant %s could not be marked failed: %s", variant_id, exc)


def _settle(variant: Variant, outcome: RenderResult | InferenceError, *, final_attempt: bool) -> RenderOutcome:
    with log_context(variant_id=variant.pk, shop_id=variant.shop_id):
        try:
            return _record(variant, outcome, final_attempt=final_attempt)
        except IllegalTransition as exc:
            # Superseded while it rendered (the source image changed): the result has no home any more.
            logger.info("variant %s moved on during rendering: %s", variant.pk, exc)
            return RenderOutcome(variant.pk, exc.current)


def _record(variant: Variant, outcome: RenderResult | InferenceError, *, final_attempt: bool) -> RenderOutcome:
    if isinstance(outcome, RenderResult):
        return RenderOutcome(variant.pk, _store(variant, outcome))
    if outcome.retryable and not final_attempt:
        logger.info("variant %s hit a transient error, will retry: %s", variant.pk, outcome)
        variant_transition(
            variant_id=variant.pk,
            to=VariantState.REQUESTED,
            actor=ACTOR,
            reason=outcome.merchant_message,
            expected_from=VariantState.GENERATING,
        )
        return RenderOutcome(variant.pk, VariantState.REQUESTED, retry=True)
    if outcome.waits_for:
        # Not the merchant's fault and not final: it resumes once the resource is configured.
        reason = f"Waiting for {outcome.waits_for}: {outcome.merchant_message}"
        logger.info("variant %s waits: %s", variant.pk, reason)
        variant_transition(variant_id=variant.pk, to=VariantState.WAITING, actor=ACTOR, reason=reason,
                           expected_from=VariantState.GENERATING, failure_reason=reason)
        return RenderOutcome(variant.pk, VariantState.WAITING)
    logger.info("variant %s failed: %s", variant.pk, outcome)
    _fail(variant.pk, outcome.merchant_message)
    return RenderOutcome(variant.pk, VariantState.FAILED)


def variants_render(*, variant_ids: list[int], final_attempt: bool = False) -> list[RenderOutcome]:
    """Render several variants together: one diffusers batch per model and working size.

    Variants that are not claimable (already rendered, or being rendered by another worker) are skipped.
    """
    claimed = [variant for variant in map(_claim, variant_ids) if variant is not None]
    requests: dict[int, RenderRequest] = {}
    outcomes: list[RenderOutcome] = []
    for variant in claimed:
        try:
            requests[variant.pk] = _request(variant)
        except (OSError, Image.DecompressionBombError) as exc:
            logger.warning("variant %s: source image unreadable: %s", variant.pk, exc)
            _fail(variant.pk, "the source image could not be read; sync the product again")
            outcomes.append(RenderOutcome(variant.pk, VariantState.FAILED))
    renderable = [variant for variant in claimed if variant.pk in requests]
    if not renderable:
        return outcomes
    try:
        results = shared_engine().render_batch(
            [requests[variant.pk] for variant in renderable], time_limit_s=settings.INFERENCE_TASK_SOFT_TIME_LIMIT
        )
    except InferenceError as exc:  # no engine at all, e.g. an unreadable model registry file
        results = [exc] * len(renderable)
    except SoftTimeLimitExceeded:
        limit = settings.INFERENCE_TASK_SOFT_TIME_LIMIT
        for variant in renderable:
            _fail(variant.pk, f"rendering took longer than {limit} s and was stopped")
        raise
    except Exception:
        for variant in renderable:
            _fail(variant.pk, INTERNAL_FAILURE)
        raise
    for variant, outcome in zip(renderable, results, strict=True):
        outcomes.append(_settle(variant, outcome, final_attempt=final_attempt))
    return outcomes


def _waiting_resource_ready(variant: Variant) -> bool:
    """Whether what the waiting variant lacked is configured now (in this process's settings)."""
    try:
        shared_engine().resolve_model(str(variant.params.get("model") or ""), purpose=variant.kind.replace("_", " "))
    except InferenceError:
        return False
    return True


def variants_resume_waiting(*, shop_id: int | None = None, actor: str = "task:vitrine.inference.resume") -> list[int]:
    """Send every waiting variant whose model is now configured back to rendering; the ids resumed.

    Variants still lacking it stay waiting, untouched, so this is cheap to call at every worker start.
    """
    waiting = Variant.objects.filter(state=VariantState.WAITING).order_by("pk")
    if shop_id is not None:
        waiting = waiting.filter(shop_id=shop_id)
    resumed = []
    for variant in waiting:
        if not _waiting_resource_ready(variant):
            continue
        try:
            variant_retry(variant_id=variant.pk, actor=actor, reason="the missing model is configured now")
        except VariantNotRetryable as exc:
            logger.info("waiting variant %s not resumed: %s", variant.pk, exc)
            continue
        resumed.append(variant.pk)
    if resumed:
        logger.info("resumed %d waiting variant(s)", len(resumed))
    return resumed

