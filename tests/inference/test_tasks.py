"""The render task end to end: event -> handler -> gpu task -> engine -> stored output and lifecycle."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from django.db import transaction
from PIL import Image

from tests.factories import make_variant, render_one
from tests.inference.conftest import TINY_SD
from tests.photos import packshot, text_photo
from vitrine.inference import services
from vitrine.inference.engine import Engine
from vitrine.inference.errors import TransientInferenceError
from vitrine.inference.tasks import render_variants
from vitrine.platform import events
from vitrine.platform.celery import app as celery_app
from vitrine.platform.models import Event, Market, Product, SourceImage, Variant
from vitrine.platform.services import blob_read, image_intake


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def source_image(shop, image: Image.Image, remote_id: str = "img") -> SourceImage:
    product, _ = Product.objects.get_or_create(shop=shop, external_id="p1", defaults={"title": "Tee"})
    intake = image_intake(png(image), filename=f"{remote_id}.png")
    return SourceImage.objects.create(
        product=product, remote_id=remote_id, original=intake.original, image=intake.image,
        sha256=intake.image.sha256, width=intake.normalized.width, height=intake.normalized.height,
        has_alpha=intake.normalized.has_alpha,
    )  # fmt: skip


def request_render(variant: Variant, capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True), transaction.atomic():
        events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=variant.shop)


def transitions(variant: Variant) -> list[tuple[str, str]]:
    return [(t.from_state, t.to_state) for t in variant.transitions.all()]


@pytest.fixture(autouse=True)
def _no_downstream_handlers():  # type: ignore[no-untyped-def]
    """Stop at variant.generated: what review does with it is tested in review's own tests."""
    saved = events._handlers.pop(events.VARIANT_GENERATED, {})
    yield
    events._handlers[events.VARIANT_GENERATED] = saved


@pytest.fixture
def tiny_diffusion_settings(settings, tiny_models):  # type: ignore[no-untyped-def]
    settings.INFERENCE_MODEL_REGISTRY_FILE = str(tiny_models["registry"])
    settings.INFERENCE_DEFAULT_MODEL = TINY_SD
    settings.INFERENCE_DEVICE = "cpu"
    return settings


def test_requested_variant_is_rendered_stored_and_handed_on(shop, django_capture_on_commit_callbacks) -> None:
    shot, truth = packshot(96)
    variant = make_variant(shop, source_image=source_image(shop, shot))
    variant.params = {"mode": "studio"}
    variant.save()
    request_render(variant, django_capture_on_commit_callbacks)

    variant.refresh_from_db()
    assert variant.state == "generated", variant.failure_reason
    assert transitions(variant) == [("requested", "generating"), ("generating", "generated")]
    assert (variant.backend, variant.model_id, variant.failure_reason) == ("classical", "", "")
    assert set(variant.timings) >= {"mask", "composite", "total"}
    output = np.asarray(Image.open(io.BytesIO(blob_read(variant.output))))
    assert np.array_equal(output[truth], np.asarray(shot)[truth])
    used = np.asarray(Image.open(io.BytesIO(blob_read(variant.used_mask)))) > 0
    assert (used & truth).sum() / (used | truth).sum() > 0.97
    generated = Event.objects.get(type=events.VARIANT_GENERATED)
    assert generated.payload["variant_id"] == variant.pk and generated.shop_id == shop.pk


def test_a_second_render_does_nothing(shop, django_capture_on_commit_callbacks) -> None:
    variant = make_variant(shop, source_image=source_image(shop, packshot(64)[0]))
    request_render(variant, django_capture_on_commit_callbacks)
    assert render_one(variant.pk) is None
    render_variants.apply(args=[[variant.pk]])
    variant.refresh_from_db()
    assert variant.state == "generated" and len(transitions(variant)) == 2
    assert Event.objects.filter(type=events.VARIANT_GENERATED).count() == 1


def test_bad_input_fails_the_variant_with_the_merchant_reason(shop, django_capture_on_commit_callbacks) -> None:
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    variant = make_variant(shop, source_image=source_image(shop, noise))
    request_render(variant, django_capture_on_commit_callbacks)
    variant.refresh_from_db()
    assert variant.state == "failed"
    assert "upload a PNG with a transparent background or draw a mask" in variant.failure_reason
    failed = Event.objects.get(type=events.VARIANT_FAILED)
    assert failed.payload == {"variant_id": variant.pk, "reason": variant.failure_reason}


def test_text_variant_uses_the_market_language_and_shop_glossary(shop, django_capture_on_commit_callbacks) -> None:
    shop.settings = {"glossary": {"de": {"Pure cotton": "Reine Baumwolle"}}}
    shop.save()
    photo = text_photo([("Pure cotton", (16, 20), 26)], size=(256, 96))
    variant = make_variant(
        shop,
        market=Market.objects.get(shop=shop, locale="de-DE"),
        kind="text_localize",
        template_slug="de-labels",
        source_image=source_image(shop, photo),
    )
    request_render(variant, django_capture_on_commit_callbacks)
    variant.refresh_from_db()
    assert variant.state == "generated", variant.failure_reason
    [line] = Event.objects.get(type=events.VARIANT_GENERATED).payload["details"]["lines"]
    assert (line["target"], line["origin"]) == ("Reine Baumwolle", "glossary")


def test_variants_of_one_template_render_as_one_batch(
    shop, tiny_diffusion_settings, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    batches: list[int] = []
    original = Engine.render_batch

    def spy(self, requests, **kwargs):  # type: ignore[no-untyped-def]
        batches.append(len(requests))
        return original(self, requests, **kwargs)

    monkeypatch.setattr(Engine, "render_batch", spy)
    variants = []
    for seed in (1, 2, 3):
        variant = make_variant(
            shop,
            seed=seed,
            template_slug="beach",
            source_image=source_image(shop, packshot(64, seed=seed)[0], f"img{seed}"),
        )
        variant.params = {"mode": "generate", "prompt": "a sunny beach"}
        variant.save()
        variants.append(variant)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for variant in variants:
            events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=shop)
    assert batches == [3]  # the first task took its siblings along; the other two found nothing to do
    for variant in variants:
        variant.refresh_from_db()
        assert (variant.state, variant.backend, variant.model_id) == ("generated", "diffusers", TINY_SD)
    payloads = Event.objects.filter(type=events.VARIANT_GENERATED).values_list("payload", flat=True)
    assert [p["details"]["diffusion_batch"] for p in payloads] == [3, 3, 3]


def test_transient_errors_are_retried(shop, monkeypatch) -> None:
    original = Engine.render_batch
    calls = []

    def flaky(self, requests, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(requests))
        if len(calls) == 1:
            return [TransientInferenceError("the GPU ran out of memory; the job will be retried")] * len(requests)
        return original(self, requests, **kwargs)

    monkeypatch.setattr(Engine, "render_batch", flaky)
    variant = make_variant(shop, source_image=source_image(shop, packshot(64)[0]))
    render_variants.apply(args=[[variant.pk]])
    variant.refresh_from_db()
    assert variant.state == "generated" and calls == [1, 1]
    assert transitions(variant) == [
        ("requested", "generating"),
        ("generating", "requested"),
        ("requested", "generating"),
        ("generating", "generated"),
    ]


def test_transient_errors_fail_the_variant_after_the_last_retry(shop, monkeypatch) -> None:
    def always(self, requests, **kwargs):  # type: ignore[no-untyped-def]
        return [TransientInferenceError("the GPU ran out of memory; the job will be retried")] * len(requests)

    monkeypatch.setattr(Engine, "render_batch", always)
    variant = make_variant(shop, source_image=source_image(shop, packshot(64)[0]))
    render_variants.apply(args=[[variant.pk]])
    variant.refresh_from_db()
    assert variant.state == "failed" and "ran out of memory" in variant.failure_reason
    assert transitions(variant).count(("requested", "generating")) == render_variants.max_retries + 1


def test_an_unexpected_error_fails_the_variant_and_propagates(shop, monkeypatch) -> None:
    def broken(self, requests, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    monkeypatch.setattr(Engine, "render_batch", broken)
    variant = make_variant(shop, source_image=source_image(shop, packshot(64)[0]))
    with pytest.raises(RuntimeError, match="bug"):
        render_one(variant.pk)
    variant.refresh_from_db()
    assert variant.state == "failed" and variant.failure_reason == services.INTERNAL_FAILURE


def test_a_variant_left_generating_is_taken_over_only_when_stale(shop, settings) -> None:
    variant = make_variant(shop, source_image=source_image(shop, packshot(64)[0]))
    Variant.objects.filter(pk=variant.pk).update(state="generating")
    assert render_one(variant.pk) is None  # another worker may be on it
    stale = variant.updated_at - timedelta(seconds=settings.INFERENCE_TASK_TIME_LIMIT + 60)
    Variant.objects.filter(pk=variant.pk).update(updated_at=stale)
    outcome = render_one(variant.pk)
    assert outcome is not None and outcome.state == "generated"


def test_task_routes_to_the_gpu_queue() -> None:
    assert celery_app.amqp.router.route({}, render_variants.name)["queue"].name == "gpu"
    assert render_variants.acks_late
    assert render_variants.soft_time_limit < render_variants.time_limit


def test_a_variant_superseded_while_rendering_keeps_its_state(shop, monkeypatch) -> None:
    variant = make_variant(shop, source_image=source_image(shop, packshot(64)[0]))
    original = Engine.render_batch

    def supersede_meanwhile(self, requests, **kwargs):  # type: ignore[no-untyped-def]
        Variant.objects.filter(pk=variant.pk).update(state="superseded")  # the source image changed
        return original(self, requests, **kwargs)

    monkeypatch.setattr(Engine, "render_batch", supersede_meanwhile)
    outcome = render_one(variant.pk)
    assert outcome is not None and outcome.state == "superseded"
    variant.refresh_from_db()
    assert variant.state == "superseded" and variant.output_id is None
    assert not Event.objects.filter(type=events.VARIANT_GENERATED).exists()


def test_a_broken_registry_file_fails_the_variant_with_the_reason(shop, settings, tmp_path) -> None:
    registry = tmp_path / "models.json"
    registry.write_text("{not json")
    settings.INFERENCE_MODEL_REGISTRY_FILE = str(registry)
    variant = make_variant(shop, source_image=source_image(shop, packshot(64)[0]))
    render_one(variant.pk)
    variant.refresh_from_db()
    assert variant.state == "failed"
    assert variant.failure_reason.startswith(f"the model registry file {registry} cannot be read")
