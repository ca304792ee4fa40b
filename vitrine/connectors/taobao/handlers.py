"""Taobao's event handlers: finishing a seller's connection."""

from __future__ import annotations

from vitrine.connectors.taobao.connector import PROVIDER
from vitrine.platform import events
from vitrine.platform.models import Event
from vitrine.platform.outbox import task_enqueue


def _for_taobao(event: Event) -> bool:
    return event.shop is not None and event.shop.provider == PROVIDER


@events.handles(events.SHOP_INSTALLED)
def complete_seller_connection(event: Event) -> None:
    from vitrine.connectors.taobao.tasks import complete_install

    if _for_taobao(event):
        shop_id = event.payload["shop_id"]
        task_enqueue(complete_install, args=[shop_id])
