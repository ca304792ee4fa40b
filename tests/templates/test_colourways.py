"""Colourways from variant options: one requested colourway per missing colour with a confirmed swatch."""

from __future__ import annotations

import pytest

from tests.factories import make_source_image
from vitrine.platform.models import Event, Variant
from vitrine.templates import colourways
from vitrine.templates.catalogue import COLOURWAYS_FROM_OPTIONS
from vitrine.templates.models import ColourSwatch
from vitrine.templates.selectors import template_current
from vitrine.templates.services import template_revise


@pytest.fixture
def product(shop):  # type: ignore[no-untyped-def]
    image = make_source_image(shop, external_id="tee", remote_id="tee-1")
    image.alt = "Classic tee in red"
    image.save(update_fields=["alt"])
    product = image.product
    product.options = [{"name": "Size", "values": ["S", "M"]}, {"name": "Colour", "values": ["Red", "Navy", "藏青色"]}]
    product.save(update_fields=["options"])
    return product


def test_colour_values_and_which_are_photographed(product) -> None:  # type: ignore[no-untyped-def]
    values = colourways.colour_values(product)
    assert values == ["Red", "Navy", "藏青色"]
    assert colourways.photographed_colours(product, values) == {"Red"}
    assert colourways.swatch_suggest("Navy") == "#1F2A44"
    assert colourways.swatch_suggest("藏青色") == "#1F2A44"
    assert colourways.swatch_suggest("Heather navy") == "#1F2A44"
    assert colourways.swatch_suggest("Unicorn") is None


def test_plan_waits_for_confirmed_swatches_then_makes_one_variant_per_colour(shop, product) -> None:  # type: ignore[no-untyped-def]
    thresholds = {"delta_e_p95_pass": 2.5}
    template = template_current(COLOURWAYS_FROM_OPTIONS)
    template_revise(template_id=template.pk, changes={"fidelity_thresholds": thresholds})
    first = colourways.colourways_plan(product_id=product.pk, actor="merchant")
    assert first.created == [] and first.waiting_for_swatch == ["Navy", "藏青色"]

    colourways.swatch_confirm(product_id=product.pk, option_value="Navy", color="#1f2a44", actor="merchant")
    colourways.swatch_confirm(product_id=product.pk, option_value="藏青色", color="#202C48", actor="merchant")
    second = colourways.colourways_plan(product_id=product.pk, actor="merchant")
    assert len(second.created) == 2 and second.waiting_for_swatch == []
    variants = Variant.objects.filter(pk__in=second.created).order_by("pk")
    assert [(v.kind, v.slot, v.params["target"]) for v in variants] == [
        ("colourway", "colour:Navy", "#1F2A44"),
        ("colourway", "colour:藏青色", "#202C48"),
    ]
    assert {v.template_slug for v in variants} == {COLOURWAYS_FROM_OPTIONS}
    assert [v.fidelity_thresholds for v in variants] == [thresholds] * 2  # the template's, as planned
    assert Event.objects.filter(type="variant.requested").count() >= 2
    # Planning again finds them: one live variant per photo, template version, market and colour.
    again = colourways.colourways_plan(product_id=product.pk, actor="merchant")
    assert again.created == [] and again.existing == 2


def test_bad_swatches_and_products_without_colours_are_refused(shop, product) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(colourways.ColourwayError, match="not one of this product's colours"):
        colourways.swatch_confirm(product_id=product.pk, option_value="Green", color="#00FF00", actor="m")
    with pytest.raises(colourways.ColourwayError, match="is not a colour"):
        colourways.swatch_confirm(product_id=product.pk, option_value="Navy", color="navy", actor="m")
    assert not ColourSwatch.objects.exists()
    plain = make_source_image(shop, external_id="mug", remote_id="mug-1").product
    with pytest.raises(colourways.ColourwayError, match="has no colour option"):
        colourways.colourways_plan(product_id=plain.pk, actor="m")


def test_a_variant_request_refuses_the_per_colour_template_with_the_way_to_plan_it(shop, product) -> None:  # type: ignore[no-untyped-def]
    from vitrine.templates.planner import RequestInvalid, variants_request

    with pytest.raises(RequestInvalid, match="request those from the product's colourways") as refused:
        variants_request(shop=shop, product_ids=[product.pk], template_slugs=[COLOURWAYS_FROM_OPTIONS],
                         market_ids=[shop.markets.first().pk], actor="merchant")
    assert set(refused.value.errors) == {"template_slugs"}
    assert not Variant.objects.filter(kind="colourway").exists()
