"""The GraphQL client against the fake: cost bucket, throttling, retries, and which errors are terminal."""

from __future__ import annotations

import threading
import time

import pytest

from tests.connectors.conftest import SHOP_DOMAIN
from tests.fakes.shopify import Fault
from vitrine.connectors.errors import ApiBadRequest, ApiRateLimited, ApiUnauthorized, ApiUnavailable
from vitrine.connectors.http import ResponseLost
from vitrine.connectors.shopify import documents
from vitrine.connectors.shopify.client import AdminClient, user_errors_raise
from vitrine.connectors.shopify.ratelimit import LocalCostBucket, RedisCostBucket, ThrottleStatus

pytestmark = pytest.mark.usefixtures("shopify_settings")


@pytest.fixture
def token(fake_shopify) -> str:  # type: ignore[no-untyped-def]
    return fake_shopify.mint_tokens(SHOP_DOMAIN)["access_token"]


def make_client(token: str, **kwargs) -> AdminClient:  # type: ignore[no-untyped-def]
    return AdminClient(shop_domain=SHOP_DOMAIN, access_token=lambda: token, **kwargs)


# --- the bucket -----------------------------------------------------------------------------------
def test_local_bucket_takes_points_then_says_how_long_to_wait():
    bucket = LocalCostBucket()
    bucket.observe("shop", ThrottleStatus(maximum=100, available=100, restore_rate=50))
    assert bucket.reserve("shop", 80) == 0
    wait = bucket.reserve("shop", 80)  # 20 left: 60 more points at 50/s
    assert 1.1 < wait <= 1.2
    assert bucket.reserve("other-shop", 80) == 0  # buckets are per shop


def test_redis_bucket_is_shared_by_workers(redis_client, shopify_settings):
    prefix = shopify_settings.SHOPIFY_RATE_LIMIT_KEY_PREFIX
    worker_a, worker_b = RedisCostBucket(redis_client, prefix), RedisCostBucket(redis_client, prefix)
    worker_a.observe(SHOP_DOMAIN, ThrottleStatus(maximum=1000, available=150, restore_rate=100))
    assert worker_a.reserve(SHOP_DOMAIN, 100) == 0
    wait = worker_b.reserve(SHOP_DOMAIN, 100)  # the other worker sees the 50 points left
    assert 0.45 < wait <= 0.51
    redis_client.delete(prefix + SHOP_DOMAIN)


# --- throttling -----------------------------------------------------------------------------------
def test_throttled_query_waits_for_the_bucket_and_succeeds(fake_shopify, token):
    bucket = fake_shopify.shops[SHOP_DOMAIN].bucket
    bucket.restore_rate = 1000
    fake_shopify.seed_products(SHOP_DOMAIN, 3)
    client = make_client(token)
    client.execute(documents.PRODUCTS_PAGE, {"first": 40})  # learns the page's cost (~762 points)
    bucket.available = 100  # another process spent the shop's points: our bucket still believes it is full
    started = time.monotonic()
    data = client.execute(documents.PRODUCTS_PAGE, {"first": 40})
    assert len(data["products"]["nodes"]) == 3
    assert client.stats.throttled == 1
    assert time.monotonic() - started >= 0.6  # it waited for the points Shopify said were missing


def test_client_paces_itself_so_shopify_never_throttles_it(fake_shopify, token):
    fake_shopify.shops[SHOP_DOMAIN].bucket.restore_rate = 2000
    fake_shopify.seed_products(SHOP_DOMAIN, 40, images_per_product=8)  # pages that really cost ~760
    client = make_client(token)
    for _ in range(6):
        client.execute(documents.PRODUCTS_PAGE, {"first": 40})
    assert fake_shopify.stats.throttled == 0
    assert client.stats.waited_seconds > 0.5


def test_rate_limit_gives_up_after_the_configured_wait(fake_shopify, token, shopify_settings):
    shopify_settings.SHOPIFY_THROTTLE_MAX_WAIT = 0.5
    bucket = fake_shopify.shops[SHOP_DOMAIN].bucket
    bucket.restore_rate = 1  # a point a second
    client = make_client(token)
    client.execute(documents.PRODUCTS_PAGE, {"first": 40})
    bucket.available = 0
    with pytest.raises(ApiRateLimited, match="no points within"):
        client.execute(documents.PRODUCTS_PAGE, {"first": 40})


# --- transient failures ---------------------------------------------------------------------------
@pytest.mark.parametrize("fault", [
    Fault(target="graphql", kind="status", status=503, times=2),
    Fault(target="graphql", kind="status", status=500),
    Fault(target="graphql", kind="drop"),
])
def test_query_is_retried_through_server_errors_and_dropped_connections(fake_shopify, token, fault):
    fake_shopify.faults.append(fault)
    client = make_client(token)
    assert client.execute(documents.SHOP)["shop"]["myshopifyDomain"] == SHOP_DOMAIN
    assert client.stats.retries >= 1


def test_slow_answer_times_out_and_is_retried(fake_shopify, token, shopify_settings):
    shopify_settings.SHOPIFY_READ_TIMEOUT = 0.3
    fake_shopify.faults.append(Fault(target="graphql", kind="slow", delay=0.8))
    client = make_client(token)
    assert client.execute(documents.SHOP)["shop"]["name"] == "Acme"
    assert client.stats.retries == 1


def test_lost_answer_to_a_mutation_is_not_resent(fake_shopify, token):
    product = fake_shopify.add_product(SHOP_DOMAIN, title="Shirt")
    fake_shopify.faults.append(Fault(target="graphql", kind="drop_after", operation="metafieldsSet"))
    client = make_client(token)
    with pytest.raises(ResponseLost, match="may have been applied"):
        client.execute(documents.METAFIELDS_SET, {"metafields": [
            {"ownerId": product.id, "namespace": "$app", "key": "k", "type": "json", "value": "{}"}]})
    assert fake_shopify.stats.operations["metafieldsSet"] == 1
    assert ("$app", "k") in product.metafields  # it did happen; only the caller can tell


def test_unavailable_after_the_last_attempt(fake_shopify, token, shopify_settings):
    shopify_settings.SHOPIFY_MAX_ATTEMPTS = 2
    fake_shopify.faults.append(Fault(target="graphql", kind="status", status=503, times=5))
    with pytest.raises(ApiUnavailable, match="503"):
        make_client(token).execute(documents.SHOP)


# --- terminal failures ----------------------------------------------------------------------------
def test_invalid_document_is_terminal_with_shopifys_message(token):
    with pytest.raises(ApiBadRequest, match="Cannot query field 'nam' on type 'Shop'"):
        make_client(token).execute("query { shop { nam } }")


def test_user_errors_keep_the_message():
    with pytest.raises(ApiBadRequest, match=r"fileUpdate refused: files\.0\.id: File does not exist") as caught:
        user_errors_raise({"userErrors": [{"field": ["files", "0", "id"], "message": "File does not exist",
                                           "code": "FILE_DOES_NOT_EXIST"}]}, operation="fileUpdate")
    assert caught.value.code == "FILE_DOES_NOT_EXIST"
    assert not caught.value.retryable


def test_refused_token_is_renewed_once(fake_shopify, token):
    fake_shopify.expire_access_tokens(SHOP_DOMAIN)
    fresh = fake_shopify.mint_tokens(SHOP_DOMAIN)["access_token"]
    current = [token]
    renewals = []

    def renew() -> str:
        renewals.append(1)
        current[0] = fresh
        return fresh

    client = AdminClient(shop_domain=SHOP_DOMAIN, access_token=lambda: current[0], on_unauthorized=renew)
    assert client.execute(documents.SHOP)["shop"]["name"] == "Acme"
    assert renewals == [1]


def test_refused_token_without_renewal_is_unauthorized(fake_shopify):
    with pytest.raises(ApiUnauthorized, match="refused the access token"):
        make_client("shpat_not_a_token").execute(documents.SHOP)


def test_concurrent_clients_share_one_bucket(fake_shopify, token):
    fake_shopify.shops[SHOP_DOMAIN].bucket.restore_rate = 3000
    fake_shopify.seed_products(SHOP_DOMAIN, 40, images_per_product=8)
    warm = make_client(token)
    warm.execute(documents.PRODUCTS_PAGE, {"first": 40})
    errors: list[Exception] = []

    def work() -> None:
        try:
            client = make_client(token)
            for _ in range(3):
                client.execute(documents.PRODUCTS_PAGE, {"first": 40})
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert fake_shopify.stats.throttled <= 1  # the shared bucket kept nine ~760-point calls from colliding


def test_query_larger_than_the_whole_bucket_is_refused_not_retried_forever(fake_shopify, token):
    bucket = fake_shopify.shops[SHOP_DOMAIN].bucket
    bucket.maximum = bucket.available = 500
    with pytest.raises(ApiBadRequest, match="can never run in the 500-point bucket") as caught:
        make_client(token).execute(documents.PRODUCTS_PAGE, {"first": 40})
    assert caught.value.code == "MAX_COST_EXCEEDED"
