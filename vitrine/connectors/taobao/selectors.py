"""Taobao reads: which shop a seller is, which pictures are ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vitrine.connectors.models import PublishRecord
from vitrine.platform.models import Provider, Shop


@dataclass(frozen=True)
class OwnMedia:
    """Picture-space paths of every picture we uploaded, and the originals our replace-mode publishes
    took the place of (item id -> item image id -> {"url", "position"})."""

    paths: frozenset[str] = frozenset()
    replaced_originals: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def shop_for_seller(user_id: str) -> Shop | None:
    return Shop.objects.filter(provider=Provider.TAOBAO, external_id=user_id).first()


def installed_shop_ids() -> list[int]:
    return list(
        Shop.objects.filter(provider=Provider.TAOBAO, installed_at__isnull=False, uninstalled_at__isnull=True)
        .values_list("pk", flat=True)
    )


def own_media(*, shop: Shop) -> OwnMedia:
    paths: set[str] = set()
    replaced: dict[str, dict[str, dict[str, Any]]] = {}
    records = PublishRecord.objects.filter(shop=shop, provider=Provider.TAOBAO).values_list(
        "remote_product_id", "mode", "step", "checkpoint"
    )
    originals = []
    for num_iid, mode, step, checkpoint in records:
        path = checkpoint.get("picture_path")
        if path:
            paths.add(path)
        original = checkpoint.get("original")
        # Whether the slot really holds our picture now is checked against the item (the path).
        if original and mode == PublishRecord.Mode.REPLACE and step != PublishRecord.Step.REVERTED:
            originals.append((num_iid, original))
    for num_iid, original in originals:
        # One slot replaced by several markets' variants in turn: the seller's photo is the original.
        slot = replaced.setdefault(num_iid, {})
        if original["id"] not in slot or original.get("picture_path") not in paths:
            slot[original["id"]] = original
    return OwnMedia(paths=frozenset(paths), replaced_originals=replaced)
