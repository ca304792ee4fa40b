"""The merchant's session through the API with a personal token, on a CSV shop and the classical backend:
settings -> request variants -> poll -> claim and approve -> publish -> revert."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.api.conftest import token_client
from tests.test_end_to_end_csv import packshot
from vitrine.connectors.csvfile.services import MarketSpec, catalogue_import, csv_shop_ensure
from vitrine.platform.models import ShopMembership, Variant

pytestmark = pytest.mark.django_db


def test_request_review_publish_and_revert_through_the_api(tmp_path: Path, django_capture_on_commit_callbacks
                                                             ) -> None:
    packshot(tmp_path / "mug.png", (28, 64, 150))
    packshot(tmp_path / "tin.png", (20, 110, 70))
    (tmp_path / "products.csv").write_text(
        "Handle,Title,Type,Tags,Variant SKU,Image Src,Image Position,Image Alt Text\n"
        "mug,Blue Mug,Mug,packshot,MUG-1,mug.png,1,Blue mug\n"
        "tin,Tea Tin,Tea,packshot,TIN-1,tin.png,1,\n", encoding="utf-8")
    shop = csv_shop_ensure(name="Corner Store", export_dir=tmp_path / "export", markets=[MarketSpec("de-DE")])
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_import(shop=shop, csv_path=tmp_path / "products.csv")
    owner = User.objects.create_user("owner", email="owner@example.com")
    ShopMembership.objects.create(user=owner, shop=shop, role="owner")
    api = token_client(shop, owner)

    settings = api.patch("/api/v1/shop/", {"publish_on_approve": False, "review_mode": "review_all"},
                         format="json").json()
    assert settings["publish_on_approve"] is False
    products = api.get("/api/v1/products/", {"q": "mug"}).json()["results"]
    assert [p["title"] for p in products] == ["Blue Mug"]
    all_products = [p["id"] for p in api.get("/api/v1/products/").json()["results"]]
    market = api.get("/api/v1/markets/").json()["results"][0]

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/variants/request/", {
            "product_ids": all_products, "template_slugs": ["studio-sweep-light"], "market_ids": [market["id"]],
        }, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    assert response.status_code == 202, response.content
    created = response.json()["created"]
    assert len(created) == 2 and response.json()["deferred"] == 0

    # poll: rendered in-process, scored and waiting for review
    rows = api.get("/api/v1/variants/", {"state": "in_review", "market": market["id"]}).json()["results"]
    assert sorted(row["id"] for row in rows) == sorted(created)
    detail = api.get(f"/api/v1/products/{all_products[0]}/").json()
    assert detail["images"][0]["variants"]["de-DE"][0]["state"] == "in_review"
    assert api.get(detail["images"][0]["variants"]["de-DE"][0]["output_url"]).status_code == 200

    for _ in created:
        item = api.post("/api/v1/review-items/claim-next/", {}, format="json").json()
        decision = api.post(f"/api/v1/review-items/{item['id']}/decide/", {"action": "approve"}, format="json")
        assert decision.status_code == 201, decision.content
    assert api.post("/api/v1/review-items/claim-next/", {}, format="json").status_code == 204
    assert {v.state for v in Variant.objects.filter(pk__in=created)} == {"approved"}  # waits for publish

    with django_capture_on_commit_callbacks(execute=True):
        for variant_id in created:
            assert api.post(f"/api/v1/variants/{variant_id}/publish/", format="json").status_code == 202
    published = api.get("/api/v1/variants/", {"state": "published"}).json()["results"]
    assert sorted(row["id"] for row in published) == sorted(created)
    assert any((tmp_path / "export").rglob("*.png"))

    again = api.post(f"/api/v1/variants/{created[0]}/publish/", format="json")
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/variants/{created[0]}/revert/", format="json").status_code == 202
    assert api.get(f"/api/v1/variants/{created[0]}/").json()["state"] == "superseded"
    usage = api.get("/api/v1/usage/", {"days": 3}).json()
    assert usage["today"] == 2 and usage["days"][0]["by_market"] == {"de-DE": 2}
