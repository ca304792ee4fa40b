"""Reads of the connector records (store-agnostic)."""

from __future__ import annotations

from vitrine.connectors.models import PublishRecord
from vitrine.platform.models import Shop


def media_published_by_us(*, shop: Shop, provider: str, remote_media_id: str, mode: str | None = None) -> bool:
    """Whether the store's media ``remote_media_id`` currently shows one of our published variants
    (published in ``mode`` only, when given)."""
    records = PublishRecord.objects.filter(shop=shop, provider=provider, remote_media_id=remote_media_id)
    if mode is not None:
        records = records.filter(mode=mode)
    return records.exclude(step=PublishRecord.Step.REVERTED).exists()


def media_ids_published_by_us(*, shop: Shop, provider: str) -> set[str]:
    return set(
        PublishRecord.objects.filter(shop=shop, provider=provider)
        .exclude(remote_media_id="")
        .exclude(step=PublishRecord.Step.REVERTED)
        .values_list("remote_media_id", flat=True)
    )
