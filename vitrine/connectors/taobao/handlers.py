"""Taobao's event handlers: finishing a seller's connection."""

from __future__ import annotations

from django.db import transaction

from vitrine.connectors.taobao import connector  # noqa: F401 (registers the provider)
from vitrine.connectors.taobao.connector import PROVIDER
from vitrine.platform import events
from vitrine.platform.models import Event


def _for_taobao(event: Event) -> bool:
    return event.shop is not None and event.shop.provider == PROVIDER


@events.handles(events.SHOP_INSTALLED)
def complete_seller_connection(event: Event) -> None:
    from vitrine.connectors.taobao.tasks import complete_install

    if _for_taobao(event):
        shop_id = event.payload["shop_id"]
        transaction.on_commit(lambda: complete_install.delay(shop_id))
