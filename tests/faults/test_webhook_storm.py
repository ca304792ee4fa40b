"""Scenario 4: a webhook storm under gunicorn (1,000 deliveries over 50 products, 30 % of them repeats of a
delivery already sent, many at once): each delivery is stored once and each change processed once.

Every product changed once in the store; Shopify sends several distinct deliveries per product (as it does for
edits in quick succession), and repeats some of them. Deliveries that arrive after our copy caught up are
recognised as not newer and cost no sync."""

from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.connectors.conftest import SHOP_DOMAIN
from tests.faults.conftest import wait_for
from vitrine.connectors.models import InboxMessage
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Event, HandlerRun, Product

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

DELIVERIES = int(os.environ.get("FAULTS_STORM_DELIVERIES", "1000"))
PRODUCTS = 50
REPEATS = 0.3


def test_webhook_storm_processes_each_change_once(stack, fake_shopify, shopify_shop):
    remotes = [fake_shopify.add_product(SHOP_DOMAIN, title=f"Scarf {n}", images=0) for n in range(PRODUCTS)]
    for remote in remotes:  # our copy as of before the storm
        product_sync(shop_id=shopify_shop.pk, external_id=remote.id)
    shop_data = fake_shopify.shops[SHOP_DOMAIN]
    for remote in remotes:  # then every product changes in the store
        remote.title += " (new season)"
        fake_shopify.product_changed(shop_data, remote)
    unique = round(DELIVERIES * (1 - REPEATS))
    hooks = [fake_shopify.webhook("products/update", fake_shopify.product_payload(SHOP_DOMAIN, remotes[n % PRODUCTS]),
                                  SHOP_DOMAIN) for n in range(unique)]
    rng = random.Random(7)
    deliveries = hooks + [rng.choice(hooks) for _ in range(DELIVERIES - unique)]
    rng.shuffle(deliveries)

    stack("web", WEB_WORKERS="2", WEB_THREADS="8")
    stack("worker", WORKER_CONCURRENCY="2")
    stack("beat")
    wait_for(lambda: httpx.get(stack.web_url + "/healthz", timeout=5).status_code == 200, timeout=90,
             what="gunicorn to answer")

    def send(hook) -> int:  # type: ignore[no-untyped-def]
        # A connection per delivery, as Shopify's senders do (no keep-alive race with gunicorn's idle timeout).
        return httpx.post(stack.web_url + "/connectors/shopify/webhooks", content=hook.body, headers=hook.headers,
                          timeout=60).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, deliveries))
    assert statuses.count(200) == DELIVERIES, {status: statuses.count(status) for status in set(statuses)}

    wait_for(lambda: not InboxMessage.objects.filter(processed_at__isnull=True).exists()
             and InboxMessage.objects.count() == unique, timeout=240, what="every delivery to be processed")
    changed = Event.objects.filter(type=events.CATALOG_PRODUCT_CHANGED)
    wait_for(lambda: not changed.filter(delivered_at__isnull=True).exists(), timeout=120,
             what="every change to be handled")
    wait_for(lambda: Product.objects.filter(shop=shopify_shop, title__endswith="(new season)").count() == PRODUCTS,
             timeout=120, what="every product's change to be synced")

    # One stored row per delivery id, each processed exactly once ...
    assert InboxMessage.objects.count() == unique
    assert set(InboxMessage.objects.values_list("attempts", flat=True)) == {1}
    # ... one event per delivery that asked for a sync, and one run of each handler per event.
    asked = InboxMessage.objects.filter(outcome="product changed: sync requested").count()
    assert changed.count() == asked >= PRODUCTS
    assert HandlerRun.objects.filter(event__in=changed).count() == asked
