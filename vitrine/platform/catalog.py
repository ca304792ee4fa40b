"""Catalogue sync through a store's connector (the work behind ``catalog.product_changed``)."""

from __future__ import annotations

from django.db import transaction

from vitrine.platform.logging import log_context
from vitrine.platform.models import Product, Shop
from vitrine.platform.services import product_mark_deleted, product_upsert
from vitrine.platform.stores import connector_for


def product_sync(*, shop_id: int, external_id: str) -> Product | None:
    """Fetch one product from its store and upsert it; a product the store no longer has is marked deleted."""
    shop = Shop.objects.get(pk=shop_id)
    with log_context(shop_id=shop.pk):
        connector = connector_for(shop)
        remote = connector.fetch_product(external_id)  # network I/O stays outside the transaction
        with transaction.atomic():
            if remote is None:
                return product_mark_deleted(shop=shop, external_id=external_id)
            return product_upsert(shop=shop, remote=remote, connector=connector)
