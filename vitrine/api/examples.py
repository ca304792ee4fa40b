"""Examples of API v1 bodies: what the OpenAPI document shows next to each operation."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

_T = "2026-11-30T09:15:00Z"


def _request(name: str, value: object) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def _response(name: str, value: object, codes: tuple[str, ...] = ("200", "201", "202")) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=list(codes))


_MARKET = {"id": 3, "locale": "de-DE", "region": "DE", "name": "Germany", "enabled": True, "language": "de"}
MARKET = _response("a market", _MARKET)
MARKET_IN = _request("add Germany", {"locale": "de-DE", "name": "Germany"})
MARKET_PATCH = _request("disable", {"enabled": False})

SHOP = _response("settings", {
    "id": 1, "name": "Acme", "provider": "shopify", "external_id": "acme.myshopify.com", "installed": True,
    "markets": [_MARKET], "review_mode": "auto_publish_pass", "auto_publish_min_score": 0.92,
    "daily_variant_cap": 500, "auto_generate": True, "publish_mode": "add", "publish_on_approve": True,
})
SHOP_PATCH = _request("auto-publish passing variants", {"review_mode": "auto_publish_pass",
                                                         "auto_publish_min_score": 0.92, "daily_variant_cap": 300})

TEMPLATE = _response("a template", {
    "slug": "studio-sweep-light", "version": 2, "kind": "background", "section": "studio",
    "title": {"en": "Studio sweep, light grey", "zh": "影棚无缝背景，浅灰"},  # noqa: RUF001
    "description": {"en": "A seamless light-grey paper sweep with a soft contact shadow, as in a product studio.",
                    "zh": "浅灰色无缝背景纸，带柔和的接触阴影，如同产品摄影棚。"},  # noqa: RUF001
    "markets": [], "product_types": [], "alt_text": {"en": "{title}, studio photo"}, "own": False,
    "versions": [{"version": 2, "archived": False, "created_at": _T}, {"version": 1, "archived": False,
                                                                        "created_at": _T}],
    "previews": [{"variant_id": 42, "market": "de-DE", "state": "published",
                  "before_url": "/api/v1/files/" + "a" * 64 + "/", "after_url": "/api/v1/files/" + "b" * 64 + "/"}],
})

_RULE = {"id": 7, "template_slug": "studio-sweep-light", "market_ids": [3], "product_types": ["Shoes"],
         "tags": ["summer"], "vendors": [], "enabled": True, "created_at": _T}
RULE = _response("a rule", _RULE)
RULE_IN = _request("studio backgrounds for shoes in Germany", {
    "template_slug": "studio-sweep-light", "market_ids": [3], "product_types": ["Shoes"], "tags": ["summer"]})
RULE_PATCH = _request("pause", {"enabled": False})

_GLOSSARY = {"id": 11, "source_text": "Organic cotton", "locale": "de", "translation": "Bio-Baumwolle",
             "updated_at": _T}
GLOSSARY = _response("an entry", _GLOSSARY)
GLOSSARY_IN = _request("a phrase", {"source_text": "Organic cotton", "locale": "de", "translation": "Bio-Baumwolle"})
GLOSSARY_PATCH = _request("fix the translation", {"translation": "Bio-Baumwolle (GOTS)"})
GLOSSARY_IMPORTED = _response("imported", {"created": 12, "updated": 3,
                                           "errors": ["line 9: a glossary entry needs both the phrase and its "
                                                      "translation"]}, ("200",))
GLOSSARY_CSV = OpenApiExample("csv", value="source_text,locale,translation\nOrganic cotton,de,Bio-Baumwolle\n",
                              response_only=True, media_type="text/csv", status_codes=["200"])

_VARIANT = {
    "id": 42, "product_id": 5, "source_image_id": 9, "market_id": 3, "market": "de-DE", "kind": "background",
    "template_slug": "studio-sweep-light", "template_version": 2, "state": "in_review", "failure_reason": "",
    "fidelity_verdict": "pass", "fidelity_score": 0.97, "alt_text": "Sneaker, Studioaufnahme",
    "source_url": "/api/v1/files/" + "a" * 64 + "/", "output_url": "/api/v1/files/" + "b" * 64 + "/",
    "supersedes_id": None, "published_at": None, "created_at": _T, "updated_at": _T,
}
VARIANT = _response("a variant", _VARIANT)
VARIANT_ACCEPTED = _response("accepted", {**_VARIANT, "state": "publishing"}, ("202",))
VARIANT_REQUEST = _request("two products, one template, two markets",
                           {"product_ids": [5, 6], "template_slugs": ["studio-sweep-light"], "market_ids": [3, 4]})
VARIANT_REQUESTED = _response("planned", {"created": [42, 43, 44, 45], "deferred": 0, "existing": 0,
                                          "skipped": []}, ("202",))

_PRODUCT = {"id": 5, "external_id": "gid://shopify/Product/1001", "handle": "sneaker", "title": "Sneaker",
            "product_type": "Shoes", "vendor": "Acme", "tags": ["summer"], "status": "active", "image_count": 1,
            "synced_at": _T}
PRODUCT = _response("a product", _PRODUCT)
PRODUCT_DETAIL = _response("a product with images", {**_PRODUCT, "images": [{
    "id": 9, "position": 1, "alt": "Sneaker", "width": 1200, "height": 1200,
    "url": "/api/v1/files/" + "a" * 64 + "/", "variants": {"de-DE": [_VARIANT]}}]})

COLOURWAYS = _response("three colours", {"product_id": 5, "colours": [
    {"option_value": "Red", "photographed": True, "swatch": None, "suggested_swatch": "#B22234",
     "variant": None},
    {"option_value": "Navy", "photographed": False, "swatch": "#1F2A44", "suggested_swatch": None,
     "variant": {**_VARIANT, "id": 46, "kind": "colourway", "template_slug": "colourways-from-options",
                 "template_version": 1, "alt_text": "Sneaker, Navy"}},
    {"option_value": "Sand", "photographed": False, "swatch": None, "suggested_swatch": None,
     "variant": None}]}, ("200",))
SWATCH_IN = _request("confirm navy", {"option_value": "Navy", "color": "#1F2A44"})
SWATCH = _response("a confirmed swatch", {"option_value": "Navy", "color": "#1F2A44", "confirmed_at": _T}, ("200",))
COLOURWAYS_IN = _request("for Germany", {"market_id": 3})
COLOURWAYS_PLANNED = _response("planned", {"created": [46], "waiting_for_swatch": ["Sand"], "existing": 0},
                               ("202",))

_ITEM = {"id": 17, "state": "claimed", "priority": 0, "due_at": _T, "claimed_by": "reviewer@acme.example",
         "claimed_at": _T, "claim_expires_at": _T, "decided_at": None, "variant": _VARIANT}
REVIEW_ITEM = _response("an item", _ITEM)
CLAIM_FILTERS = _request("German market only", {"market_id": 3})
DECISION_IN = _request("approve", {"action": "approve"})
DECISION = _response("a decision", {"id": 8, "item_id": 17, "variant_id": 42, "action": "approve",
                                    "reason_code": "", "note": "", "seconds_spent": 6.5, "created_at": _T})

EVENT = _response("a failure", {"id": 301, "type": "variant.failed", "created_at": _T, "variant_id": 44,
                                "payload": {"variant_id": 44, "reason": "The text could not be read back."},
                                "fix": {"action": "retry", "method": "POST", "href": "/api/v1/variants/44/retry/"}})
FAILURE = _response("a failed variant", {
    "id": 44, "product_id": 6, "product_title": "Tote bag", "market": "fr-FR", "template_slug": "text-fr-fr",
    "failure_reason": "The text could not be read back.", "updated_at": _T,
    "fix": {"action": "retry", "method": "POST", "href": "/api/v1/variants/44/retry/"},
    "alternatives": [{"action": "regenerate", "method": "POST", "href": "/api/v1/variants/44/regenerate/"}]})
USAGE = _response("two weeks", {"daily_variant_cap": 500, "today": 120, "remaining_today": 380, "deferred": 0,
                                "days": [{"date": "2026-11-30", "total": 120, "by_market": {"de-DE": 80,
                                                                                             "fr-FR": 40}}]})

_MEMBER = {"id": 2, "user": {"id": 5, "username": "reviewer@acme.example", "email": "reviewer@acme.example"},
           "role": "reviewer"}
MEMBERSHIP = _response("a member", _MEMBER)
INVITE = _request("invite a reviewer", {"email": "reviewer@acme.example", "role": "reviewer"})
ROLE_PATCH = _request("make editor", {"role": "editor"})

_TOKEN = {"id": 4, "name": "ERP sync", "prefix": "vit_3Jx9Qa2b", "role": "editor", "user": "owner@acme.example",
          "created_at": _T, "last_used_at": None, "revoked_at": None}
TOKEN = _response("a token", _TOKEN)
TOKEN_IN = _request("an editor token", {"name": "ERP sync", "role": "editor"})
TOKEN_CREATED = _response("created", {**_TOKEN, "token": "vit_3Jx9Qa2bN0tARealTokenJustAnExample0000000"},
                          ("201",))
FILE = OpenApiExample("png", value="(PNG bytes)", response_only=True, media_type="image/png", status_codes=["200"])
