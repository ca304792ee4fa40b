"""The admin shows and accepts only the user's shops, and each change needs a role that allows it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from vitrine.platform.models import Market, Product, Shop, ShopMembership
from vitrine.templates.models import TemplateRule


@pytest.fixture
def shops(db) -> tuple[Shop, Shop]:  # type: ignore[no-untyped-def]
    acme = Shop.objects.create(provider="csvfile", external_id="acme", name="Acme", installed_at=timezone.now())
    globex = Shop.objects.create(provider="csvfile", external_id="globex", name="Globex",
                                 installed_at=timezone.now())
    Market.objects.create(shop=acme, locale="de-DE", region="DE", name="Acme Germany")
    Market.objects.create(shop=globex, locale="fr-FR", region="FR", name="Globex France")
    return acme, globex


def staff(name: str, shop: Shop, role: str) -> User:
    """A staff user holding every Django model permission: only the shop role can limit them."""
    user = User.objects.create_user(name, password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    ShopMembership.objects.create(user=user, shop=shop, role=role)
    return user


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, f"no select {name}"
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))
            if label.strip() and label.strip() != "---------"]


def test_the_shop_dropdown_offers_only_the_users_shops(client, shops) -> None:  # type: ignore[no-untyped-def]
    acme, _globex = shops
    client.force_login(staff("editor", acme, "editor"))
    product = Product.objects.create(shop=acme, external_id="mug", title="Mug")
    page = client.get(f"/admin/platform/product/{product.pk}/change/").content.decode()
    assert options(page, "shop") == ["Acme"]
    rule_page = client.get("/admin/templates/templaterule/add/").content.decode()
    assert options(rule_page, "shop") == ["Acme"] and options(rule_page, "markets") == ["Acme Germany"]


def test_a_product_cannot_be_moved_into_another_shop(client, shops) -> None:  # type: ignore[no-untyped-def]
    acme, globex = shops
    client.force_login(staff("editor", acme, "editor"))
    product = Product.objects.create(shop=acme, external_id="mug", title="Mug")
    response = client.post(f"/admin/platform/product/{product.pk}/change/", {
        "shop": globex.pk, "external_id": "mug", "title": "Mug", "handle": "", "product_type": "", "vendor": "",
        "tags": "[]", "status": "", "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    product.refresh_from_db()
    assert product.shop == acme


def test_a_template_rule_cannot_name_another_shops_market(client, shops) -> None:  # type: ignore[no-untyped-def]
    acme, globex = shops
    client.force_login(staff("editor", acme, "editor"))
    response = client.post("/admin/templates/templaterule/add/", {
        "shop": acme.pk, "template_slug": "white-main-image", "markets": [globex.markets.get().pk],
        "product_types": "[]", "tags": "[]", "vendors": "[]", "enabled": "on",
    })
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not TemplateRule.objects.exists()


def test_roles_decide_what_the_admin_lets_a_member_change(client, shops) -> None:  # type: ignore[no-untyped-def]
    acme, globex = shops
    product = Product.objects.create(shop=acme, external_id="mug", title="Mug")
    url = f"/admin/platform/product/{product.pk}/change/"
    client.force_login(staff("reviewer", acme, "reviewer"))
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # read-only view
    assert client.post(url, {"shop": acme.pk, "external_id": "x", "title": "Changed"}).status_code == 403
    assert client.get("/admin/platform/product/add/").status_code == 403
    # Team changes need the owner role: an editor sees the members but cannot change them.
    client.force_login(staff("editor", acme, "editor"))
    shop_page = client.get(f"/admin/platform/shop/{acme.pk}/change/").content.decode()
    assert 'name="memberships-0-role"' not in shop_page and 'name="markets-0-locale"' in shop_page
    client.force_login(staff("owner", acme, "owner"))
    assert 'name="memberships-0-role"' in client.get(f"/admin/platform/shop/{acme.pk}/change/").content.decode()
    # Another shop is not there at all.
    assert client.get(f"/admin/platform/shop/{globex.pk}/change/").status_code == 302


def test_rows_no_shop_owns_are_for_operators_only(rf, shops) -> None:  # type: ignore[no-untyped-def]
    from django.contrib import admin

    from vitrine.connectors.admin import ReadOnlyAdmin
    from vitrine.connectors.taobao.models import TaobaoCategory

    TaobaoCategory.objects.create(cid="16", name="女装/女士精品", parent_cid="0", is_parent=True,
                                  fetched_at=timezone.now())
    category_admin = ReadOnlyAdmin(TaobaoCategory, admin.site)
    request = rf.get("/admin/")
    request.user = staff("ann", shops[0], "owner")
    assert list(category_admin.get_queryset(request)) == []
    request.user = User.objects.create_superuser("root", password="pw-for-tests-only")
    assert [row.cid for row in category_admin.get_queryset(request)] == ["16"]
