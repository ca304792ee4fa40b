"""The publish ledger every store's publisher is built on: one :class:`PublishRecord` per published variant,
moved step by step, so that a retry after a crash resumes where the last attempt stopped.

:class:`LedgerPublisher` holds what is the same for every store: finding (or preparing) the variant's ledger
row with the exact bytes to publish, claiming it with a lease so two workers never publish the same variant at
once, recording each step that took effect, and the shape of a publish and a revert. A store's subclass says
which bytes it publishes under which name, runs its own steps (``_run_steps``) and takes its media back
(``_take_back``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from vitrine.connectors.base import PublishResult
from vitrine.connectors.errors import ApiConflict, ApiError
from vitrine.connectors.models import PublishRecord
from vitrine.platform.models import Variant
from vitrine.platform.services import blob_put

Step = PublishRecord.Step


class PublishBusy(ApiConflict):
    """Another worker is publishing or reverting this variant right now."""


def file_name(variant_id: int, sha256: str, content_type: str) -> str:
    """The name a published file carries in the store: unique per variant and bytes, so that a file whose upload
    answer was lost can be found again by it."""
    extension = "jpg" if content_type == "image/jpeg" else "png"
    return f"vitrine-{variant_id}-{sha256[:12]}.{extension}"


class LedgerPublisher:
    """Publish and revert one variant through its ledger row. Subclasses set ``provider`` and ``lease``."""

    provider: ClassVar[str]
    # A worker holds a publish for at most this long before another may take it over (one that died mid-way).
    lease: ClassVar[timedelta] = timedelta(minutes=15)
    # Steps at which an existing row is resumed even though the variant was rendered again since: the store
    # already shows (or showed) that row's file, so starting over would put a second one up.
    resume_steps: ClassVar[frozenset[str]] = frozenset({Step.DONE})

    # --- what a store says ------------------------------------------------------------------------
    def _publishable(self, variant: Variant) -> tuple[bytes, str]:
        """The exact bytes to publish and their content type (refusing what the store would not take)."""
        raise NotImplementedError

    def _initial_checkpoint(self, variant: Variant) -> dict[str, Any]:
        """Store facts fixed when the row is made, kept with the output the row was made for."""
        return {}

    def _run_steps(self, record: PublishRecord, variant: Variant) -> None:
        """Take the row from its recorded step to ``done``, recording each step with :meth:`_advance`."""
        raise NotImplementedError

    def _take_back(self, record: PublishRecord, variant: Variant) -> None:
        """Remove what of ours is on the listing (or put the original back)."""
        raise NotImplementedError

    def _result(self, record: PublishRecord, *, already_published: bool) -> PublishResult:
        return PublishResult(remote_media_id=record.remote_media_id, already_published=already_published,
                             replaced_source=record.mode == PublishRecord.Mode.REPLACE)

    def _resumed(self, record: PublishRecord) -> bool:
        """Whether an earlier attempt may already have had an effect in the store."""
        return record.step != Step.PREPARED

    def _failed(self, record: PublishRecord, variant: Variant, exc: ApiError) -> None:
        """After a failed step: keep the row, with the error, for the retry to resume from."""
        PublishRecord.objects.filter(pk=record.pk).update(last_error=exc.message[:2000])

    # --- publishing -------------------------------------------------------------------------------
    def publish(self, variant: Variant) -> PublishResult:
        record = self._record(variant)
        if record.step == Step.DONE:
            return self._result(record, already_published=True)
        resumed = self._resumed(record)
        self._claim(record)
        try:
            self._run_steps(record, variant)
        except ApiError as exc:
            self._failed(record, variant, exc)
            raise
        finally:
            self._release(record)
        return self._result(record, already_published=resumed)

    def revert(self, variant: Variant) -> None:
        """Take the variant off the listing and record it as reverted."""
        record = PublishRecord.objects.filter(variant=variant).first()
        if record is None or record.step == Step.REVERTED:
            return
        self._claim(record)
        try:
            self._take_back(record, variant)
            self._advance(record, Step.REVERTED, reverted_at=timezone.now())
        finally:
            self._release(record)

    # --- the ledger -------------------------------------------------------------------------------
    def _record(self, variant: Variant) -> PublishRecord:
        """The variant's ledger row: resumed when it is for this output (or past the point of no return),
        otherwise made afresh with the file prepared and stored, so every retry sends identical bytes."""
        existing = PublishRecord.objects.filter(variant=variant).first()
        if existing is not None and (existing.step in self.resume_steps
                                     or existing.checkpoint.get("output") == variant.output_id):
            return existing
        if existing is not None:
            existing.delete()  # an earlier attempt for an output that has since been rendered again
        data, content_type = self._publishable(variant)
        blob = blob_put(data=data, content_type=content_type)
        record, _ = PublishRecord.objects.get_or_create(variant=variant, defaults=dict(
            shop=variant.shop, provider=self.provider, mode=variant.shop.publish_mode,
            remote_product_id=variant.source_image.product.external_id, file=blob, sha256=blob.sha256,
            filename=file_name(variant.pk, blob.sha256, content_type),
            checkpoint={"output": variant.output_id, **self._initial_checkpoint(variant)},
        ))
        return record

    def _claim(self, record: PublishRecord) -> None:
        """Take the row's lease (counting the attempt), or raise :class:`PublishBusy` while another holds it."""
        now = timezone.now()
        taken = PublishRecord.objects.filter(pk=record.pk).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        ).update(lease_until=now + self.lease, attempts=F("attempts") + 1)
        if not taken:
            raise PublishBusy(f"variant {record.variant_id} is being published by another worker",
                              retry_after=min(60, int(self.lease.total_seconds()) + 1))

    @staticmethod
    def _release(record: PublishRecord) -> None:
        PublishRecord.objects.filter(pk=record.pk).update(lease_until=None)

    def _advance(self, record: PublishRecord, step: str, **fields: Any) -> None:
        """Record that ``step`` took effect (the ledger write that makes a retry skip it)."""
        record.step = step
        for name, value in fields.items():
            setattr(record, name, value)
        with transaction.atomic():
            record.save(update_fields=["step", "updated_at", *fields])

    def _note(self, record: PublishRecord, **facts: Any) -> None:
        """Keep facts a retry needs, without moving to another step."""
        record.checkpoint = {**record.checkpoint, **facts}
        record.save(update_fields=["checkpoint", "updated_at"])
