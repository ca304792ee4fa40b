"""A product's colourways through API v1: the overview, confirming swatches, making colourways, and the errors
the merchant can act on (a field at fault: 400; a product not ready for colourways: 409)."""

from __future__ import annotations

import pytest

from tests.api.conftest import World
from tests.factories import make_source_image
from vitrine.platform.models import Market, Shop, Variant
from vitrine.templates.catalogue import COLOURWAYS_FROM_OPTIONS
from vitrine.templates.models import ColourSwatch

pytestmark = pytest.mark.django_db


def _url(world: World, tail: str = "colourways") -> str:
    return f"/api/v1/products/{world.product_id}/{tail}/"


def test_overview_confirm_then_make_one_colourway_per_missing_colour(api_as, world: World) -> None:
    viewer, editor = api_as("viewer"), api_as("editor")
    overview = viewer.get(_url(world))
    assert overview.status_code == 200
    assert overview.json() == {"product_id": world.product_id, "colours": [
        {"option_value": "Black", "photographed": True, "swatch": None, "suggested_swatch": "#111111",
         "variant": None},
        {"option_value": "Navy", "photographed": False, "swatch": None, "suggested_swatch": "#1F2A44",
         "variant": None},
    ]}
    waiting = editor.post(_url(world), {}, format="json")
    assert waiting.status_code == 202
    assert waiting.json() == {"created": [], "waiting_for_swatch": ["Navy"], "existing": 0}

    confirmed = editor.post(_url(world, "swatches"), {"option_value": "Navy", "color": "#1f2a44"}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["color"] == "#1F2A44" and confirmed.json()["option_value"] == "Navy"
    made = editor.post(_url(world), {"market_id": world.market.pk}, format="json")
    assert made.status_code == 202
    body = made.json()
    assert len(body["created"]) == 1 and body["waiting_for_swatch"] == [] and body["existing"] == 0
    variant = Variant.objects.get(pk=body["created"][0])
    assert (variant.kind, variant.slot, variant.params["target"], variant.market_id) == (
        "colourway", "colour:Navy", "#1F2A44", world.market.pk)
    assert variant.template_slug == COLOURWAYS_FROM_OPTIONS

    navy = viewer.get(_url(world)).json()["colours"][1]
    assert (navy["swatch"], navy["suggested_swatch"]) == ("#1F2A44", None)
    assert navy["variant"]["id"] == variant.pk and navy["variant"]["state"] == "requested"
    assert navy["variant"]["kind"] == "colourway" and navy["variant"]["market"] == world.market.locale
    again = editor.post(_url(world), {"market_id": world.market.pk}, format="json").json()
    assert again == {"created": [], "waiting_for_swatch": [], "existing": 1}


def test_bad_swatches_name_the_field_at_fault(api_as, world: World) -> None:
    editor = api_as("editor")
    unknown = editor.post(_url(world, "swatches"), {"option_value": "Green", "color": "#00FF00"}, format="json")
    assert unknown.status_code == 400 and unknown["Content-Type"] == "application/problem+json"
    assert "not one of this product's colours (Black, Navy)" in unknown.json()["errors"]["option_value"][0]
    bad = editor.post(_url(world, "swatches"), {"option_value": "Navy", "color": "navy"}, format="json")
    assert bad.status_code == 400 and "is not a colour" in bad.json()["errors"]["color"][0]
    wrong_type = editor.post(_url(world, "swatches"), {"option_value": "Navy", "color": 1}, format="json")
    assert wrong_type.status_code == 400 and "color" in wrong_type.json()["errors"]
    missing = editor.post(_url(world, "swatches"), {"color": "#000000"}, format="json")
    assert missing.status_code == 400 and "option_value" in missing.json()["errors"]
    assert not ColourSwatch.objects.exists()


def test_a_product_not_ready_for_colourways_is_a_conflict(api_as, world: World, other_shop: Shop) -> None:
    editor = api_as("editor")
    plain = make_source_image(world.shop, external_id="mug", remote_id="mug-1", seed=41).product
    assert editor.get(f"/api/v1/products/{plain.pk}/colourways/").json() == {"product_id": plain.pk,
                                                                             "colours": []}
    refused = editor.post(f"/api/v1/products/{plain.pk}/colourways/", {}, format="json")
    assert refused.status_code == 409 and "has no colour option" in refused.json()["detail"]
    theirs = Market.objects.get(shop=other_shop)
    elsewhere = editor.post(_url(world), {"market_id": theirs.pk}, format="json")
    assert elsewhere.status_code == 400 and "not an enabled market" in elsewhere.json()["errors"]["market_id"][0]
    assert editor.post(_url(world), {"market_id": "3"}, format="json").status_code == 400


def test_viewers_read_colourways_but_change_nothing(api_as, world: World) -> None:
    viewer = api_as("viewer")
    assert viewer.get(_url(world)).status_code == 200
    assert viewer.post(_url(world, "swatches"), {"option_value": "Navy", "color": "#1F2A44"},
                       format="json").status_code == 403
    assert viewer.post(_url(world), {}, format="json").status_code == 403
    assert not ColourSwatch.objects.exists() and not Variant.objects.filter(kind="colourway").exists()


def test_making_colourways_is_idempotent_by_key(api_as, world: World) -> None:
    editor = api_as("editor")
    editor.post(_url(world, "swatches"), {"option_value": "Navy", "color": "#1F2A44"}, format="json")
    first = editor.post(_url(world), {}, format="json", HTTP_IDEMPOTENCY_KEY="colourways-1")
    repeat = editor.post(_url(world), {}, format="json", HTTP_IDEMPOTENCY_KEY="colourways-1")
    assert repeat.status_code == 202 and repeat["Idempotent-Replayed"] == "true"
    assert repeat.json() == first.json() and len(first.json()["created"]) == 1
    assert Variant.objects.filter(kind="colourway").count() == 1
