"""The role matrix: every role against every write operation (allowed, or 403), and another shop's objects
(404, never 403: they are invisible)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import ROLES, World, build_world, member, token_client
from vitrine.api.models import ApiToken
from vitrine.platform.roles import Action, role_allows

# (name, method, path, body, the action it needs, multipart)
Op = tuple[str, str, Callable[[World], str], Callable[[World], Any], str, bool]

WRITES: list[Op] = [
    ("shop settings", "patch", lambda w: "/api/v1/shop/", lambda w: {"daily_variant_cap": 100},
     Action.EDIT_SETTINGS, False),
    ("add market", "post", lambda w: "/api/v1/markets/", lambda w: {"locale": "fr-fr"}, Action.EDIT_SETTINGS, False),
    ("replace market", "put", lambda w: f"/api/v1/markets/{w.market.pk}/",
     lambda w: {"locale": "de-DE", "name": "Deutschland", "enabled": True}, Action.EDIT_SETTINGS, False),
    ("change market", "patch", lambda w: f"/api/v1/markets/{w.market.pk}/", lambda w: {"enabled": False},
     Action.EDIT_SETTINGS, False),
    ("delete market", "delete", lambda w: f"/api/v1/markets/{w.spare_market.pk}/", lambda w: None,
     Action.EDIT_SETTINGS, False),
    ("add rule", "post", lambda w: "/api/v1/template-rules/",
     lambda w: {"template_slug": "studio-sweep-light", "market_ids": [w.market.pk]}, Action.EDIT_SETTINGS, False),
    ("replace rule", "put", lambda w: f"/api/v1/template-rules/{w.rule.pk}/",
     lambda w: {"template_slug": "studio-sweep-warm", "tags": ["summer"]}, Action.EDIT_SETTINGS, False),
    ("change rule", "patch", lambda w: f"/api/v1/template-rules/{w.rule.pk}/", lambda w: {"enabled": False},
     Action.EDIT_SETTINGS, False),
    ("delete rule", "delete", lambda w: f"/api/v1/template-rules/{w.rule.pk}/", lambda w: None,
     Action.EDIT_SETTINGS, False),
    ("add glossary entry", "post", lambda w: "/api/v1/glossary/",
     lambda w: {"source_text": "Leather", "locale": "de", "translation": "Leder"}, Action.EDIT_SETTINGS, False),
    ("replace glossary entry", "put", lambda w: f"/api/v1/glossary/{w.entry.pk}/",
     lambda w: {"source_text": "Organic cotton", "locale": "de-DE", "translation": "Biobaumwolle"},
     Action.EDIT_SETTINGS, False),
    ("change glossary entry", "patch", lambda w: f"/api/v1/glossary/{w.entry.pk}/",
     lambda w: {"translation": "Bio-Baumwolle (GOTS)"}, Action.EDIT_SETTINGS, False),
    ("delete glossary entry", "delete", lambda w: f"/api/v1/glossary/{w.entry.pk}/", lambda w: None,
     Action.EDIT_SETTINGS, False),
    ("import glossary", "post", lambda w: "/api/v1/glossary/import/",
     lambda w: {"file": SimpleUploadedFile("g.csv", b"source_text,locale,translation\nSilk,fr,Soie\n",
                                           content_type="text/csv")}, Action.EDIT_SETTINGS, True),
    ("request variants", "post", lambda w: "/api/v1/variants/request/",
     lambda w: {"product_ids": [w.product_id], "template_slugs": ["studio-sweep-light"],
                "market_ids": [w.market.pk]}, Action.REQUEST_VARIANTS, False),
    ("confirm swatch", "post", lambda w: f"/api/v1/products/{w.product_id}/swatches/",
     lambda w: {"option_value": "Navy", "color": "#1F2A44"}, Action.REQUEST_VARIANTS, False),
    ("make colourways", "post", lambda w: f"/api/v1/products/{w.product_id}/colourways/", lambda w: {},
     Action.REQUEST_VARIANTS, False),
    ("regenerate", "post", lambda w: f"/api/v1/variants/{w.failed_too.pk}/regenerate/",
     lambda w: {"reason": "too dark"}, Action.REQUEST_VARIANTS, False),
    ("retry", "post", lambda w: f"/api/v1/variants/{w.failed.pk}/retry/", lambda w: {}, Action.REQUEST_VARIANTS,
     False),
    ("publish", "post", lambda w: f"/api/v1/variants/{w.approved.pk}/publish/", lambda w: {}, Action.PUBLISH, False),
    ("revert", "post", lambda w: f"/api/v1/variants/{w.published.pk}/revert/", lambda w: {}, Action.PUBLISH, False),
    ("claim next", "post", lambda w: "/api/v1/review-items/claim-next/", lambda w: {}, Action.REVIEW, False),
    ("decide", "post", lambda w: f"/api/v1/review-items/{w.item.pk}/decide/", lambda w: {"action": "approve"},
     Action.REVIEW, False),
    ("invite", "post", lambda w: "/api/v1/members/", lambda w: {"email": "new@example.com", "role": "viewer"},
     Action.MANAGE_TEAM, False),
    ("change role", "patch", lambda w: f"/api/v1/members/{w.colleague.pk}/", lambda w: {"role": "editor"},
     Action.MANAGE_TEAM, False),
    ("remove member", "delete", lambda w: f"/api/v1/members/{w.colleague.pk}/", lambda w: None, Action.MANAGE_TEAM,
     False),
    ("create token", "post", lambda w: "/api/v1/tokens/", lambda w: {"name": "script"}, Action.VIEW, False),
]
SUCCESS = {"post": {200, 201, 202}, "put": {200}, "patch": {200}, "delete": {204}}


def _call(client: Any, method: str, path: str, body: Any, multipart: bool) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="multipart" if multipart else "json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", WRITES, ids=[op[0] for op in WRITES])
def test_each_role_may_do_exactly_what_the_table_allows(role: str, op: Op, world: World) -> None:
    name, method, path, body, action, multipart = op
    client = token_client(world.shop, member(world.shop, role))
    response = _call(client, method, path(world), body(world), multipart)
    if role_allows(role, action):
        assert response.status_code in SUCCESS[method], (name, role, response.status_code, response.content)
    else:
        assert response.status_code == 403, (name, role, response.status_code, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 403


@pytest.mark.parametrize("role", ROLES)
def test_any_member_revokes_their_own_token_but_only_owners_see_others(role: str, world: World) -> None:
    user = member(world.shop, role)
    client = token_client(world.shop, user)
    own = ApiToken.objects.get(user=user)
    listed = {row["id"] for row in client.get("/api/v1/tokens/").json()["results"]}
    assert (world.colleague_token_id in listed) == role_allows(role, Action.MANAGE_TEAM)
    assert client.delete(f"/api/v1/tokens/{own.pk}/").status_code == 204
    own.refresh_from_db()
    assert own.revoked_at is not None
    assert client.get("/api/v1/shop/").status_code == 401  # the revoked token no longer opens anything


def test_a_tokens_role_caps_its_users_role(world: World) -> None:
    owner = member(world.shop, "owner")
    viewer_token = token_client(world.shop, owner, role="viewer")
    assert viewer_token.patch("/api/v1/shop/", {"daily_variant_cap": 5}, format="json").status_code == 403
    assert viewer_token.get("/api/v1/shop/").status_code == 200
    # ...and a token cannot mint a stronger one
    response = viewer_token.post("/api/v1/tokens/", {"role": "owner"}, format="json")
    assert response.status_code == 400 and "role" in response.json()["errors"]


def test_a_token_stops_working_when_its_user_leaves_the_shop(world: World) -> None:
    client = token_client(world.shop, world.colleague.user)
    assert client.get("/api/v1/variants/").status_code == 200
    world.colleague.delete()
    assert client.get("/api/v1/variants/").status_code == 403


OTHER_SHOP_PATHS: list[tuple[str, Callable[[World], str], Any]] = [
    ("get", lambda w: f"/api/v1/markets/{w.market.pk}/", None),
    ("patch", lambda w: f"/api/v1/markets/{w.market.pk}/", {"enabled": False}),
    ("delete", lambda w: f"/api/v1/markets/{w.spare_market.pk}/", None),
    ("get", lambda w: f"/api/v1/template-rules/{w.rule.pk}/", None),
    ("delete", lambda w: f"/api/v1/template-rules/{w.rule.pk}/", None),
    ("get", lambda w: f"/api/v1/glossary/{w.entry.pk}/", None),
    ("patch", lambda w: f"/api/v1/glossary/{w.entry.pk}/", {"translation": "x"}),
    ("get", lambda w: f"/api/v1/products/{w.product_id}/", None),
    ("get", lambda w: f"/api/v1/products/{w.product_id}/colourways/", None),
    ("post", lambda w: f"/api/v1/products/{w.product_id}/colourways/", {}),
    ("post", lambda w: f"/api/v1/products/{w.product_id}/swatches/", {"option_value": "Navy", "color": "#1F2A44"}),
    ("get", lambda w: f"/api/v1/variants/{w.failed.pk}/", None),
    ("post", lambda w: f"/api/v1/variants/{w.failed.pk}/retry/", {}),
    ("post", lambda w: f"/api/v1/variants/{w.failed_too.pk}/regenerate/", {}),
    ("post", lambda w: f"/api/v1/variants/{w.approved.pk}/publish/", {}),
    ("post", lambda w: f"/api/v1/variants/{w.published.pk}/revert/", {}),
    ("get", lambda w: f"/api/v1/review-items/{w.item.pk}/", None),
    ("post", lambda w: f"/api/v1/review-items/{w.item.pk}/decide/", {"action": "approve"}),
    ("get", lambda w: f"/api/v1/members/{w.colleague.pk}/", None),
    ("delete", lambda w: f"/api/v1/members/{w.colleague.pk}/", None),
    ("delete", lambda w: f"/api/v1/tokens/{w.colleague_token_id}/", None),
]


@pytest.mark.parametrize("method,path,body", OTHER_SHOP_PATHS,
                         ids=[f"{i}-{m}" for i, (m, _, _) in enumerate(OTHER_SHOP_PATHS)])
def test_another_shops_objects_are_not_found(method: str, path: Callable[[World], str], body: Any, shop: Any,
                                             other_shop: Any) -> None:
    theirs = build_world(other_shop)
    owner = token_client(shop, member(shop, "owner"))
    data = "" if body is None else json.dumps(body)
    response = owner.generic(method.upper(), path(theirs), data=data, content_type="application/json")
    assert response.status_code == 404, (method, path(theirs), response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json"
    theirs.failed.refresh_from_db()
    assert theirs.failed.state == "failed"


def test_lists_never_show_another_shops_rows(shop: Any, other_shop: Any) -> None:
    build_world(other_shop)
    mine = build_world(shop)
    owner = token_client(shop, member(shop, "owner"))
    for path, expected in [("/api/v1/variants/", {mine.failed.pk, mine.failed_too.pk, mine.approved.pk,
                                                   mine.published.pk, mine.in_review.pk}),
                           ("/api/v1/products/", {mine.product_id} | {v.source_image.product_id for v in (
                               mine.failed, mine.failed_too, mine.approved, mine.published, mine.in_review)}),
                           ("/api/v1/glossary/", {mine.entry.pk}),
                           ("/api/v1/template-rules/", {mine.rule.pk})]:
        rows = owner.get(path).json()["results"]
        assert {row["id"] for row in rows} == expected, path
