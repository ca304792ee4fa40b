"""One OAuth state model for every store: binding, expiry, one sweep, and the migration that merged them."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from vitrine.connectors import services
from vitrine.connectors.models import OAuthState
from vitrine.connectors.tasks import sweep_oauth_states
from vitrine.platform.celery import app as celery_app


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("seller", password="a long password 1")


def _age(nonce: str, by: timedelta) -> None:
    OAuthState.objects.filter(nonce=nonce).update(created_at=timezone.now() - by)


def test_a_state_is_good_once_and_only_with_its_binding(user) -> None:
    shopify = services.oauth_state_issue(provider="shopify", shop_domain="a.myshopify.com")
    taobao = services.oauth_state_issue(provider="taobao", user=user)
    assert not services.oauth_state_consume(provider="taobao", nonce=shopify, shop_domain="a.myshopify.com")
    assert not services.oauth_state_consume(provider="shopify", nonce=shopify, shop_domain="b.myshopify.com")
    assert not services.oauth_state_consume(provider="taobao", nonce=taobao)  # not bound to nobody
    assert services.oauth_state_consume(provider="shopify", nonce=shopify, shop_domain="a.myshopify.com")
    assert services.oauth_state_consume(provider="taobao", nonce=taobao, user=user)
    assert not services.oauth_state_consume(provider="taobao", nonce=taobao, user=user)
    assert not services.oauth_state_consume(provider="shopify", nonce="", shop_domain="")


def test_an_expired_state_is_refused(user) -> None:
    nonce = services.oauth_state_issue(provider="taobao", user=user)
    _age(nonce, services.OAUTH_STATE_TTL + timedelta(seconds=1))
    assert not services.oauth_state_consume(provider="taobao", nonce=nonce, user=user)


def test_one_sweep_drops_the_expired_states_of_every_store(user) -> None:
    old_shopify = services.oauth_state_issue(provider="shopify", shop_domain="a.myshopify.com")
    old_taobao = services.oauth_state_issue(provider="taobao", user=user)
    fresh_shopify = services.oauth_state_issue(provider="shopify", shop_domain="a.myshopify.com")
    fresh_taobao = services.oauth_state_issue(provider="taobao", user=user)
    for nonce in (old_shopify, old_taobao):
        _age(nonce, services.OAUTH_STATE_TTL + timedelta(minutes=1))

    assert sweep_oauth_states.apply().get() == 2

    assert set(OAuthState.objects.values_list("nonce", flat=True)) == {fresh_shopify, fresh_taobao}


def test_the_sweep_is_on_the_beat_schedule() -> None:
    entries = [entry for entry in celery_app.conf.beat_schedule.values() if entry["task"] == sweep_oauth_states.name]
    assert len(entries) == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_live_taobao_states_and_back(user) -> None:
    before = [("connectors", "0004_syncrun_moves_to_platform")]
    after = [("connectors", "0005_oauthstate_all_providers")]
    created = timezone.now() - timedelta(minutes=20)
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    old.get_model("connectors", "OAuthState").objects.create(nonce="shop-nonce", shop_domain="a.myshopify.com")
    old.get_model("connectors", "TaobaoOAuthState").objects.create(nonce="seller-nonce", user_id=user.pk)
    old.get_model("connectors", "TaobaoOAuthState").objects.filter(nonce="seller-nonce").update(created_at=created)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("connectors", "OAuthState")
        rows = {row["nonce"]: row for row in new.objects.values()}
        assert rows["shop-nonce"]["provider"] == "shopify"
        assert rows["seller-nonce"]["provider"] == "taobao" and rows["seller-nonce"]["user_id"] == user.pk
        assert rows["seller-nonce"]["created_at"] == created  # it expires when it would have

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        assert list(old.get_model("connectors", "OAuthState").objects.values_list("nonce", flat=True)) == [
            "shop-nonce"]
        assert old.get_model("connectors", "TaobaoOAuthState").objects.get().user_id == user.pk
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
