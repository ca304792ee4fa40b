"""The built-in catalogue and template versioning."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from tests.factories import make_variant
from vitrine.inference.engine import RECIPES
from vitrine.templates import selectors, services
from vitrine.templates.catalogue import BUILTIN
from vitrine.templates.models import VariantTemplate

pytestmark = pytest.mark.django_db


def test_builtin_catalogue_is_loaded_and_covers_what_merchants_need() -> None:
    current = selectors.templates_current()
    slugs = {template.slug for template in current}
    assert {definition.slug for definition in BUILTIN} <= slugs
    assert len(current) >= 12
    sections = Counter(template.section for template in current)
    assert set(sections) >= {"marketplace", "studio", "lifestyle", "on_model", "model_swap", "text"}
    text_locales = {tuple(t.markets) for t in current if t.kind == "text_localize"}
    assert {("zh-CN",), ("en-US",), ("de-DE",), ("ja-JP",), ("fr-FR",), ("es-ES",)} <= text_locales
    people = [t.params for t in current if t.section == "model_swap"]
    for descriptor in ("age", "body_size", "ethnicity"):
        assert len({person[descriptor] for person in people}) >= 4, descriptor


@pytest.mark.parametrize("definition", BUILTIN, ids=lambda d: d.slug)
def test_every_builtin_template_speaks_its_recipes_language(definition) -> None:
    values, warnings = RECIPES[definition.kind].parameters.resolve(
        definition.params, mode=definition.params.get("mode") or definition.params.get("erase")
    )
    assert warnings == []
    assert set(definition.params) <= set(values)
    assert definition.alt_text["en"].format(title="Mug")
    assert definition.title and len(definition.description) > 40


def test_catalogue_sync_is_idempotent() -> None:
    result = services.catalogue_sync()
    assert result.created == [] and result.revised == []
    assert result.unchanged == len(BUILTIN)
    assert VariantTemplate.objects.filter(shop__isnull=True).count() == len(BUILTIN)


def test_a_template_without_variants_is_revised_in_place() -> None:
    template = selectors.template_current("studio-sweep-warm")
    revised = services.template_revise(template_id=template.pk, changes={"title": "Warm sand"})
    assert (revised.pk, revised.version, revised.title) == (template.pk, 1, "Warm sand")


def test_a_template_that_produced_variants_gets_a_new_version(shop) -> None:
    template = selectors.template_current("studio-sweep-warm")
    variant = make_variant(shop, template_slug=template.slug)
    assert variant.template_version == template.version == 1
    revised = services.template_revise(
        template_id=template.pk, changes={"params": {**template.params, "color": "#EEE0CC"}}
    )
    assert revised.pk != template.pk and revised.version == 2
    template.refresh_from_db()
    assert template.params["color"] == "#F3E9DC"  # the version the variant used stays as it was
    assert selectors.template_current("studio-sweep-warm") == revised
    assert selectors.template_version(variant.template_slug, variant.template_version) == template
    with pytest.raises(services.TemplateInvalid, match="not the newest version"):
        services.template_revise(template_id=template.pk, changes={"title": "stale edit"})


def test_syncing_a_changed_catalogue_versions_used_templates_only(shop) -> None:
    make_variant(shop, template_slug="studio-sweep-light")
    changed = [
        definition for definition in BUILTIN if definition.slug in ("studio-sweep-light", "studio-sweep-warm")
    ]
    edited = [type(d)(**{**d.__dict__, "title": d.title + " (new)"}) for d in changed]
    result = services.catalogue_sync(definitions=edited)
    assert sorted(result.revised) == ["studio-sweep-light", "studio-sweep-warm"]
    assert selectors.template_current("studio-sweep-light").version == 2
    assert selectors.template_current("studio-sweep-warm").version == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"params": {"mode": "studio", "colour": "#FFF"}}, "has no parameter 'colour'"),
        ({"params": {"mode": "sepia"}}, "must be one of"),
        ({"fidelity_thresholds": {"ssim_pass": 0.5, "ssim_fail": 0.7}}, "ideal > pass > fail"),
        ({"fidelity_thresholds": {"sharpness": 1.0}}, "unknown fidelity threshold"),
        ({"alt_text": {"en": "{name} on white"}}, "only use the placeholder"),
        ({"markets": ["Germany"]}, "not a locale"),
    ],
)
def test_invalid_revisions_are_refused_with_the_reason(changes, message) -> None:
    template = selectors.template_current("studio-sweep-light")
    with pytest.raises(services.TemplateInvalid, match=message):
        services.template_revise(template_id=template.pk, changes=changes)


def test_a_shops_own_template_is_seen_by_that_shop_only(shop) -> None:
    from vitrine.platform.models import Shop

    other = Shop.objects.create(provider="csvfile", external_id="other", name="Other")
    own = services.template_create(
        slug="acme-mint",
        kind="background",
        title="Mint",
        description="Mint backdrop",
        params={"mode": "solid", "color": "#CFEDE1"},
        shop=shop,
    )
    assert selectors.template_current("acme-mint", shop=shop) == own
    assert selectors.template_current("acme-mint", shop=other) is None
    with pytest.raises(services.RuleInvalid, match="no live template 'acme-mint'"):
        services.rule_set(shop=other, template_slug="acme-mint")


def test_admin_edit_of_a_used_version_saves_a_new_version(shop, admin_client) -> None:
    template = selectors.template_current("studio-gradient-charcoal")
    make_variant(shop, template_slug=template.slug)
    url = reverse("admin:templates_varianttemplate_change", args=[template.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data.update(title="Charcoal spotlight", shop="", archived="")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert selectors.template_current("studio-gradient-charcoal").version == 2
    template.refresh_from_db()
    assert template.title == "Charcoal spotlight gradient"


def test_an_archived_template_is_not_planned_and_stays_archived_through_a_sync(shop) -> None:
    services.template_archive(slug="studio-sweep-warm")
    assert selectors.template_current("studio-sweep-warm") is None
    with pytest.raises(services.RuleInvalid, match="no live template"):
        services.rule_set(shop=shop, template_slug="studio-sweep-warm")
    (definition,) = [d for d in BUILTIN if d.slug == "studio-sweep-warm"]
    services.catalogue_sync(definitions=[type(definition)(**{**definition.__dict__, "title": "Sand"})])
    newest = VariantTemplate.objects.filter(slug="studio-sweep-warm").order_by("-version").first()
    assert (newest.title, newest.archived) == ("Sand", True)
