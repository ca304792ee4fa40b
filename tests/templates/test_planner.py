"""The planner: idempotent plans, supersede on new bytes, caps and deferral, glossary and alt text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import png_bytes
from vitrine.connectors.base import RemoteImage, RemoteProduct
from vitrine.inference.engine import derive_seed
from vitrine.platform import events
from vitrine.platform.catalog import product_upsert
from vitrine.platform.celery import app as celery_app
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Variant, VariantTransition
from vitrine.platform.services import event_deliver, variant_transition
from vitrine.templates import planner, selectors, services, tasks
from vitrine.templates.models import DeferredPlan

pytestmark = pytest.mark.django_db


def _synced_event(product) -> Event:
    return Event.objects.filter(type=events.CATALOG_PRODUCT_SYNCED, payload__product_id=product.pk).latest(
        "pk"
    )


def _requested_events() -> list[int]:
    return sorted(e.payload["variant_id"] for e in Event.objects.filter(type=events.VARIANT_REQUESTED))


def test_a_synced_product_is_planned_once_however_often_the_event_arrives(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    product = store.product("mug", images=2)
    event = _synced_event(product)
    event_deliver(event_id=event.pk)
    event_deliver(event_id=event.pk)  # redelivered: the handler has run already
    Event.objects.filter(pk=event.pk).update(delivered_at=None)
    event_deliver(event_id=event.pk)  # the relay sends it again after a crash
    variants = Variant.objects.filter(source_image__product=product)
    assert variants.count() == 4  # 2 images x 2 markets
    assert {v.state for v in variants} == {VariantState.REQUESTED}
    assert _requested_events() == sorted(v.pk for v in variants)
    again = planner.product_plan(product_id=product.pk)
    assert (again.created, again.existing) == ([], 4)


def test_the_live_plan_constraint_stops_duplicates_the_planner_did_not_see(shop, store, monkeypatch) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    product = store.product("mug", images=2)
    first = planner.product_plan(product_id=product.pk)
    # A second planner that read before the first one committed sees no variants at all.
    monkeypatch.setattr(planner, "_history", lambda image_ids: {})
    second = planner.product_plan(product_id=product.pk)
    assert len(first.created) == 4
    assert (second.created, second.existing) == ([], 4)
    assert Variant.objects.count() == 4


def test_seeds_are_deterministic_per_image_template_version_and_market(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    product = store.product("mug")
    planner.product_plan(product_id=product.pk)
    variants = list(Variant.objects.select_related("market", "source_image"))
    assert len({v.seed for v in variants}) == 2
    for variant in variants:
        assert variant.seed == derive_seed(
            variant.source_sha256, "studio-sweep-light", 1, variant.market.locale
        )
    Variant.objects.all().delete()
    planner.product_plan(product_id=product.pk)
    assert sorted(v.seed for v in Variant.objects.all()) == sorted(v.seed for v in variants)


def test_new_image_bytes_are_planned_again_and_supersede_the_old_plan_once(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    product = store.product("mug")
    event_deliver(event_id=_synced_event(product).pk)
    old = {v.market_id: v for v in Variant.objects.all()}
    store.product("mug", seed=7)  # the store now serves other pixels for the same image
    event_deliver(event_id=_synced_event(product).pk)
    for market_id, previous in old.items():
        previous.refresh_from_db()
        assert previous.state == VariantState.SUPERSEDED
        assert (
            VariantTransition.objects.filter(variant=previous, to_state=VariantState.SUPERSEDED).count() == 1
        )
        replacement = Variant.objects.get(market_id=market_id, state=VariantState.REQUESTED)
        assert replacement.supersedes_id == previous.pk
        assert replacement.source_sha256 == replacement.source_image.sha256 != previous.source_sha256
    assert Variant.objects.count() == 4


def test_a_new_template_version_replaces_unpublished_variants_of_the_old_one(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    product = store.product("mug")
    planner.product_plan(product_id=product.pk)
    published, pending = Variant.objects.order_by("pk")
    for state in ("generating", "generated", "in_review", "approved", "publishing", "published"):
        variant_transition(variant_id=published.pk, to=state, actor="test")
    template = selectors.template_current("studio-sweep-light")
    services.template_revise(
        template_id=template.pk, changes={"params": {**template.params, "color": "#FAFAFA"}}
    )
    outcome = planner.product_plan(product_id=product.pk)
    assert len(outcome.created) == 2
    published.refresh_from_db()
    pending.refresh_from_db()
    assert published.state == VariantState.PUBLISHED  # on the listing: stays until a new one is approved
    assert pending.state == VariantState.SUPERSEDED
    assert set(Variant.objects.filter(pk__in=outcome.created).values_list("template_version", flat=True)) == {
        2
    }


def test_our_own_published_images_and_deleted_products_are_never_sources(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    store.own.add("https://store.example/ours/1-0.png")
    ours = store.product("ours")
    assert ours.images.get().published_by_us
    gone = store.product("gone")
    gone.deleted_at = gone.created_at
    gone.save()
    assert planner.product_plan(product_id=ours.pk).created == []
    assert planner.product_plan(product_id=gone.pk).created == []


def test_rules_select_products_and_markets(shop, store) -> None:
    german = shop.markets.get(locale="de-DE")
    services.rule_set(shop=shop, template_slug="studio-sweep-light", markets=[german], tags=["Kitchen"])
    services.rule_set(
        shop=shop, template_slug="marketplace-white", product_types=["watches"], vendors=["Meridian"]
    )
    services.rule_set(shop=shop, template_slug="model-east-asian-woman-20s")  # zh/ja/ko only: no market fits
    mug = store.product("mug", tags=("kitchen", "blue"), product_type="Mug")
    watch = store.product("watch", product_type="Watches", vendor="meridian")
    lamp = store.product("lamp", product_type="Apparel")
    plans = {p.handle: planner.product_plan(product_id=p.pk).created for p in (mug, watch, lamp)}
    mug_variant = Variant.objects.get(pk__in=plans["mug"])
    assert (mug_variant.template_slug, mug_variant.market) == ("studio-sweep-light", german)
    assert sorted(Variant.objects.filter(pk__in=plans["watch"]).values_list("market__locale", flat=True)) == [
        "de-DE",
        "en-US",
    ]
    assert plans["lamp"] == []


def test_automatic_planning_follows_the_shops_switch(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    shop.auto_generate = False
    shop.save()
    product = store.product("mug")
    event_deliver(event_id=_synced_event(product).pk)
    assert Variant.objects.count() == 0
    assert len(planner.product_plan(product_id=product.pk).created) == 2  # planned by hand


def test_the_daily_cap_defers_the_rest_and_a_later_day_plans_it(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    shop.daily_variant_cap = 3
    shop.save()
    first = store.product("mug", images=2)
    second = store.product("lamp", images=2)
    outcome = planner.product_plan(product_id=first.pk)
    assert (len(outcome.created), outcome.deferred) == (3, 1)
    assert planner.product_plan(product_id=second.pk).deferred == 4
    assert selectors.deferred_count(shop) == 5
    assert planner.product_plan(product_id=second.pk).deferred == 4  # asking again adds nothing
    assert selectors.deferred_count(shop) == 5
    assert planner.deferred_plan(shop_id=shop.pk).created == []  # today's cap is spent
    # The next day: today's variants were made yesterday.
    Variant.objects.update(created_at=selectors.day_start() - timedelta(hours=1))
    assert tasks.plan_deferred_variants() == 3
    assert selectors.deferred_count(shop) == 2
    oldest_first = DeferredPlan.objects.order_by("pk").first()
    assert oldest_first.source_image.product == second
    assert Variant.objects.count() == 6
    assert len(_requested_events()) == 6


def test_a_deferral_whose_rule_is_gone_is_dropped(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    shop.daily_variant_cap = 0
    shop.save()
    product = store.product("mug")
    assert planner.product_plan(product_id=product.pk).deferred == 2
    services.rule_set(shop=shop, template_slug="studio-sweep-light", enabled=False)
    shop.daily_variant_cap = 10
    shop.save()
    assert planner.deferred_plan(shop_id=shop.pk).created == []
    assert selectors.deferred_count(shop) == 0


def test_text_variants_carry_the_market_language_and_the_shops_glossary(shop, store) -> None:
    german = shop.markets.get(locale="de-DE")
    services.rule_set(shop=shop, template_slug="text-de-de")
    services.glossary_set(shop=shop, source_text="HONEY", locale="de", translation="HONIG")
    services.glossary_set(shop=shop, source_text="RAW", locale="de_de", translation="ROH")
    services.glossary_set(shop=shop, source_text="RAW", locale="de", translation="NATUR")
    services.glossary_set(
        shop=shop, source_text="Wildflower Honey", locale="de", translation="Wildblütenhonig"
    )
    services.glossary_set(shop=shop, source_text="HONEY", locale="fr", translation="MIEL")
    product = store.product("honey", title="Wildflower Honey")
    variant = Variant.objects.get(pk__in=planner.product_plan(product_id=product.pk).created)
    assert variant.market == german  # the template suits de-DE only
    assert variant.params["target_language"] == "de-DE"
    assert variant.params["glossary"] == {
        "HONEY": "HONIG",
        "RAW": "ROH",
        "Wildflower Honey": "Wildblütenhonig",
    }
    assert variant.alt_text == "Wildblütenhonig, Etikett auf Deutsch"


def test_alt_text_is_in_the_markets_language(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="marketplace-white")
    product = store.product("mug", title="Blue Mug")
    planner.product_plan(product_id=product.pk)
    alt = dict(Variant.objects.values_list("market__locale", "alt_text"))
    assert alt == {"en-US": "Blue Mug on a white background", "de-DE": "Blue Mug vor weißem Hintergrund"}


def test_glossary_refuses_what_is_not_a_locale(shop) -> None:
    with pytest.raises(ValueError, match="not a locale"):
        services.glossary_set(shop=shop, source_text="HONEY", locale="German", translation="HONIG")


def test_the_deferred_planning_runs_every_night() -> None:
    entry = celery_app.conf.beat_schedule["plan-deferred-variants"]
    assert entry["task"] == tasks.plan_deferred_variants.name


def test_the_planner_handles_product_sync_of_a_removed_image(shop, store) -> None:
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    product = store.product("mug", images=2)
    planner.product_plan(product_id=product.pk)
    kept = RemoteImage(remote_id="mug-1", url="https://store.example/mug/1-0.png", position=1)
    with_one = RemoteProduct(external_id="mug", title="Mug", handle="mug", images=(kept,))
    store.files[kept.url] = png_bytes(seed=1)
    product_upsert(shop=shop, remote=with_one, connector=store)
    outcome = planner.product_plan(product_id=product.pk)
    assert (outcome.created, outcome.existing) == ([], 2)
    assert Variant.objects.filter(state=VariantState.SUPERSEDED).count() == 2


def test_plan_variants_command_plans_a_shop_and_its_deferrals(shop, store, capsys) -> None:
    from django.core.management import call_command

    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    shop.daily_variant_cap = 1
    shop.save()
    store.product("mug")
    call_command("plan_variants", "--shop", "ACME")
    assert "ACME: 1 planned, 0 planned before, 1 deferred by the daily cap of 1; 1 waiting in all." in (
        capsys.readouterr().out
    )
    Variant.objects.update(created_at=selectors.day_start() - timedelta(hours=1))
    call_command("plan_variants", "--all", "--deferred")
    assert "ACME: 1 planned, 0 planned before, 0 deferred" in capsys.readouterr().out
    call_command("sync_templates")
    assert "0 added, 0 revised" in capsys.readouterr().out


def test_planned_variants_carry_the_template_versions_fidelity_thresholds(shop, store) -> None:
    template = selectors.template_current("studio-sweep-light")
    services.template_revise(template_id=template.pk, changes={"fidelity_thresholds": {"ssim_pass": 0.9}})
    services.rule_set(shop=shop, template_slug="studio-sweep-light")
    product = store.product("mug")
    planner.product_plan(product_id=product.pk)
    assert [v.fidelity_thresholds for v in Variant.objects.all()] == [{"ssim_pass": 0.9}] * 2
    # A later version does not reach the variants planned from the earlier one.
    services.template_revise(template_id=template.pk, changes={"fidelity_thresholds": {"ssim_pass": 0.8}})
    assert [v.fidelity_thresholds for v in Variant.objects.all()] == [{"ssim_pass": 0.9}] * 2
