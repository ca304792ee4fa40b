"""Reads for rendering: which requested variants can share one diffusers batch."""

from __future__ import annotations

from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Variant


def variant_ids_batchable_with(variant_id: int, *, limit: int) -> list[int]:
    """``variant_id`` and up to ``limit - 1`` other requested variants of its template version, oldest first.

    One template version means one recipe, one model and one parameter set apart from per-market
    values, so these run as one batch (the engine splits it further by model and working size).
    """
    variant = Variant.objects.only("kind", "template_slug", "template_version").get(pk=variant_id)
    others = (
        Variant.objects.filter(
            state=VariantState.REQUESTED,
            kind=variant.kind,
            template_slug=variant.template_slug,
            template_version=variant.template_version,
        )
        .exclude(pk=variant_id)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[: max(0, limit - 1)]
    )
    return [variant_id, *others]
