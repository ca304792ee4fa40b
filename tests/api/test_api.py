"""API v1 mechanics: problem+json errors, Idempotency-Key, personal tokens, Shopify session tokens, the
OpenAPI document and its readers, throttling, and the resources' own rules."""

from __future__ import annotations

import hashlib
import io
import time
import uuid

import jwt
import pytest
from django.core.management import call_command
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.api.conftest import World, member, token_client
from vitrine.api.models import ApiToken
from vitrine.platform.models import Market, Shop, ShopMembership, Variant

pytestmark = pytest.mark.django_db
WRITE_METHODS = {"post", "put", "patch", "delete"}


# --- errors ----------------------------------------------------------------------------------------
def test_validation_errors_are_problem_json_with_field_errors(api_as) -> None:
    response = api_as("owner").post("/api/v1/markets/", {"locale": "not a tag", "region": "Germany"}, format="json")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["type"].startswith("https://") and body["title"] == "Invalid request"
    assert "BCP 47" in body["errors"]["locale"][0] and "region" in body["errors"]


def test_a_market_locale_is_normalised_and_unique(api_as, shop: Shop) -> None:
    api = api_as("owner")
    created = api.post("/api/v1/markets/", {"locale": "ZH-hans-cn"}, format="json").json()
    assert (created["locale"], created["region"], created["language"]) == ("zh-Hans-CN", "CN", "zh")
    twice = api.post("/api/v1/markets/", {"locale": "DE-de"}, format="json")
    assert twice.status_code == 400 and "already" in twice.json()["errors"]["locale"][0]


def test_a_market_with_variants_cannot_be_deleted_only_disabled(api_as, world: World) -> None:
    api = api_as("owner")
    used = world.failed.market_id
    response = api.delete(f"/api/v1/markets/{used}/")
    assert response.status_code == 409 and "disable" in response.json()["detail"]
    changed = api.patch(f"/api/v1/markets/{used}/", {"enabled": False}, format="json")
    assert changed.json()["enabled"] is False


def test_illegal_moves_are_conflicts_that_name_the_state(api_as, world: World) -> None:
    response = api_as("owner").post(f"/api/v1/variants/{world.approved.pk}/retry/", format="json")
    assert response.status_code == 409 and "approved" in response.json()["detail"]


def test_unauthenticated_is_401_with_a_bearer_challenge(db) -> None:
    response = APIClient().get("/api/v1/variants/")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    response = APIClient(HTTP_AUTHORIZATION="Bearer vit_forged").get("/api/v1/variants/")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"


# --- idempotency -----------------------------------------------------------------------------------
def test_a_repeated_idempotency_key_returns_the_first_answer_and_does_nothing_twice(api_as, world: World) -> None:
    api = api_as("editor")
    body = {"product_ids": [world.product_id], "template_slugs": ["studio-sweep-light"],
            "market_ids": [world.market.pk]}
    first = api.post("/api/v1/variants/request/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    count = Variant.objects.filter(shop=world.shop).count()
    second = api.post("/api/v1/variants/request/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json() and len(first.json()["created"]) == 1
    assert second["Idempotent-Replayed"] == "true"
    assert Variant.objects.filter(shop=world.shop).count() == count
    other = api.post("/api/v1/variants/request/", {**body, "market_ids": [world.spare_market.pk]}, format="json",
                     HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409 and "different request" in other.json()["detail"]


def test_a_retry_after_a_failed_attempt_with_the_same_key_runs_again(api_as, world: World) -> None:
    api = api_as("owner")
    failed = api.post("/api/v1/markets/", {"locale": "??"}, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert failed.status_code == 400
    retry = api.post("/api/v1/markets/", {"locale": "??"}, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert retry.status_code == 400  # not a replayed 409: failures are not kept
    ok = api.post("/api/v1/markets/", {"locale": "it-IT"}, format="json", HTTP_IDEMPOTENCY_KEY="m-2")
    again = api.post("/api/v1/markets/", {"locale": "it-IT"}, format="json", HTTP_IDEMPOTENCY_KEY="m-2")
    assert ok.status_code == again.status_code == 201 and again.json()["id"] == ok.json()["id"]
    assert Market.objects.filter(shop=world.shop, locale="it-IT").count() == 1


def test_idempotency_keys_are_per_caller(world: World) -> None:
    body = {"email": "x@example.com", "role": "viewer"}
    one = token_client(world.shop, member(world.shop, "owner", "o1"))
    two = token_client(world.shop, member(world.shop, "owner", "o2"))
    assert one.post("/api/v1/members/", body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    # the same key from someone else is their own first request (here refused: already a member)
    assert two.post("/api/v1/members/", body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 400


# --- tokens ----------------------------------------------------------------------------------------
def test_manage_py_api_token_prints_the_token_once_and_stores_only_its_digest(shop: Shop) -> None:
    user = member(shop, "editor")
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", shop=shop.external_id, user=user.username, role="reviewer", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=user)
    assert raw.startswith("vit_") and raw not in err.getvalue()
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest() and raw not in (token.prefix, token.digest)
    assert raw.startswith(token.prefix) and token.role == "reviewer" and token.last_used_at is None
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/shop/").json()["external_id"] == shop.external_id
    token.refresh_from_db()
    assert token.last_used_at is not None
    with pytest.raises(Exception, match="more rights"):
        call_command("api_token", shop=str(shop.pk), user=user.email, role="owner", stdout=io.StringIO())


def test_a_token_created_through_the_api_is_shown_once(api_as) -> None:
    api = api_as("editor")
    created = api.post("/api/v1/tokens/", {"name": "ERP", "role": "viewer"}, format="json").json()
    assert created["token"].startswith(created["prefix"]) and created["role"] == "viewer"
    listed = api.get(f"/api/v1/tokens/{created['id']}/").json()
    assert "token" not in listed and listed["prefix"] == created["prefix"]


# --- Shopify session tokens -------------------------------------------------------------------------
CLIENT_ID, CLIENT_SECRET = "api-test-client-id", "shpss_api_test_secret_0123456789abcdef"
WRONG_SECRET = "shpss_not_the_app_secret_0123456789abcdef"


def session_token(domain: str, *, secret: str = CLIENT_SECRET, sub: str = "77") -> str:
    now = int(time.time())
    claims = {"iss": f"https://{domain}/admin", "dest": f"https://{domain}", "aud": CLIENT_ID, "sub": sub,
              "exp": now + 60, "nbf": now, "iat": now, "jti": str(uuid.uuid4()), "sid": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm="HS256")


def test_shopify_session_tokens_authenticate_the_embedded_app(settings, db) -> None:
    settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET = CLIENT_ID, CLIENT_SECRET
    domain = "acme-store.myshopify.com"
    shop = Shop.objects.create(provider="shopify", external_id=domain, installed_at=timezone.now())
    response = APIClient().get("/api/v1/shop/", HTTP_AUTHORIZATION=f"Bearer {session_token(domain)}")
    assert response.status_code == 200 and response.json()["external_id"] == domain
    membership = ShopMembership.objects.get(shop=shop)  # the first staff member became the owner
    assert membership.role == "owner"
    forged = APIClient().get("/api/v1/shop/",
                             HTTP_AUTHORIZATION=f"Bearer {session_token(domain, secret=WRONG_SECRET)}")
    assert forged.status_code == 401 and forged["Content-Type"] == "application/problem+json"
    unknown = APIClient().get("/api/v1/shop/", HTTP_AUTHORIZATION=f"Bearer {session_token('nope.myshopify.com')}")
    assert unknown.status_code == 401


# --- sessions --------------------------------------------------------------------------------------
def test_a_console_session_in_several_shops_names_the_shop(shop: Shop, other_shop: Shop) -> None:
    user = member(shop, "owner")
    ShopMembership.objects.create(user=user, shop=other_shop, role="viewer")
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v1/shop/").status_code == 400
    assert client.get("/api/v1/shop/", HTTP_X_SHOP=other_shop.external_id).json()["id"] == other_shop.pk
    assert client.patch("/api/v1/shop/", {"daily_variant_cap": 3}, format="json",
                        HTTP_X_SHOP=str(other_shop.pk)).status_code == 403
    assert client.get("/api/v1/shop/", HTTP_X_SHOP="999999").status_code == 404


# --- settings, templates, glossary, activity -----------------------------------------------------------
def test_review_policy_auto_approves_passing_variants_above_the_score(api_as, shop: Shop) -> None:
    from vitrine.review.scoring import _apply_review_policy
    from vitrine.review.services import review_item_open

    api = api_as("owner")
    body = api.patch("/api/v1/shop/", {"review_mode": "auto_publish_pass", "auto_publish_min_score": 0.9},
                     format="json").json()
    assert (body["review_mode"], body["auto_publish_min_score"]) == ("auto_publish_pass", 0.9)
    assert api.patch("/api/v1/shop/", {"auto_publish_min_score": 2}, format="json").status_code == 400
    from tests.factories import make_variant

    shop.refresh_from_db()
    high, low = make_variant(shop, seed=1), make_variant(shop, seed=2)
    for variant, score in ((high, 0.95), (low, 0.8)):
        Variant.objects.filter(pk=variant.pk).update(state="in_review", fidelity_verdict="pass", fidelity_score=score)
        _apply_review_policy(review_item_open(variant=Variant.objects.get(pk=variant.pk)), verdict="pass",
                             score=score)
    assert Variant.objects.get(pk=high.pk).state == "approved"
    assert Variant.objects.get(pk=low.pk).state == "in_review"


def test_templates_carry_english_and_chinese_text_and_versions(api_as) -> None:
    api = api_as("viewer")
    catalogue = api.get("/api/v1/templates/").json()
    assert len(catalogue) >= 20
    sweep = api.get("/api/v1/templates/studio-sweep-light/").json()
    assert sweep["title"]["en"] == "Studio sweep, light grey" and "影棚" in sweep["title"]["zh"]
    assert sweep["versions"][0]["version"] == sweep["version"]
    assert {t["slug"] for t in api.get("/api/v1/templates/", {"market": "ja-JP"}).json()} >= {"text-ja-jp"}
    assert "text-de-de" not in {t["slug"] for t in api.get("/api/v1/templates/", {"market": "ja-JP"}).json()}
    assert api.get("/api/v1/templates/no-such-template/").status_code == 404


def test_glossary_csv_round_trip_reports_bad_rows(api_as, world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    api = api_as("editor")
    csv_bytes = (b"source_text,locale,translation\nSilk,fr,Soie\nOrganic cotton,de,Bio-Baumwolle (neu)\n"
                 b",de,leer\nWool,not a locale,Laine\n")
    result = api.post("/api/v1/glossary/import/", {"file": SimpleUploadedFile("g.csv", csv_bytes)},
                      format="multipart").json()
    assert (result["created"], result["updated"]) == (1, 1)
    assert [error.split(":")[0] for error in result["errors"]] == ["line 4", "line 5"]
    exported = api.get("/api/v1/glossary/export/")
    assert exported["Content-Type"].startswith("text/csv")
    assert b"Organic cotton,de,Bio-Baumwolle (neu)\n" in exported.content and b"Silk,fr,Soie" in exported.content
    bad = api.post("/api/v1/glossary/import/", {"file": SimpleUploadedFile("g.csv", b"a,b\n1,2\n")},
                   format="multipart")
    assert bad.status_code == 400 and "header" in bad.json()["errors"]["file"][0]


def test_activity_lists_failures_with_the_call_that_fixes_each(api_as, world: World) -> None:
    from vitrine.platform.services import variant_transition

    api = api_as("viewer")
    failures = api.get("/api/v1/activity/failures/").json()["results"]
    assert {row["id"] for row in failures} == {world.failed.pk, world.failed_too.pk}
    assert failures[0]["fix"]["href"] == f"/api/v1/variants/{failures[0]['id']}/retry/"
    assert failures[0]["failure_reason"]
    requested = Variant.objects.create(shop=world.shop, source_image=world.failed.source_image,
                                       market=world.spare_market, kind="background", template_slug="x",
                                       source_sha256="0" * 64, seed=1)
    variant_transition(variant_id=requested.pk, to="failed", actor="system", reason="no model")
    events = api.get("/api/v1/activity/", {"type": "variant.failed"}).json()["results"]
    assert events[0]["variant_id"] == requested.pk and events[0]["fix"]["action"] == "retry"


def test_filters_validate_and_narrow(api_as, world: World) -> None:
    api = api_as("viewer")
    rows = api.get("/api/v1/variants/", {"state": ["failed", "approved"]}).json()["results"]
    assert {row["id"] for row in rows} == {world.failed.pk, world.failed_too.pk, world.approved.pk}
    bad = api.get("/api/v1/variants/", {"state": "nonsense"})
    assert bad.status_code == 400 and "state" in bad.json()["errors"]
    assert api.get("/api/v1/usage/", {"days": 0}).status_code == 400


def test_the_throttle_budget_is_shared_through_redis_and_its_outage_does_not_fail_requests(
    api_as, settings, caplog
) -> None:
    """With the counters in Redis every web process counts against one budget; with Redis down the API still
    answers (unthrottled) instead of failing."""
    from django.core.cache import caches

    from tests.conftest import redis_url

    settings.API_THROTTLE_RATE = "2/min"
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                      "LOCATION": redis_url(), "KEY_PREFIX": settings.CACHES[
                                                          "default"]["KEY_PREFIX"]}}
    api = api_as("viewer")
    assert api.get("/api/v1/shop/").status_code == 200
    first = caches["default"]
    settings.CACHES = {**settings.CACHES}  # the cache handler starts afresh, as in another process
    assert caches["default"] is not first
    assert [api.get("/api/v1/shop/").status_code for _ in range(2)] == [200, 429]
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"],
                                                      "LOCATION": "redis://127.0.0.1:1/0"}}
    with caplog.at_level("WARNING", logger="vitrine.api.base"):
        assert [api.get("/api/v1/shop/").status_code for _ in range(3)] == [200, 200, 200]
    assert "its cache is unreachable" in caplog.text


def test_throttled_per_token(api_as, shop: Shop, settings) -> None:
    settings.API_THROTTLE_RATE = "3/min"
    api = api_as("viewer")
    codes = [api.get("/api/v1/shop/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get("/api/v1/shop/")
    assert response["Content-Type"] == "application/problem+json" and int(response["Retry-After"]) > 0
    other = token_client(shop, member(shop, "viewer", "second-viewer"))
    assert other.get("/api/v1/shop/").status_code == 200  # another token has its own budget


# --- the OpenAPI document ---------------------------------------------------------------------------
def test_the_schema_is_valid_openapi_with_enough_operations_each_summarised_with_an_example(db) -> None:
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = response.json()
    validate_schema(document)
    assert document["openapi"].startswith("3.")
    operations = [(method, path, op) for path, item in document["paths"].items()
                  for method, op in item.items() if method in {"get", *WRITE_METHODS}]
    assert len(operations) >= 30
    assert sum(1 for method, _, _ in operations if method in WRITE_METHODS) >= 12
    for method, path, op in operations:
        assert op.get("summary"), (method, path)
        bodies = [*op.get("requestBody", {}).get("content", {}).values(),
                  *(c for r in op["responses"].values() for c in r.get("content", {}).values())]
        assert any(body.get("examples") for body in bodies), (method, path)
        if method == "post":
            assert "Idempotency-Key" in {p["name"] for p in op.get("parameters", [])}, path


def test_swagger_ui_and_redoc_load_nothing_from_a_cdn(db) -> None:
    for path in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = APIClient().get(path).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page




def test_old_idempotency_keys_are_purged_by_the_daily_task(api_as, world: World, settings) -> None:
    from datetime import timedelta

    from vitrine.api.models import IdempotentRequest
    from vitrine.api.tasks import purge_idempotency_keys
    from vitrine.platform.celery import app

    api = api_as("owner")
    api.post("/api/v1/markets/", {"locale": "it-IT"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    api.post("/api/v1/markets/", {"locale": "es-ES"}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotentRequest.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=8))
    assert app.conf.beat_schedule["api-purge-idempotency-keys"]["task"] in app.tasks
    assert purge_idempotency_keys() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


def test_regenerate_replaces_a_variant_in_review_and_takes_it_out_of_the_queue(api_as, world: World) -> None:
    from vitrine.review.models import ReviewItem

    api = api_as("editor")
    response = api.post(f"/api/v1/variants/{world.in_review.pk}/regenerate/",
                        {"reason": "too dark", "params_adjust": {"steps": 40}}, format="json")
    assert response.status_code == 202, response.content
    replacement = Variant.objects.get(pk=response.json()["id"])
    assert (replacement.state, replacement.supersedes_id) == ("requested", world.in_review.pk)
    assert replacement.seed != world.in_review.seed and replacement.params["steps"] == 40
    assert Variant.objects.get(pk=world.in_review.pk).state == "superseded"
    assert ReviewItem.objects.get(pk=world.item.pk).state == ReviewItem.State.DECIDED
    assert api.get("/api/v1/review-items/").json()["results"] == []
    refused = api.post(f"/api/v1/variants/{world.published.pk}/regenerate/", {}, format="json")
    assert refused.status_code == 409 and "revert it" in refused.json()["detail"]


def test_a_merchant_regenerate_takes_generation_parameters_only(api_as, world: World) -> None:
    """The same rule as a reviewer's regenerate: the fidelity gate is not a generation parameter."""
    api = api_as("editor")
    for params_adjust, message in (
        ({"fidelity_thresholds": {"hard_floor": 0.0}}, "fidelity thresholds are not a generation parameter"),
        ({"hard_floor": 0.0}, "has no parameter 'hard_floor'"),
    ):
        refused = api.post(f"/api/v1/variants/{world.in_review.pk}/regenerate/",
                           {"params_adjust": params_adjust}, format="json")
        assert refused.status_code == 400 and message in str(refused.json()), refused.content
    assert Variant.objects.get(pk=world.in_review.pk).state == "in_review"
    assert not Variant.objects.filter(supersedes=world.in_review).exists()
