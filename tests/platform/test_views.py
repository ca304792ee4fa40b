"""The catalogue page, health check, blob access and the API respect shop membership."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_source_image, make_variant
from vitrine.platform.models import Shop, ShopMembership


@pytest.fixture
def other_shop(db):
    return Shop.objects.create(provider="csvfile", external_id="other.example", name="Other",
                               installed_at=timezone.now())


@pytest.fixture
def member(shop):
    user = User.objects.create_user("reviewer", password="pw-for-tests-only")
    ShopMembership.objects.create(user=user, shop=shop, role="reviewer")
    return user


def test_healthz(client, db):
    assert client.get(reverse("healthz")).json() == {
        "status": "ok", "reliability": {"events_dead": 0, "tasks_unsent": 0, "variants_stuck": 0}}


def test_catalogue_page_lists_only_the_members_shops(client, shop, other_shop, member):
    make_source_image(shop, external_id="mug")
    make_source_image(other_shop, external_id="secret", seed=5)
    client.force_login(member)
    page = client.get(reverse("home")).content.decode()
    assert "Product mug" in page and "ACME" in page
    assert "Product secret" not in page


def test_catalogue_page_requires_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_blob_access_follows_shop_membership(client, shop, other_shop, member):
    mine = make_source_image(shop, external_id="mug")
    theirs = make_source_image(other_shop, external_id="secret", seed=5)
    client.force_login(member)
    response = client.get(reverse("blob", args=[mine.image_id]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert client.get(reverse("blob", args=[theirs.image_id])).status_code == 404
    assert client.get(reverse("blob", args=["0" * 64])).status_code == 404


def test_api_lists_variants_of_visible_shops_only(client, shop, other_shop, member):
    mine = make_variant(shop)
    other_shop.markets.create(locale="fr-FR", region="FR")
    make_variant(other_shop, seed=9)
    client.force_login(member)
    data = client.get("/api/v1/variants/").json()
    assert [row["id"] for row in data["results"]] == [mine.pk]
    assert data["results"][0]["state"] == "requested"
    products = client.get("/api/v1/products/").json()["results"]
    assert [row["id"] for row in products] == [mine.source_image.product_id]
