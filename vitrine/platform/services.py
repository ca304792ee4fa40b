"""Kernel writes: blobs, image intake, variant moves, event delivery, shop purge, re-driving stuck work.

The catalogue copy (product upsert, the sync driver) is in :mod:`vitrine.platform.catalog`; merchant
settings (policy, markets, team) in :mod:`vitrine.platform.merchants`."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from vitrine.platform import events, selectors
from vitrine.platform.intake import (
    FORMAT_CONTENT_TYPES,
    NormalizedImage,
    image_normalize,
)
from vitrine.platform.lifecycle import LIVE_STATES, IllegalTransition, VariantState, can_move
from vitrine.platform.logging import log_context
from vitrine.platform.models import (
    Blob,
    Event,
    HandlerRun,
    Product,
    Shop,
    SourceImage,
    Variant,
    VariantTransition,
)

logger = logging.getLogger(__name__)


# --- blobs ----------------------------------------------------------------------------------------
def blob_put(*, data: bytes, content_type: str, width: int | None = None, height: int | None = None) -> Blob:
    """Store bytes once under their sha256; storing the same bytes again returns the existing Blob."""
    digest = hashlib.sha256(data).hexdigest()
    existing = Blob.objects.filter(pk=digest).first()
    if existing is not None:
        return existing
    extension = mimetypes.guess_extension(content_type) or ".bin"
    path = f"blobs/{digest[:2]}/{digest[2:4]}/{digest}{extension}"
    if not default_storage.exists(path):
        saved = default_storage.save(path, ContentFile(data))
        if saved != path:  # a concurrent writer stored the same bytes first; ours is a duplicate
            default_storage.delete(saved)
    try:
        with transaction.atomic():
            return Blob.objects.create(
                sha256=digest, path=path, size=len(data), content_type=content_type, width=width, height=height
            )
    except IntegrityError:
        return Blob.objects.get(pk=digest)


def blob_read(blob: Blob) -> bytes:
    with default_storage.open(blob.path, "rb") as handle:
        return handle.read()


# --- image intake ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntakeResult:
    original: Blob
    image: Blob
    normalized: NormalizedImage


def image_intake(data: bytes, *, filename: str = "") -> IntakeResult:
    """Normalise and store one image (original bytes and normalised PNG). Raises ImageRejected."""
    normalized = image_normalize(data, filename=filename)
    # The type comes from the format the decoder recognised, never from the name (an ``x.html`` that is a
    # valid PNG is stored and served as image/png).
    original = blob_put(data=data, content_type=FORMAT_CONTENT_TYPES[normalized.source_format])
    image = blob_put(
        data=normalized.png, content_type="image/png", width=normalized.width, height=normalized.height
    )
    return IntakeResult(original=original, image=image, normalized=normalized)


# --- variants -------------------------------------------------------------------------------------
def variant_transition(
    *, variant_id: int, to: str, actor: str, reason: str = "", expected_from: str | None = None, **fields: object
) -> Variant:
    """Move a variant along the lifecycle, write the audit row, and set ``fields`` in the same transaction.

    The row is locked (``select_for_update``) so two concurrent moves serialise: the second sees the first
    one's result and raises :class:`IllegalTransition` if its move is no longer allowed.
    """
    with transaction.atomic():
        variant = Variant.objects.select_for_update().get(pk=variant_id)
        current = variant.state
        if (expected_from is not None and current != expected_from) or not can_move(current, to):
            raise IllegalTransition(variant_id, current, to, expected_from)
        variant.state = to
        if to == VariantState.FAILED and reason:
            variant.failure_reason = reason
        for name, value in fields.items():
            setattr(variant, name, value)
        variant.save()
        VariantTransition.objects.create(variant=variant, from_state=current, to_state=to, actor=actor,
                                         reason=reason)
        if to == VariantState.FAILED:
            events.emit(events.VARIANT_FAILED, {"variant_id": variant.pk, "reason": reason}, shop=variant.shop)
    with log_context(variant_id=variant_id, shop_id=variant.shop_id):
        logger.info("variant %s: %s -> %s by %s", variant_id, current, to, actor)
    return variant


class VariantActionRefused(ValidationError):
    """The variant is not in a state the action applies to; the message says what would."""


class VariantNotRetryable(VariantActionRefused):
    """The variant cannot be sent back for rendering; the message says why."""


RETRYABLE_STATES = frozenset({VariantState.FAILED, VariantState.WAITING})


def variant_retry(*, variant_id: int, actor: str, reason: str = "retry requested") -> Variant:
    """Send a failed (or waiting) variant back to ``requested`` and ask for its rendering again.

    The one entry point for a retry: the admin action, ``manage.py resume_waiting`` and API callers use it.
    Refused when the variant is in another state, or when a newer live variant already covers the same
    image, template version and market (retrying would duplicate it).
    """
    with transaction.atomic():
        variant = Variant.objects.select_for_update().get(pk=variant_id)
        if variant.state not in RETRYABLE_STATES:
            raise VariantNotRetryable(
                f"variant {variant_id} is {variant.state}; only failed or waiting variants can be retried",
                code="not_failed",
            )
        try:
            with transaction.atomic():
                variant = variant_transition(variant_id=variant_id, to=VariantState.REQUESTED, actor=actor,
                                             reason=reason, failure_reason="")
        except IntegrityError as exc:
            newer = Variant.objects.filter(
                source_image_id=variant.source_image_id, source_sha256=variant.source_sha256,
                template_slug=variant.template_slug, template_version=variant.template_version,
                market_id=variant.market_id, state__in=LIVE_STATES,
            ).exclude(pk=variant_id).values_list("pk", flat=True).first()
            raise VariantNotRetryable(
                f"variant {variant_id} cannot be retried: variant {newer} already covers the same image, "
                "template version and market", code="replanned",
            ) from exc
        events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=variant.shop)
    return variant


def variants_supersede(*, variants: list[Variant] | None = None, source_image: SourceImage | None = None,
                       actor: str, reason: str) -> int:
    """Supersede live variants (of one source image, or the given ones) that are not yet published."""
    if variants is None:
        assert source_image is not None
        variants = list(
            Variant.objects.filter(source_image=source_image, state__in=LIVE_STATES - {VariantState.PUBLISHED})
        )
    count = 0
    for variant in variants:
        try:
            variant_transition(variant_id=variant.pk, to=VariantState.SUPERSEDED, actor=actor, reason=reason)
            count += 1
        except IllegalTransition:
            continue  # it moved on (e.g. to publishing) meanwhile; nothing to supersede
    return count


# --- shops ----------------------------------------------------------------------------------------
def shop_purge(*, shop_id: int) -> None:
    """Delete everything held for a shop (shop/redact); blobs no other row references are deleted too."""
    from vitrine.platform.selectors import blob_owners

    shop = Shop.objects.get(pk=shop_id)
    blob_ids: set[str] = set()
    for model, fields, shop_lookup in blob_owners():
        for row in model.objects.filter(**{shop_lookup: shop}).values_list(*(f"{f}_id" for f in fields)):
            blob_ids.update(filter(None, row))
    with transaction.atomic():
        Variant.objects.filter(shop=shop).delete()
        SourceImage.objects.filter(product__shop=shop).delete()
        Product.objects.filter(shop=shop).delete()
        shop.markets.all().delete()
        shop.delete()  # cascades to every other row that belongs to the shop
    blob_delete_unreferenced(blob_ids)


def blob_delete_unreferenced(candidates: set[str]) -> int:
    from vitrine.platform.selectors import blob_owners

    references = [(model, name) for model, fields, _ in blob_owners() for name in fields]
    deleted = 0
    for sha in candidates:
        if any(model.objects.filter(**{f"{name}_id": sha}).exists() for model, name in references):
            continue
        blob = Blob.objects.filter(pk=sha).first()
        if blob is not None:
            default_storage.delete(blob.path)
            blob.delete()
            deleted += 1
    return deleted


# --- event delivery -------------------------------------------------------------------------------
class HandlersFailed(Exception):
    pass


def event_deliver(*, event_id: int) -> list[str]:
    """Run every registered handler of an event that has not run yet; returns the handlers that ran.

    Each handler runs in its own transaction together with its HandlerRun row, so it either ran and is
    recorded, or neither. A failed handler leaves the event undelivered for the relay to retry later.
    """
    event = Event.objects.select_related("shop").get(pk=event_id)
    if event.delivered_at is not None:
        return []
    ran: list[str] = []
    failures: list[str] = []
    with log_context(event_id=event.pk, shop_id=event.shop_id):
        for name, handler in events.handlers_for(event.type).items():
            try:
                with transaction.atomic():
                    _, created = HandlerRun.objects.get_or_create(event=event, handler=name)
                    if not created:
                        continue
                    handler(event)
                ran.append(name)
            except Exception as exc:
                logger.exception("handler %s failed for event %s", name, event.pk)
                failures.append(f"{name}: {exc}")
    now = timezone.now()
    if failures:
        attempts = event.attempts + 1
        backoff = min(settings.EVENT_RELAY_GRACE_SECONDS * 2 ** (attempts - 1), 3600)
        Event.objects.filter(pk=event.pk).update(
            attempts=F("attempts") + 1, last_error="\n".join(failures)[:5000],
            next_attempt_at=now + timedelta(seconds=backoff),
        )
        if attempts >= settings.EVENT_MAX_ATTEMPTS:
            # The relay stops here: an error (reported to Sentry by its logging integration) and the dead
            # count on /healthz make it visible; `manage.py events_redrive` or the admin action re-drives it.
            logger.error("event %s (%s) abandoned after %s attempts: %s", event.pk, event.type, attempts,
                         "; ".join(failures)[:1000])
        raise HandlersFailed(f"{len(failures)} handler(s) failed for event {event.pk}: " + "; ".join(failures))
    Event.objects.filter(pk=event.pk).update(delivered_at=now, attempts=F("attempts") + 1, last_error="")
    return ran


def events_relay(*, limit: int = 500) -> int:
    """Dispatch again the events committed a while ago and still not delivered (broker down, worker died)."""
    now = timezone.now()
    due = (
        Event.objects.filter(delivered_at__isnull=True, attempts__lt=settings.EVENT_MAX_ATTEMPTS)
        .filter(created_at__lte=now - timedelta(seconds=settings.EVENT_RELAY_GRACE_SECONDS))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for event_id in list(due) if events.dispatch(event_id))


# --- re-driving events ---------------------------------------------------------------------------
def events_redrive(*, event_ids: list[int] | None = None) -> int:
    """Give events that exhausted their attempts (or the given undelivered ones) a fresh start and dispatch
    them; handlers that already ran for them are not run again. Returns how many were re-driven."""
    undelivered = Event.objects.filter(delivered_at__isnull=True)
    chosen = (undelivered.filter(pk__in=event_ids) if event_ids is not None
              else Event.objects.filter(selectors.event_abandoned()))
    ids = list(chosen.values_list("pk", flat=True))
    Event.objects.filter(pk__in=ids).update(attempts=0, next_attempt_at=None)
    for event_id in ids:
        logger.info("event %s re-driven by an operator", event_id)
        events.dispatch(event_id)
    return len(ids)


# --- stuck variants -------------------------------------------------------------------------------
def variants_redrive(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep: enqueue again the next step of every variant left in a non-terminal state past its deadline
    (``VARIANT_STUCK_AFTER``), at most once per deadline. Every step is idempotent, so a variant that was only
    slow is not done twice. Returns the count per state (also logged)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for state, cutoff in selectors.stuck_cutoffs(now).items():
        redrive = events.redriver_for(state)
        if redrive is None:
            continue
        stuck = Variant.objects.filter(state=state, updated_at__lte=cutoff).filter(
            Q(redriven_at__isnull=True) | Q(redriven_at__lte=cutoff)).exclude(selectors.waiting_for_merchant_publish())
        for variant in stuck.select_related("shop").order_by("pk")[:1000]:
            with transaction.atomic():
                # Claim, then enqueue in the same transaction: two sweeps never both re-drive one variant.
                claimed = Variant.objects.filter(pk=variant.pk, state=state).filter(
                    Q(redriven_at__isnull=True) | Q(redriven_at__lte=cutoff)).update(redriven_at=now)
                if not claimed:
                    continue
                redrive(variant)
            counts[state] = counts.get(state, 0) + 1
    if counts:
        logger.warning("stuck-variant sweep re-drove %s variant(s): %s", sum(counts.values()), counts)
    return counts
