"""Scenario 3: PostgreSQL restarts while webhooks arrive and workers process them: web and workers reconnect
(kept connections included), no delivery and no task is lost."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.connectors.conftest import SHOP_DOMAIN
from tests.faults.conftest import wait_for
from vitrine.connectors.models import InboxMessage
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Event, Product

pytestmark = [pytest.mark.faults, pytest.mark.timeout(360)]

PRODUCTS = 10
ROUNDS = 4  # deliveries per product, spread over the restart


def test_database_restart_under_load_loses_nothing(stack, postgres, fake_shopify, shopify_shop):
    remotes = [fake_shopify.add_product(SHOP_DOMAIN, title=f"Cap {n}", images=0) for n in range(PRODUCTS)]
    for remote in remotes:
        product_sync(shop_id=shopify_shop.pk, external_id=remote.id)
    shop_data = fake_shopify.shops[SHOP_DOMAIN]

    # Production's kept connections (60 s), so the restart leaves every process holding dead ones.
    stack("web", DB_CONN_MAX_AGE="60")
    stack("worker", DB_CONN_MAX_AGE="60")
    stack("beat", DB_CONN_MAX_AGE="60")
    wait_for(lambda: httpx.get(stack.web_url + "/healthz", timeout=5).status_code == 200, timeout=90,
             what="gunicorn to answer")

    sent: list[str] = []
    refused = 0

    def deliver(hook) -> None:  # type: ignore[no-untyped-def]
        # As Shopify does: a delivery not answered 200 is sent again, same id, until it is.
        nonlocal refused
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                status = httpx.post(stack.web_url + "/connectors/shopify/webhooks", content=hook.body,
                                    headers=hook.headers, timeout=30).status_code
            except httpx.HTTPError:
                status = 0
            if status == 200:
                sent.append(hook.headers["X-Shopify-Webhook-Id"])
                return
            refused += 1
            time.sleep(0.5)
        raise AssertionError("a delivery was never accepted")

    def load() -> None:
        for round_ in range(ROUNDS):
            for remote in remotes:
                remote.title = f"Cap {remote.id.rsplit('/', 1)[-1]} v{round_ + 1}"
                fake_shopify.product_changed(shop_data, remote)
                deliver(fake_shopify.webhook("products/update", fake_shopify.product_payload(SHOP_DOMAIN, remote),
                                             SHOP_DOMAIN))
                time.sleep(0.1)

    sender = threading.Thread(target=load)
    sender.start()
    wait_for(lambda: len(sent) >= PRODUCTS, timeout=120, what="the first round of deliveries")
    postgres.stop("fast")  # every connection is cut
    time.sleep(3)
    postgres.start()
    sender.join(200)
    assert not sender.is_alive()

    expected = PRODUCTS * ROUNDS
    assert len(sent) == expected
    wait_for(lambda: InboxMessage.objects.filter(processed_at__isnull=False).count() == expected, timeout=180,
             what="every delivery to be processed")
    wait_for(lambda: Product.objects.filter(shop=shopify_shop, title__endswith=f"v{ROUNDS}").count() == PRODUCTS,
             timeout=180, what="every product to reach its last version")
    assert InboxMessage.objects.count() == expected  # repeats of a refused delivery were stored once
    changed = Event.objects.filter(type=events.CATALOG_PRODUCT_CHANGED)
    wait_for(lambda: not changed.filter(delivered_at__isnull=True).exists(), timeout=120,
             what="every change event to be handled")
    # The web and worker processes that held connections across the restart are the ones that did this.
    print(f"deliveries refused during the restart and sent again: {refused}")
