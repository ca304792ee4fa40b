"""The connectors' admin pages load, the Taobao ones included (they live in the store's package)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from vitrine.connectors import services
from vitrine.connectors.models import OAuthState
from vitrine.connectors.taobao.models import TaobaoCategory
from vitrine.platform.models import Shop, SyncRun


@pytest.fixture
def operator(client, db):
    user = get_user_model().objects.create_superuser("operator", password="a long password 1")
    client.force_login(user)
    return user


@pytest.mark.parametrize("page", ["connectors_oauthstate", "platform_syncrun", "connectors_taobaocategory"])
def test_the_page_lists_its_rows(client, operator, page) -> None:
    services.oauth_state_issue(provider="taobao", user=operator)
    TaobaoCategory.objects.create(cid="16", name="女装", fetched_at=timezone.now() - timedelta(days=1))
    shop = Shop.objects.create(provider="taobao", external_id="4242", name="Tea house")
    SyncRun.objects.create(provider="taobao", shop=shop, full=True, mode="windows", stats={"seen": 3})
    response = client.get(reverse(f"admin:{page}_changelist"))
    assert response.status_code == 200
    if page == "platform_syncrun":
        assert "Tea house" in response.content.decode()


def test_a_state_page_does_not_show_the_nonce(client, operator) -> None:
    nonce = services.oauth_state_issue(provider="shopify", shop_domain="acme.myshopify.com")
    state = OAuthState.objects.get(nonce=nonce)
    page = client.get(reverse("admin:connectors_oauthstate_change", args=[state.pk]))
    assert page.status_code == 200 and "acme.myshopify.com" in page.content.decode()
    assert nonce not in page.content.decode()
    assert nonce not in client.get(reverse("admin:connectors_oauthstate_changelist")).content.decode()


def test_a_category_page_loads(client, operator) -> None:
    TaobaoCategory.objects.create(cid="16", name="女装", fetched_at=timezone.now())
    page = client.get(reverse("admin:connectors_taobaocategory_change", args=["16"]))
    assert page.status_code == 200 and "女装" in page.content.decode()
