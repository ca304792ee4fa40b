"""The whole pipeline through the CSV / folder store, and the demo that runs it on the sample catalogue.

import (CSV connector) -> plan (template rules) -> generate (classical backend) -> SKU-fidelity report ->
approve (review services) -> publish (export folder with an updated CSV). Every step is reached through
the events the steps emit, with Celery running tasks in-process as the embedded default does.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from celery.signals import worker_ready
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image

from tests.inference import tiny_models
from vitrine.connectors.csvfile.services import MarketSpec, catalogue_import, csv_shop_ensure
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Blob, Event, Market, Product, Shop, SourceImage, Variant
from vitrine.review.models import Decision, ReviewItem
from vitrine.review.services import DecisionInput, review_item_claim_next, review_item_decide
from vitrine.templates import services as template_services
from vitrine.templates.models import GlossaryEntry, TemplateRule

pytestmark = pytest.mark.django_db


def packshot(path: Path, colour: tuple[int, int, int]) -> None:
    image = Image.new("RGB", (192, 192), (255, 255, 255))
    image.paste(colour, (56, 36, 136, 156))
    image.paste((250, 250, 250), (80, 70, 112, 100))  # a printed panel: detail the fidelity check can follow
    image.save(path, format="PNG")


def test_csv_import_to_export_folder_through_plan_render_review_and_publish(
    tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    packshot(tmp_path / "mug.png", (28, 64, 150))
    packshot(tmp_path / "tin.png", (20, 110, 70))
    (tmp_path / "products.csv").write_text(
        "Handle,Title,Type,Tags,Variant SKU,Image Src,Image Position,Image Alt Text\n"
        "mug,Blue Mug,Mug,packshot,MUG-1,mug.png,1,Blue mug\n"
        "tin,Tea Tin,Tea,packshot,TIN-1,tin.png,1,\n",
        encoding="utf-8",
    )
    shop = csv_shop_ensure(
        name="Corner Store",
        export_dir=tmp_path / "export",
        markets=[MarketSpec("de-DE"), MarketSpec("en-US")],
    )
    template_services.rule_set(shop=shop, template_slug="studio-sweep-light", tags=["packshot"])
    template_services.glossary_set(
        shop=shop, source_text="Blue Mug", locale="de", translation="Blauer Becher"
    )

    with django_capture_on_commit_callbacks(execute=True):
        report = catalogue_import(shop=shop, csv_path=tmp_path / "products.csv")
    assert (report.products, report.errors) == (2, [])

    variants = list(Variant.objects.filter(shop=shop).select_related("market", "source_image__product"))
    assert len(variants) == 4  # two images, two markets
    for variant in variants:
        assert variant.state == VariantState.IN_REVIEW, variant.failure_reason
        assert (variant.backend, variant.template_slug, variant.template_version) == (
            "classical",
            "studio-sweep-light",
            1,
        )
        assert variant.output_id and variant.used_mask_id
        assert variant.fidelity["verdict"] == variant.fidelity_verdict in ("pass", "review")
    assert ReviewItem.objects.filter(shop=shop).exclude(state=ReviewItem.State.DECIDED).count() == 4

    reviewer = get_user_model().objects.create_superuser("reviewer", "reviewer@example.com", "pw-12345678")
    for _ in variants:
        with django_capture_on_commit_callbacks(execute=True):
            item = review_item_claim_next(reviewer=reviewer)
            review_item_decide(item_id=item.pk, reviewer=reviewer, decision=DecisionInput(action="approve"))
    assert review_item_claim_next(reviewer=reviewer) is None
    assert Decision.objects.filter(action="approve").count() == 4

    for variant in variants:
        variant.refresh_from_db()
        assert variant.state == VariantState.PUBLISHED
        exported = tmp_path / "export" / variant.market.locale / "images" / variant.remote_media_id
        assert b"compositeWithTrainedAlgorithmicMedia" in exported.read_bytes()
    german = list(csv.DictReader(io.StringIO((tmp_path / "export/de-DE/products.csv").read_text("utf-8"))))
    assert [(row["Handle"], row["Image Position"], row["Image Alt Text"]) for row in german] == [
        ("mug", "1", "Blue mug"),
        ("mug", "2", "Blauer Becher, Studioaufnahme"),
        ("tin", "1", ""),
        ("tin", "2", "Tea Tin, Studioaufnahme"),
    ]
    assert german[0]["Variant SKU"] == "MUG-1" and german[1]["Image Src"].startswith("images/vitrine-")
    english = (tmp_path / "export/en-US/products.csv").read_text("utf-8")
    assert "Blue Mug, studio photo" in english and "Tea Tin, studio photo" in english


def _counts() -> dict[str, int]:
    models = (
        Shop,
        Market,
        Product,
        SourceImage,
        Variant,
        ReviewItem,
        Blob,
        TemplateRule,
        GlossaryEntry,
        get_user_model(),
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.slow
# The whole demo renders and scores ~50 variants, then a tiny diffusion model renders the waiting ones.
@pytest.mark.timeout(1800)
# Real commits, as in `make demo`: each product's events run while the progress bar advances. The demo
# loads the template catalogue itself, so it does not depend on rows a data migration wrote.
@pytest.mark.django_db(transaction=True)
def test_demo_reaches_a_review_queue_with_items_and_a_second_run_duplicates_nothing(
    tmp_path: Path, capsys, settings
) -> None:
    # The demo's machine has no diffusion model: a registry that knows a tiny one, none chosen yet.
    tiny = tiny_models.build_tiny_sd_inpaint(tmp_path / "tiny-sd")
    registry = {"tiny/sd": ("StableDiffusionInpaintPipeline", tiny)}
    settings.INFERENCE_MODEL_REGISTRY_FILE = str(tiny_models.tiny_registry_file(tmp_path / "registry.json", registry))
    settings.INFERENCE_DEFAULT_MODEL = ""
    settings.INFERENCE_DEVICE = "cpu"
    settings.FIDELITY_OCR = False  # reading printed text is the slow part of scoring; not tested here
    call_command("demo", export_dir=tmp_path / "export")
    first = capsys.readouterr().out
    counts = _counts()
    assert counts["Product"] >= 8 and counts["Market"] >= 2
    assert "Review queue (" in first and "/admin/review/reviewitem/" in first
    assert "Log in as 'demo' with password 'vitrine-demo'." in first
    assert "Merchant console: http" in first and "/app/review/" in first
    demo_shop = Shop.objects.get(name="Vitrine Demo Store")
    assert demo_shop.memberships.get(user__username="demo").role == "owner"
    assert "Waiting for a diffusion model" in first and "INFERENCE_DEFAULT_MODEL" in first
    open_items = ReviewItem.objects.exclude(state=ReviewItem.State.DECIDED)
    assert open_items.count() >= 30
    assert set(open_items.values_list("variant__kind", flat=True)) == {"background", "text_localize"}
    assert set(open_items.values_list("variant__market__locale", flat=True)) >= {"de-DE", "zh-CN"}
    waiting = set(Variant.objects.filter(kind="model_swap").values_list("pk", flat=True))
    assert waiting and set(Variant.objects.filter(state=VariantState.WAITING).values_list("pk", flat=True)) == waiting
    assert not Variant.objects.filter(kind="model_swap", state=VariantState.FAILED).exists()
    assert Variant.objects.filter(state__in=[VariantState.REQUESTED, VariantState.GENERATING]).count() == 0
    events_before = Event.objects.count()

    call_command("demo", export_dir=tmp_path / "export")
    second = capsys.readouterr().out
    assert _counts() == counts
    assert "(0 new in this run)" in second
    assert Event.objects.count() - events_before == counts["Product"]  # one catalog.product_synced each

    # The operator configures a model and (re)starts a worker: the waiting variants render by themselves.
    settings.INFERENCE_DEFAULT_MODEL = "tiny/sd"
    worker_ready.send(sender=None)
    swapped = Variant.objects.filter(pk__in=waiting)
    assert set(swapped.values_list("state", flat=True)) == {VariantState.IN_REVIEW}, list(
        swapped.values_list("state", "failure_reason")
    )
    assert set(swapped.values_list("model_id", flat=True)) == {"tiny/sd"}
