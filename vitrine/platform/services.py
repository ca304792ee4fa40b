"""Kernel writes: blobs, image intake, the catalogue copy, variant moves, event delivery, shop purge."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from vitrine.platform import events
from vitrine.platform.intake import (
    FORMAT_CONTENT_TYPES,
    ImageRejected,
    NormalizedImage,
    image_normalize,
    mask_normalize,
)
from vitrine.platform.lifecycle import LIVE_STATES, IllegalTransition, VariantState, can_move
from vitrine.platform.logging import log_context
from vitrine.platform.models import (
    Blob,
    Event,
    FetchStatus,
    HandlerRun,
    Market,
    Product,
    Shop,
    ShopMembership,
    SourceImage,
    Variant,
    VariantTransition,
)
from vitrine.platform.roles import Role
from vitrine.platform.stores import ApiError

if TYPE_CHECKING:
    from vitrine.platform.stores import Connector, RemoteImage, RemoteProduct

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


# --- catalogue ------------------------------------------------------------------------------------
def product_upsert(*, shop: Shop, remote: RemoteProduct, connector: Connector) -> Product:
    """Bring the local copy of one product in line with the store: fields, images (through intake).

    A changed image supersedes the variants made from its old bytes. Images we published ourselves are
    recorded as such and never become sources. Emits ``catalog.product_synced`` when done.
    """
    now = timezone.now()
    product, _ = Product.objects.update_or_create(
        shop=shop,
        external_id=remote.external_id,
        defaults=dict(
            handle=remote.handle, title=remote.title, product_type=remote.product_type, category=remote.category,
            vendor=remote.vendor,
            tags=list(remote.tags), status=remote.status, remote_updated_at=remote.updated_at, synced_at=now,
            deleted_at=None,
            **({} if remote.options is None else
               {"options": [{"name": name, "values": list(values)} for name, values in remote.options]}),
        ),
    )
    seen: set[str] = set()
    rejected: list[dict[str, str]] = []
    changed_images: list[int] = []
    for remote_image in remote.images:
        seen.add(remote_image.remote_id)
        try:
            with transaction.atomic():  # a savepoint: one image's failure leaves the others' rows intact
                image, changed = _source_image_upsert(product=product, remote_image=remote_image,
                                                      connector=connector)
        except (ImageRejected, ApiError, OSError) as exc:
            # One bad image (gone, timing out, refused, unreadable) never drops the product's update: it is
            # recorded on the image, and the product is read again by the next sync.
            code, message = _image_failure(exc)
            rejected.append({"remote_id": remote_image.remote_id, "code": code, "message": message})
            _source_image_fetch_failed(product=product, remote_image=remote_image, reason=message)
            continue
        if changed:
            changed_images.append(image.pk)
    if rejected:
        # Forget the store's change time so an incremental sync does not think this copy is complete.
        Product.objects.filter(pk=product.pk).update(remote_updated_at=None)
    for gone in product.images.filter(removed_at__isnull=True).exclude(remote_id__in=seen):
        gone.removed_at = now
        gone.save(update_fields=["removed_at", "updated_at"])
        variants_supersede(source_image=gone, actor="system:sync", reason="the source image was removed")
    events.emit(
        events.CATALOG_PRODUCT_SYNCED,
        {"product_id": product.pk, "changed_image_ids": changed_images, "rejected_images": rejected},
        shop=shop,
    )
    return product


def _image_failure(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ImageRejected):
        return exc.code, exc.message
    if isinstance(exc, ApiError):
        return exc.code or type(exc).__name__, exc.message
    return "unreadable", f"the image could not be read: {exc}"


def _source_image_fetch_failed(*, product: Product, remote_image: RemoteImage, reason: str) -> SourceImage:
    """Record why an image could not be taken in. An image stored before keeps its last good bytes (and its
    variants); a new one is kept without bytes, which the planner skips."""
    existing = SourceImage.objects.filter(product=product, remote_id=remote_image.remote_id).first()
    fields = dict(fetch_status=FetchStatus.FAILED, fetch_error=reason[:2000], position=remote_image.position,
                  alt=remote_image.alt, removed_at=None)
    if existing is None:
        # No address recorded: the next sync or webhook sees the image as new and tries it again.
        return SourceImage.objects.create(product=product, remote_id=remote_image.remote_id, source_url="",
                                          **fields)
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.save()
    return existing


def _source_image_upsert(*, product: Product, remote_image: RemoteImage, connector: Connector
                         ) -> tuple[SourceImage, bool]:
    own = connector.is_own_media(remote_image)
    existing = SourceImage.objects.filter(product=product, remote_id=remote_image.remote_id).first()
    if existing is not None and own and not existing.published_by_us and existing.removed_at is None:
        # Our replace-mode publish now shows in the merchant's image slot: the merchant's photo stays the
        # source and its other variants stay live. Only the merchant's own change to the slot supersedes.
        SourceImage.objects.filter(pk=existing.pk).update(position=remote_image.position)
        return existing, False
    if (existing is not None and existing.source_url == remote_image.url and existing.removed_at is None
            and existing.fetch_status == FetchStatus.OK):
        # Same file address as last time: only metadata (and the supplied mask) may have changed; no download.
        mask, warnings = _supplied_mask(remote_image, connector, (existing.width, existing.height))
        SourceImage.objects.filter(pk=existing.pk).update(
            position=remote_image.position, alt=remote_image.alt, published_by_us=existing.published_by_us or own,
            **({"protect_mask": mask} if mask is not None else {}),
            **({"intake_warnings": [*existing.intake_warnings, *warnings]} if warnings else {}),
        )
        return existing, False
    data = connector.fetch_image_bytes(remote_image)
    intake = image_intake(data, filename=remote_image.url.rsplit("/", 1)[-1].split("?")[0])
    normalized = intake.normalized
    mask, mask_warnings = _supplied_mask(remote_image, connector, (normalized.width, normalized.height))
    fields = dict(
        source_url=remote_image.url, position=remote_image.position, alt=remote_image.alt,
        original=intake.original, image=intake.image, sha256=intake.image.sha256, width=normalized.width,
        height=normalized.height, has_alpha=normalized.has_alpha,
        intake_warnings=[*normalized.warnings, *mask_warnings], published_by_us=own, removed_at=None,
        fetch_status=FetchStatus.OK, fetch_error="",
        **({"protect_mask": mask} if mask is not None else {}),
    )
    if existing is None:
        return SourceImage.objects.create(product=product, remote_id=remote_image.remote_id, **fields), True
    bytes_changed = existing.sha256 != intake.image.sha256
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.save()
    if bytes_changed:
        variants_supersede(source_image=existing, actor="system:sync", reason="the source image changed")
    return existing, bytes_changed


def _supplied_mask(remote_image: RemoteImage, connector: Connector, size: tuple[int, int]
                   ) -> tuple[Blob | None, list[str]]:
    """The merchant's product mask for this photo as a stored black/white PNG, or why it was not used.

    A bad mask never costs the photo: the photo is imported without it and the reason is kept with it.
    """
    if remote_image.mask_error:
        return None, [remote_image.mask_error]
    if not remote_image.mask_url:
        return None, []
    from dataclasses import replace

    try:
        data = connector.fetch_image_bytes(replace(remote_image, url=remote_image.mask_url))
        png = mask_normalize(data, size=size)
    except ImageRejected as exc:
        return None, [f"the mask was not used: {exc.message}"]
    except (ApiError, OSError) as exc:
        return None, [f"the mask was not used: it could not be fetched ({exc})"]
    return blob_put(data=png, content_type="image/png", width=size[0], height=size[1]), []


def product_mark_deleted(*, shop: Shop, external_id: str) -> Product | None:
    product = Product.objects.filter(shop=shop, external_id=external_id).first()
    if product is None:
        return None
    product.deleted_at = timezone.now()
    product.save(update_fields=["deleted_at"])
    live = Variant.objects.filter(source_image__product=product, state__in=LIVE_STATES - {VariantState.PUBLISHED})
    variants_supersede(variants=list(live), actor="system:sync", reason="the product was deleted from the store")
    return product


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
    from django.apps import apps

    references = [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if getattr(field, "related_model", None) is Blob and field.many_to_one
    ]
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


# --- merchant settings: the shop, its markets, its team -------------------------------------------
# Review policy: a person looks at every variant, or variants whose fidelity verdict is "pass" with at
# least ``auto_publish_min_score`` skip the queue and are approved (and published) by the policy.
REVIEW_ALL = "review_all"
AUTO_PUBLISH_PASS = "auto_publish_pass"
REVIEW_MODES = (REVIEW_ALL, AUTO_PUBLISH_PASS)
DEFAULT_AUTO_PUBLISH_MIN_SCORE = 0.9
MAX_DAILY_CAP = 100_000

# BCP 47 (RFC 5646) language tag, the parts a market uses: language, script, region, variants.
_BCP47 = re.compile(
    r"^(?P<language>[A-Za-z]{2,3})"  # ISO 639: the longer forms BCP 47 reserves are not languages of any store
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)$"
)


class MarketInUse(ValidationError):
    """A market with variants cannot be deleted (their audit trail names it); disable it instead."""


def locale_validate(value: str) -> str:
    """Return the canonical form of a BCP 47 tag (``de_de`` -> ``de-DE``, ``zh-hans-cn`` -> ``zh-Hans-CN``).

    Raises ``ValidationError`` for anything that is not a language tag.
    """
    tag = (value or "").strip().replace("_", "-")
    match = _BCP47.match(tag)
    if match is None:
        raise ValidationError(
            f"{value!r} is not a BCP 47 language tag; use a language with an optional script and region, "
            "e.g. de-DE, fr, zh-Hans-CN", code="invalid_locale")
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts.extend(part.lower() for part in match["variants"].split("-") if part)
    return "-".join(parts)


def _region_for(locale: str, region: str) -> str:
    region = (region or "").strip().upper()
    if region and not re.fullmatch(r"[A-Z]{2}", region):
        raise ValidationError({"region": f"{region!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE)"})
    if not region:
        last = locale.split("-")[-1]
        region = last if re.fullmatch(r"[A-Z]{2}", last) else ""
    return region


def market_create(*, shop: Shop, locale: str, actor: str, region: str = "", name: str = "",
                  enabled: bool = True) -> Market:
    """Add a market (language tag validated and normalised; the region defaults to the tag's)."""
    try:
        canonical = locale_validate(locale)
    except ValidationError as exc:
        raise ValidationError({"locale": exc.messages}) from None
    if Market.objects.filter(shop=shop, locale__iexact=canonical).exists():
        raise ValidationError({"locale": f"the shop has a {canonical} market already"})
    market = Market.objects.create(shop=shop, locale=canonical, region=_region_for(canonical, region),
                                   name=name.strip()[:100], enabled=enabled)
    logger.info("market %s added to shop %s by %s", canonical, shop.pk, actor)
    return market


def market_update(*, shop: Shop, market_id: int, actor: str, **changes: object) -> Market:
    """Change a market's locale, region, name or enabled flag."""
    market = Market.objects.get(shop=shop, pk=market_id)
    unknown = sorted(set(changes) - {"locale", "region", "name", "enabled"})
    if unknown:
        raise ValidationError({unknown[0]: "this field cannot be changed"})
    if "locale" in changes:
        try:
            canonical = locale_validate(str(changes["locale"]))
        except ValidationError as exc:
            raise ValidationError({"locale": exc.messages}) from None
        if canonical != market.locale:
            if Market.objects.filter(shop=shop, locale__iexact=canonical).exclude(pk=market.pk).exists():
                raise ValidationError({"locale": f"the shop has a {canonical} market already"})
            if market.variants.exists():
                raise ValidationError({"locale": "variants were made for this market; add a new market instead "
                                                 "of changing its language"})
            market.locale = canonical
    if "region" in changes:
        market.region = _region_for(market.locale, str(changes["region"] or ""))
    if "name" in changes:
        market.name = str(changes["name"] or "").strip()[:100]
    if "enabled" in changes:
        market.enabled = bool(changes["enabled"])
    market.save()
    logger.info("market %s of shop %s changed by %s", market.pk, shop.pk, actor)
    return market


def market_delete(*, shop: Shop, market_id: int, actor: str) -> None:
    """Delete a market no variant was made for; one with variants can only be disabled."""
    market = Market.objects.get(shop=shop, pk=market_id)
    if market.variants.exists():
        raise MarketInUse(f"variants were made for the {market.locale} market; disable it instead of deleting it",
                          code="market_in_use")
    market.delete()
    logger.info("market %s deleted from shop %s by %s", market_id, shop.pk, actor)


def review_policy_of(shop: Shop) -> tuple[str, float]:
    """(mode, minimum score) of the shop's review policy."""
    policy = shop.settings.get("review_policy") or {}
    mode = policy.get("mode", REVIEW_ALL)
    score = policy.get("min_score", DEFAULT_AUTO_PUBLISH_MIN_SCORE)
    return (mode if mode in REVIEW_MODES else REVIEW_ALL), float(score)


def shop_settings_update(*, shop: Shop, actor: str, review_mode: str | None = None,
                         auto_publish_min_score: float | None = None, daily_variant_cap: int | None = None,
                         auto_generate: bool | None = None, publish_mode: str | None = None,
                         publish_on_approve: bool | None = None) -> Shop:
    """Change the shop's review policy, daily cap and generation/publishing switches (None: unchanged)."""
    errors: dict[str, str] = {}
    mode, min_score = review_policy_of(shop)
    if review_mode is not None:
        if review_mode not in REVIEW_MODES:
            errors["review_mode"] = f"must be one of {', '.join(REVIEW_MODES)}"
        mode = review_mode
    if auto_publish_min_score is not None:
        if isinstance(auto_publish_min_score, bool) or not 0.0 <= float(auto_publish_min_score) <= 1.0:
            errors["auto_publish_min_score"] = "must lie between 0 and 1"
        min_score = float(auto_publish_min_score)
    if daily_variant_cap is not None and not 0 <= int(daily_variant_cap) <= MAX_DAILY_CAP:
        errors["daily_variant_cap"] = f"must lie between 0 and {MAX_DAILY_CAP}"
    if publish_mode is not None and publish_mode not in ("add", "replace"):
        errors["publish_mode"] = "must be add or replace"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
        shop.settings = {**shop.settings, "review_policy": {"mode": mode, "min_score": min_score}}
        if daily_variant_cap is not None:
            shop.daily_variant_cap = int(daily_variant_cap)
        if auto_generate is not None:
            shop.auto_generate = bool(auto_generate)
        if publish_mode is not None:
            shop.publish_mode = publish_mode
        if publish_on_approve is not None:
            shop.settings["publish_on_approve"] = bool(publish_on_approve)
        shop.save()
    logger.info("settings of shop %s changed by %s", shop.pk, actor)
    return shop


def _owners_left(shop: Shop, *, without: int) -> int:
    return ShopMembership.objects.filter(shop=shop, role=Role.OWNER).exclude(pk=without).count()


def membership_invite(*, shop: Shop, email: str, role: str, actor: str) -> ShopMembership:
    """Give a person (found or created by e-mail address) a role in the shop.

    A new account has no password: the person sets one through the password reset e-mail.
    """
    from django.contrib.auth import get_user_model
    from django.core.validators import validate_email

    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not an e-mail address"}) from None
    if role not in Role.values:
        raise ValidationError({"role": f"must be one of {', '.join(Role.values)}"})
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=address).order_by("pk").first()
    if user is None:
        user = user_model.objects.create_user(username=address, email=address)  # no password: unusable
    membership, created = ShopMembership.objects.get_or_create(user=user, shop=shop, defaults={"role": role})
    if not created:
        raise ValidationError({"email": f"{address} is a member of this shop already ({membership.role})"})
    logger.info("%s invited to shop %s as %s by %s", address, shop.pk, role, actor)
    return membership


def membership_set_role(*, shop: Shop, membership_id: int, role: str, actor: str) -> ShopMembership:
    if role not in Role.values:
        raise ValidationError({"role": f"must be one of {', '.join(Role.values)}"})
    with transaction.atomic():
        membership = ShopMembership.objects.select_for_update().get(shop=shop, pk=membership_id)
        if membership.role == Role.OWNER and role != Role.OWNER and not _owners_left(shop, without=membership.pk):
            raise ValidationError({"role": "the shop needs at least one owner; make someone else owner first"})
        membership.role = role
        membership.save(update_fields=["role"])
    logger.info("membership %s of shop %s set to %s by %s", membership_id, shop.pk, role, actor)
    return membership


def membership_remove(*, shop: Shop, membership_id: int, actor: str) -> None:
    with transaction.atomic():
        membership = ShopMembership.objects.select_for_update().get(shop=shop, pk=membership_id)
        if membership.role == Role.OWNER and not _owners_left(shop, without=membership.pk):
            raise ValidationError("the shop needs at least one owner; make someone else owner first",
                                  code="last_owner")
        membership.delete()
    logger.info("membership %s removed from shop %s by %s", membership_id, shop.pk, actor)


# --- merchant actions on variants -----------------------------------------------------------------


def events_redrive(*, event_ids: list[int] | None = None) -> int:
    """Give events that exhausted their attempts (or the given undelivered ones) a fresh start and dispatch
    them; handlers that already ran for them are not run again. Returns how many were re-driven."""
    undelivered = Event.objects.filter(delivered_at__isnull=True)
    chosen = (undelivered.filter(pk__in=event_ids) if event_ids is not None
              else undelivered.filter(attempts__gte=settings.EVENT_MAX_ATTEMPTS))
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
    for state, seconds in settings.VARIANT_STUCK_AFTER.items():
        redrive = events.redriver_for(state)
        if redrive is None:
            continue
        cutoff = now - timedelta(seconds=seconds)
        stuck = Variant.objects.filter(state=state, updated_at__lte=cutoff).filter(
            Q(redriven_at__isnull=True) | Q(redriven_at__lte=cutoff))
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
