"""The catalogue copy: reading products through a store's connector and keeping our copy in line with them.

Every store is read by the same driver, :func:`catalog_sync`: it walks the connector's ``iter_products``
(the store's own paging stays in the connector), takes each product in, and after a full read marks the
products the store no longer has as deleted. One product (a webhook, a message) goes through
:func:`product_sync`.

Network I/O never runs inside a database transaction: a product's images (and supplied masks) are
downloaded and taken in first (:func:`product_images_fetch`); only then is the product written, in one short
transaction (:func:`product_apply`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from vitrine.platform import events
from vitrine.platform.intake import ImageRejected, mask_normalize
from vitrine.platform.lifecycle import LIVE_STATES, VariantState
from vitrine.platform.logging import log_context
from vitrine.platform.models import Blob, FetchStatus, Product, Shop, SourceImage, SyncRun, Variant
from vitrine.platform.services import IntakeResult, blob_put, image_intake, variants_supersede
from vitrine.platform.stores import ApiError, ApiUnauthorized, ProductSkipped, connector_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from vitrine.platform.stores import Connector, RemoteImage, RemoteProduct

logger = logging.getLogger(__name__)


# --- one product ----------------------------------------------------------------------------------
def product_sync(*, shop_id: int, external_id: str) -> Product | None:
    """Fetch one product from its store and upsert it; a product the store no longer has is marked deleted."""
    shop = Shop.objects.get(pk=shop_id)
    with log_context(shop_id=shop.pk):
        connector = connector_for(shop)
        remote = connector.fetch_product(external_id)
        if remote is None:
            with transaction.atomic():
                return product_mark_deleted(shop=shop, external_id=external_id)
        return product_upsert(shop=shop, remote=remote, connector=connector)


def product_upsert(*, shop: Shop, remote: RemoteProduct, connector: Connector) -> Product:
    """Bring the local copy of one product in line with the store: its images are downloaded and taken in
    first, outside any transaction; then the product is written in one short transaction."""
    fetched = product_images_fetch(shop=shop, remote=remote, connector=connector)
    with transaction.atomic():
        return product_apply(shop=shop, remote=remote, images=fetched)


@dataclass
class FetchedImage:
    """One listing image as read before the transaction: new bytes taken in, or none needed, or why not."""

    remote: RemoteImage
    own: bool  # one of our published variants (never a source)
    reuse: bool = False  # the stored image is current: no download was needed
    intake: IntakeResult | None = None
    mask: Blob | None = None
    mask_warnings: list[str] = field(default_factory=list)
    error: Exception | None = None


def product_images_fetch(*, shop: Shop, remote: RemoteProduct, connector: Connector) -> list[FetchedImage]:
    """Download and take in the product's new or changed images (and their masks). Reads only; called outside
    any transaction, so a slow or failing download never holds one open."""
    stored = {image.remote_id: image for image in
              SourceImage.objects.filter(product__shop=shop, product__external_id=remote.external_id)}
    fetched = []
    for remote_image in remote.images:
        existing = stored.get(remote_image.remote_id)
        item = FetchedImage(remote=remote_image, own=connector.is_own_media(remote_image))
        if existing is not None and _keeps_stored_image(existing, item):
            item.reuse = True
            if not (item.own and not existing.published_by_us):
                item.mask, item.mask_warnings = _supplied_mask(remote_image, connector,
                                                               (existing.width or 0, existing.height or 0))
        else:
            try:
                data = connector.fetch_image_bytes(remote_image)
                item.intake = image_intake(data, filename=remote_image.url.rsplit("/", 1)[-1].split("?")[0])
            except (ImageRejected, ApiError, OSError) as exc:
                # One bad image (gone, timing out, refused, unreadable) never drops the product's update.
                item.error = exc
            else:
                size = (item.intake.normalized.width, item.intake.normalized.height)
                item.mask, item.mask_warnings = _supplied_mask(remote_image, connector, size)
        fetched.append(item)
    return fetched


def _keeps_stored_image(existing: SourceImage, item: FetchedImage) -> bool:
    """Whether the stored image stays as it is (no download): our replace-mode publish now shows in the
    merchant's slot, or the file address is the same as last time."""
    if existing.removed_at is not None:
        return False
    if item.own and not existing.published_by_us:
        return True
    return existing.source_url == item.remote.url and existing.fetch_status == FetchStatus.OK


def product_apply(*, shop: Shop, remote: RemoteProduct, images: list[FetchedImage]) -> Product:
    """Write one product and its already fetched images. Runs inside the caller's transaction.

    A changed image supersedes the variants made from its old bytes. Images we published ourselves are
    recorded as such and never become sources. Emits ``catalog.product_synced``.
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
    incomplete = False
    for item in images:
        seen.add(item.remote.remote_id)
        if item.error is not None:
            code, message = _image_failure(item.error)
            rejected.append({"remote_id": item.remote.remote_id, "code": code, "message": message})
            _source_image_fetch_failed(product=product, remote_image=item.remote, reason=message)
            continue
        outcome = _source_image_apply(product=product, item=item)
        if outcome is None:
            incomplete = True  # the stored row changed since it was read: the next sync takes the image
        elif outcome[1]:
            changed_images.append(outcome[0].pk)
    if rejected or incomplete:
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


def _source_image_apply(*, product: Product, item: FetchedImage) -> tuple[SourceImage, bool] | None:
    """Write one fetched image: (its row, whether its bytes changed); None when no download was made for it
    and the stored row no longer allows that (a concurrent sync changed it)."""
    remote_image, own = item.remote, item.own
    existing = SourceImage.objects.select_for_update().filter(product=product, remote_id=remote_image.remote_id
                                                              ).first()
    if item.intake is None:
        if existing is None or not _keeps_stored_image(existing, item):
            return None
        if own and not existing.published_by_us:
            # Our replace-mode publish now shows in the merchant's image slot: the merchant's photo stays the
            # source and its other variants stay live. Only the merchant's own change to the slot supersedes.
            SourceImage.objects.filter(pk=existing.pk).update(position=remote_image.position)
            return existing, False
        # Same file address as last time: only metadata (and the supplied mask) may have changed.
        SourceImage.objects.filter(pk=existing.pk).update(
            position=remote_image.position, alt=remote_image.alt, published_by_us=existing.published_by_us or own,
            **({"protect_mask": item.mask} if item.mask is not None else {}),
            **({"intake_warnings": [*existing.intake_warnings, *item.mask_warnings]} if item.mask_warnings
               else {}),
        )
        return existing, False
    intake = item.intake
    normalized = intake.normalized
    fields = dict(
        source_url=remote_image.url, position=remote_image.position, alt=remote_image.alt,
        original=intake.original, image=intake.image, sha256=intake.image.sha256, width=normalized.width,
        height=normalized.height, has_alpha=normalized.has_alpha,
        intake_warnings=[*normalized.warnings, *item.mask_warnings], published_by_us=own, removed_at=None,
        fetch_status=FetchStatus.OK, fetch_error="",
        **({"protect_mask": item.mask} if item.mask is not None else {}),
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


# --- the whole catalogue --------------------------------------------------------------------------
def catalog_sync(*, shop: Shop, since: datetime | None = None, connector: Connector | None = None,
                 on_product: Callable[[RemoteProduct, Product], None] | None = None) -> SyncRun:
    """Read a shop's catalogue through its connector (all of it when ``since`` is None, else what changed
    since then) and take every product in, recorded as one :class:`SyncRun`.

    A product whose reading or intake fails on its own (a terminal store error) is skipped and counted; a
    retryable error, or lost authorisation, ends the run (failed) and is raised for the caller's retry. A
    full read then marks the products the store no longer has as deleted (a missed delete webhook).
    ``on_product`` is called with each product taken in.
    """
    connector = connector or connector_for(shop)
    run = SyncRun.objects.create(provider=shop.provider, shop=shop, full=since is None, since=since)
    counts = {"synced": 0, "unchanged": 0, "failed": 0, "deleted": 0}  # and "seen", counted from ``seen``
    seen: set[str] = set()
    with log_context(shop_id=shop.pk, sync_run=run.pk):
        try:
            for item in connector.iter_products(updated_since=since, run=run):
                seen.add(item.external_id)
                if isinstance(item, ProductSkipped):
                    counts["failed" if item.error else "unchanged"] += 1
                    continue
                try:
                    product = product_upsert(shop=shop, remote=item, connector=connector)
                except ApiError as exc:
                    if exc.retryable or isinstance(exc, ApiUnauthorized):
                        raise  # the next run (or, for lost authorisation, the merchant) has to act
                    counts["failed"] += 1
                    logger.warning("product %s skipped: %s", item.external_id, exc.message)
                    continue
                counts["synced"] += 1
                if on_product is not None:
                    on_product(item, product)
            if run.full:
                counts["deleted"] = _missing_mark_deleted(shop, connector, seen)
        except ApiError as exc:
            _sync_finish(run, connector, counts, seen, SyncRun.Status.FAILED, exc.message)
            raise
        _sync_finish(run, connector, counts, seen, SyncRun.Status.SUCCEEDED, "")
    return run


def _missing_mark_deleted(shop: Shop, connector: Connector, seen: set[str]) -> int:
    """After a full read: mark the products it did not find as deleted. Where a full read lists only some
    products (Taobao: those on sale), each unlisted one is asked for first and kept while the store has it."""
    live = Product.objects.filter(shop=shop, deleted_at__isnull=True).values_list("external_id", flat=True)
    deleted = 0
    for external_id in sorted(set(live.iterator()) - seen):
        if not connector.lists_everything and connector.fetch_product(external_id) is not None:
            continue
        with transaction.atomic():
            product_mark_deleted(shop=shop, external_id=external_id)
        deleted += 1
    return deleted


def _sync_finish(run: SyncRun, connector: Connector, counts: dict[str, int], seen: set[str], status: str,
                 error: str) -> None:
    run.stats = {**counts, "seen": len(seen), **connector.sync_stats()}
    run.status, run.error, run.finished_at = status, error[:2000], timezone.now()
    # Not remote_operation_status: the store's webhook may have written it meanwhile.
    run.save(update_fields=["stats", "status", "error", "finished_at", "mode", "remote_operation_id"])
