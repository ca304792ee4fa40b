"""Install and tokens: session-token exchange, OAuth code grant, refresh with rotation, tokens at rest."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import uses_postgres
from tests.connectors.conftest import CLIENT_ID, CLIENT_SECRET, SHOP_DOMAIN
from vitrine.connectors.errors import ApiUnauthorized
from vitrine.connectors.models import Credential
from vitrine.connectors.shopify import documents, services
from vitrine.connectors.shopify.webhooks import SUBSCRIBED_TOPICS
from vitrine.platform import events
from vitrine.platform.models import Event, Shop

SESSION_URL = "/connectors/shopify/session"


def stored_column(column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM connectors_credential")
        return cursor.fetchone()[0]


def token_requests(fake) -> int:  # type: ignore[no-untyped-def]
    return fake.stats.requests.get("token", 0)


# --- embedded install -----------------------------------------------------------------------------
def test_session_token_installs_the_shop(client, fake_shopify, shopify_settings, db, dispatched,
                                         django_capture_on_commit_callbacks):
    session_token = fake_shopify.session_token(SHOP_DOMAIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SESSION_URL, headers={"Authorization": f"Bearer {session_token}"})
    assert response.status_code == 200, response.content
    assert response.json()["shop"] == SHOP_DOMAIN and response.json()["installed"]
    shop = Shop.objects.get(provider="shopify", external_id=SHOP_DOMAIN)
    assert shop.name == "Acme"  # learned from the shop query after install
    credential = Credential.objects.get(shop=shop)
    assert fake_shopify.access_token_valid(credential.access_token)
    assert fake_shopify.refresh_token_valid(credential.refresh_token)
    expires_in = credential.access_expires_at - timezone.now()
    assert timedelta(minutes=58) < expires_in <= timedelta(hours=1)
    assert credential.refresh_expires_at - timezone.now() > timedelta(days=89)
    assert credential.access_token not in stored_column("access_token")  # encrypted at rest
    assert credential.refresh_token not in stored_column("refresh_token")
    assert Event.objects.filter(type=events.SHOP_INSTALLED, shop=shop).count() == 1
    subscriptions = fake_shopify.shops[SHOP_DOMAIN].subscriptions
    assert {s["topic"] for s in subscriptions} == set(SUBSCRIBED_TOPICS)
    assert {s["uri"] for s in subscriptions} == {"https://vitrine.example/connectors/shopify/webhooks"}
    assert shop.sync_runs.get().status == "succeeded"  # the first catalogue read ran


def test_an_installed_shop_is_not_exchanged_again(client, fake_shopify, shopify_shop, dispatched):
    response = client.post(SESSION_URL, headers={"Authorization": f"Bearer {fake_shopify.session_token(SHOP_DOMAIN)}"})
    assert response.status_code == 200
    assert token_requests(fake_shopify) == 0
    assert not Event.objects.filter(type=events.SHOP_INSTALLED).exists()


@pytest.mark.parametrize("forge", [
    lambda fake: fake.session_token(SHOP_DOMAIN, secret="shpss_not_the_app_secret_0123456789ab"),
    lambda fake: fake.session_token(SHOP_DOMAIN, audience="another-app"),
    lambda fake: fake.session_token(SHOP_DOMAIN, expires_in=60, issued_offset=-600),
    lambda fake: jwt.encode({"iss": "https://evil.example/admin", "dest": "https://evil.example", "aud": CLIENT_ID,
                             "sub": "1", "exp": int(time.time()) + 60, "nbf": int(time.time()),
                             "iat": int(time.time()), "jti": "x", "sid": "y"}, CLIENT_SECRET, algorithm="HS256"),
    lambda fake: jwt.encode({"dest": f"https://{SHOP_DOMAIN}", "aud": CLIENT_ID, "exp": int(time.time()) + 60},
                            CLIENT_SECRET, algorithm="HS256"),
], ids=["forged", "other-app", "expired", "not-a-shop", "claims-missing"])
def test_bad_session_token_is_refused(client, fake_shopify, shopify_settings, db, forge):
    response = client.post(SESSION_URL, headers={"Authorization": f"Bearer {forge(fake_shopify)}"})
    assert response.status_code == 401
    assert response["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert not Shop.objects.exists()
    assert token_requests(fake_shopify) == 0


def test_app_home_without_a_token_goes_to_the_token_page(client, shopify_settings, db):
    response = client.get("/connectors/shopify/", {"shop": SHOP_DOMAIN, "embedded": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/connectors/shopify/patch-id-token?")


def test_app_home_with_a_token_installs_and_allows_framing_by_the_admin(client, fake_shopify, shopify_settings, db,
                                                                         dispatched):
    response = client.get("/connectors/shopify/", {"shop": SHOP_DOMAIN, "id_token": fake_shopify.session_token(
        SHOP_DOMAIN)})
    assert response.status_code == 302 and response["Location"].startswith("/app/?")  # on to the merchant app
    assert f"frame-ancestors https://{SHOP_DOMAIN}" in response["Content-Security-Policy"]
    assert Shop.objects.get(external_id=SHOP_DOMAIN).is_installed
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f"frame-ancestors https://{SHOP_DOMAIN} https://admin.shopify.com" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page


# --- OAuth code grant -----------------------------------------------------------------------------
def oauth_begin(client) -> str:  # type: ignore[no-untyped-def]
    response = client.get("/connectors/shopify/install", {"shop": SHOP_DOMAIN})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.netloc, location.path) == (SHOP_DOMAIN, "/admin/oauth/authorize")
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/connectors/shopify/callback"]
    return query["state"][0]


def test_oauth_install(client, fake_shopify, shopify_settings, db, dispatched):
    state = oauth_begin(client)
    response = client.get("/connectors/shopify/callback", fake_shopify.oauth_callback_params(SHOP_DOMAIN, state))
    assert response.status_code == 302
    assert response["Location"] == f"https://{SHOP_DOMAIN}/admin/apps/{CLIENT_ID}"
    shop = Shop.objects.get(external_id=SHOP_DOMAIN)
    assert shop.is_installed
    assert fake_shopify.access_token_valid(shop.credential.access_token)
    assert shop.credential.access_expires_at is not None  # expiring offline token


@pytest.mark.parametrize("shop", ["evil.example.com", "acme.myshopify.com.evil.example", "https://acme.myshopify.com",
                                  "-acme.myshopify.com", ""])
def test_oauth_install_refuses_a_bad_shop_domain(client, shopify_settings, db, shop):
    response = client.get("/connectors/shopify/install", {"shop": shop})
    assert response.status_code == 400
    assert "myshopify.com" in response.content.decode()


def test_oauth_callback_with_forged_hmac_is_refused(client, fake_shopify, shopify_settings, db):
    params = fake_shopify.oauth_callback_params(SHOP_DOMAIN, oauth_begin(client))
    params["hmac"] = params["hmac"][::-1]
    response = client.get("/connectors/shopify/callback", params)
    assert response.status_code == 403
    assert "HMAC" in response.content.decode()
    assert not Shop.objects.exists()


def test_oauth_callback_signed_with_another_secret_is_refused(client, fake_shopify, shopify_settings, db):
    params = fake_shopify.oauth_callback_params(SHOP_DOMAIN, oauth_begin(client),
                                                secret="shpss_someone_else_0123456789abcdef0123")
    assert client.get("/connectors/shopify/callback", params).status_code == 403


def test_oauth_state_is_single_use(client, fake_shopify, shopify_settings, db, dispatched):
    state = oauth_begin(client)
    assert client.get("/connectors/shopify/callback",
                      fake_shopify.oauth_callback_params(SHOP_DOMAIN, state)).status_code == 302
    client.session["shopify_oauth_state"] = state  # even with the browser replaying its session
    replay = client.get("/connectors/shopify/callback", fake_shopify.oauth_callback_params(SHOP_DOMAIN, state))
    assert replay.status_code == 403
    assert "state" in replay.content.decode()


def test_oauth_state_from_another_browser_is_refused(client, fake_shopify, shopify_settings, db):
    state = oauth_begin(client)
    client.cookies.clear()
    response = client.get("/connectors/shopify/callback", fake_shopify.oauth_callback_params(SHOP_DOMAIN, state))
    assert response.status_code == 403


def test_oauth_state_issued_for_another_shop_is_refused(client, fake_shopify, shopify_settings, db):
    state = oauth_begin(client)
    fake_shopify.add_shop("other.myshopify.com")
    response = client.get("/connectors/shopify/callback",
                          fake_shopify.oauth_callback_params("other.myshopify.com", state))
    assert response.status_code == 403


def test_replayed_old_callback_is_refused(client, fake_shopify, shopify_settings, db, monkeypatch):
    state = oauth_begin(client)
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000)  # the fake signs a timestamp from long ago
    params = fake_shopify.oauth_callback_params(SHOP_DOMAIN, state)
    monkeypatch.undo()
    response = client.get("/connectors/shopify/callback", params)
    assert response.status_code == 403
    assert "too old" in response.content.decode()


# --- refresh and rotation -------------------------------------------------------------------------
def expire_soon(shop: Shop) -> Credential:
    Credential.objects.filter(shop=shop).update(access_expires_at=timezone.now() + timedelta(minutes=1))
    return Credential.objects.get(shop=shop)


def test_token_is_refreshed_before_it_expires_and_the_refresh_token_rotates(fake_shopify, shopify_shop):
    before = expire_soon(shopify_shop)
    token = services.access_token(shop=shopify_shop)
    after = Credential.objects.get(shop=shopify_shop)
    assert token == after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert not fake_shopify.refresh_token_valid(before.refresh_token)  # used up
    assert fake_shopify.refresh_token_valid(after.refresh_token)
    assert after.access_expires_at - timezone.now() > timedelta(minutes=58)
    assert after.refresh_token not in stored_column("refresh_token")


def test_fresh_token_is_used_without_refreshing(fake_shopify, shopify_shop):
    assert services.access_token(shop=shopify_shop) == shopify_shop.credential.access_token
    assert token_requests(fake_shopify) == 0


def test_refresh_already_done_by_another_worker_is_reused(fake_shopify, shopify_shop):
    stale = expire_soon(shopify_shop).access_token
    services.access_token(shop=shopify_shop)
    requests = token_requests(fake_shopify)
    # A second worker that used the old token asks for a refresh after the first one finished.
    credential = services.credential_refresh(shop=shopify_shop, used_token=stale)
    assert credential.access_token != stale
    assert token_requests(fake_shopify) == requests


def test_token_refused_by_the_api_is_refreshed_once(fake_shopify, shopify_shop):
    fake_shopify.expire_access_tokens(SHOP_DOMAIN)  # Shopify no longer takes it; we still think it is good
    client = services.admin_client(shopify_shop)
    assert client.execute(documents.SHOP)["shop"]["name"] == "Acme"
    assert token_requests(fake_shopify) == 1


def test_dead_refresh_token_revokes_the_credential(fake_shopify, shopify_shop):
    Credential.objects.filter(shop=shopify_shop).update(refresh_token="shprt_revoked")
    expire_soon(shopify_shop)
    with pytest.raises(ApiUnauthorized, match="invalid"):
        services.access_token(shop=shopify_shop)
    credential = Credential.objects.get(shop=shopify_shop)
    assert credential.revoked_at is not None and credential.access_token == ""
    with pytest.raises(ApiUnauthorized, match="open the app in the Shopify admin"):
        services.access_token(shop=shopify_shop)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not uses_postgres(), reason="row locks need PostgreSQL; SQLite serialises the whole file")
def test_concurrent_workers_refresh_once(fake_shopify, shopify_shop):
    expire_soon(shopify_shop)
    tokens: list[str] = []

    def worker() -> None:
        tokens.append(services.access_token(shop=Shop.objects.get(pk=shopify_shop.pk)))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and len(tokens) == 4
    assert token_requests(fake_shopify) == 1
    assert fake_shopify.refresh_token_valid(Credential.objects.get(shop=shopify_shop).refresh_token)
