"""Taobao category names: an item carries only its numeric ``cid``; ``taobao.itemcats.get`` names it and its
parents. Answers are cached in :class:`TaobaoCategory` (shared by every shop and worker) and asked for again
after ``TAOBAO_CATEGORY_TTL``. The path is kept on the product as delivered (Chinese), top level first,
joined with :data:`CATEGORY_SEPARATOR`, so template rules can name any level or the id."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from vitrine.connectors.errors import ApiError
from vitrine.connectors.taobao.api import TopApi
from vitrine.connectors.taobao.models import TaobaoCategory

logger = logging.getLogger(__name__)

CATEGORY_SEPARATOR = " > "
# Taobao's tree is four or five levels deep; a longer chain means a cycle in bad data.
MAX_DEPTH = 10


def _cached(cids: set[str]) -> dict[str, TaobaoCategory]:
    fresh_after = timezone.now() - timedelta(seconds=settings.TAOBAO_CATEGORY_TTL)
    return {row.cid: row for row in TaobaoCategory.objects.filter(cid__in=cids, fetched_at__gte=fresh_after)}


def categories_fetch(*, api: TopApi, cids: set[str]) -> dict[str, TaobaoCategory]:
    """The categories ``cids`` from the cache, asking TOP for those missing or stale (one call)."""
    found = _cached(cids)
    missing = sorted(cids - set(found))
    if missing:
        now = timezone.now()
        for category in api.item_categories(missing):
            row, _ = TaobaoCategory.objects.update_or_create(cid=category.cid, defaults=dict(
                parent_cid=category.parent_cid, name=category.name, is_parent=category.is_parent, fetched_at=now))
            found[row.cid] = row
    return found


def category_path(*, api: TopApi, cid: str) -> str:
    """The readable path of category ``cid`` (e.g. ``女装/女士精品 > 连衣裙``); "" when it cannot be named.

    A transient gateway error propagates (the sync is retried); a category TOP does not know, or refuses to
    name, leaves the path empty with a warning: the product still syncs, and rules by id still match.
    """
    if not cid or cid == "0":
        return ""
    names: list[str] = []
    current, seen = cid, set()
    try:
        while current and current != "0" and current not in seen and len(seen) < MAX_DEPTH:
            seen.add(current)
            row = categories_fetch(api=api, cids={current}).get(current)
            if row is None:
                logger.warning("Taobao category %s is unknown to taobao.itemcats.get", current)
                return CATEGORY_SEPARATOR.join(reversed(names))
            names.append(row.name)
            current = row.parent_cid
    except ApiError as exc:
        if exc.retryable:
            raise
        logger.warning("Taobao category %s could not be named: %s", cid, exc.message)
        return ""
    return CATEGORY_SEPARATOR.join(reversed(names))
