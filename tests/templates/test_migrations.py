"""The data migration that copies template thresholds onto the variants planned before variants carried them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("templates", "0003_alter_varianttemplate_kind_and_more"), ("platform", "0009_variant_fidelity_thresholds")]
AFTER = [("templates", "0004_variant_fidelity_thresholds_backfill")]


@pytest.mark.django_db(transaction=True)
def test_existing_variants_get_their_template_versions_thresholds() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    template_model = apps.get_model("templates", "VariantTemplate")
    shop = apps.get_model("platform", "Shop").objects.create(provider="csvfile", external_id="old")
    market = apps.get_model("platform", "Market").objects.create(shop=shop, locale="de-DE")
    product = apps.get_model("platform", "Product").objects.create(shop=shop, external_id="p", title="P")
    image = apps.get_model("platform", "SourceImage").objects.create(product=product, remote_id="i")
    template_model.objects.create(slug="old-strict", version=1, kind="background", title="v1",
                                  description="", fidelity_thresholds={"ssim_pass": 0.9})
    template_model.objects.create(slug="old-strict", version=2, kind="background", title="v2",
                                  description="", fidelity_thresholds={"ssim_pass": 0.8})
    variant_model = apps.get_model("platform", "Variant")

    def variant(version: int, slot: str):  # type: ignore[no-untyped-def]
        return variant_model.objects.create(shop=shop, source_image=image, market=market, kind="background",
                                            template_slug="old-strict", template_version=version, slot=slot,
                                            source_sha256="0" * 64, seed=1, state="superseded")

    first, second, orphan = variant(1, "a"), variant(2, "b"), variant(9, "c")
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    variant_model = executor.loader.project_state(AFTER).apps.get_model("platform", "Variant")
    thresholds = {v.pk: v.fidelity_thresholds for v in variant_model.objects.all()}
    assert thresholds == {first.pk: {"ssim_pass": 0.9}, second.pk: {"ssim_pass": 0.8}, orphan.pk: {}}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
