"""Seller authorisation: start, Taobao's consent page, the callback with a single-use state, tokens at rest."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from tests.factories import png_bytes
from tests.fakes.taobao.server import Fault
from vitrine.connectors.models import Credential
from vitrine.platform import events
from vitrine.platform.models import Event, Product, Shop, ShopMembership, SyncRun

pytest_plugins = ["tests.fakes.taobao.fixtures"]

APP_URL = "https://vitrine.example"


@pytest.fixture
def merchant(db, client, settings):
    settings.APP_URL = APP_URL
    user = get_user_model().objects.create_user("merchant", password="a long password 1")
    client.force_login(user)
    return user


def consent(client, fake_top) -> str:
    """Start the connection and pass Taobao's consent page; returns the callback path and query."""
    start = client.get(reverse("connectors:taobao-authorize"))
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(fake_top.oauth_url + "/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [fake_top.app_key]
    assert query["redirect_uri"] == [APP_URL + "/connectors/taobao/callback"]
    answer = httpx.get(authorize, follow_redirects=False)
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}" == APP_URL
    return f"{callback.path}?{callback.query}"


def test_authorisation_connects_the_sellers_shop_with_encrypted_tokens(client, merchant, fake_top, taobao_seller,
                                                                       events_held, deliver_events):
    fake_top.authorizing_seller = taobao_seller
    item = fake_top.add_item(taobao_seller, title="Cotton shirt", images=[png_bytes(64, 64, seed=9)])

    response = client.get(consent(client, fake_top))

    assert response.status_code == 302 and response["Location"] == reverse("console:onboarding")
    shop = Shop.objects.get(provider="taobao")
    assert (shop.external_id, shop.name) == (str(taobao_seller.user_id), taobao_seller.nick)
    assert shop.is_installed
    assert ShopMembership.objects.get(shop=shop, user=merchant).role == ShopMembership.Role.OWNER
    credential = Credential.objects.get(shop=shop)
    assert fake_top.sessions[credential.access_token].seller_id == taobao_seller.user_id
    assert credential.refresh_expires_at > credential.access_expires_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM connectors_credential WHERE shop_id = %s", [shop.pk])
        stored_access, stored_refresh = cursor.fetchone()
    assert credential.access_token not in stored_access and credential.refresh_token not in stored_refresh

    # Connecting subscribes the seller to item messages and reads the catalogue.
    assert Event.objects.filter(type=events.SHOP_INSTALLED, shop=shop).count() == 1
    deliver_events(events.SHOP_INSTALLED)
    assert fake_top.permitted[taobao_seller.user_id] == {"taobao_item_ItemAdd", "taobao_item_ItemUpdate",
                                                  "taobao_item_ItemDelete"}
    assert SyncRun.objects.get(shop=shop).full
    assert Product.objects.get(shop=shop).external_id == str(item.num_iid)


def test_the_state_is_single_use(client, merchant, fake_top, taobao_seller):
    fake_top.authorizing_seller = taobao_seller
    callback = consent(client, fake_top)
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    assert replay.status_code == 400
    assert b"state is unknown, expired, already used or not yours" in replay.content


def test_a_state_issued_to_someone_else_is_refused(client, merchant, fake_top, taobao_seller):
    fake_top.authorizing_seller = taobao_seller
    callback = consent(client, fake_top)
    other = get_user_model().objects.create_user("intruder", password="another long password")
    client.force_login(other)
    assert client.get(callback).status_code == 400
    assert not Shop.objects.filter(provider="taobao").exists()


def test_a_seller_who_refuses_is_told_so(client, merchant, fake_top):
    fake_top.authorizing_seller = None
    response = client.get(consent(client, fake_top))
    assert response.status_code == 400
    assert b"the seller did not authorise the app: access_denied" in response.content


def test_an_unreachable_token_endpoint_is_a_bad_gateway(client, merchant, fake_top, taobao_seller):
    fake_top.authorizing_seller = taobao_seller
    fake_top.faults.append(Fault("oauth.token", "http_500"))
    response = client.get(consent(client, fake_top))
    assert response.status_code == 502
    assert b"the token endpoint answered 500" in response.content


def test_starting_needs_a_signed_in_user(client, db):
    response = client.get(reverse("connectors:taobao-authorize"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
