"""Work that lacks a model waits instead of failing, and resumes by itself once the model is configured;
failed variants can be retried through one service (admin action, API)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import skimage.data
from celery.signals import worker_ready
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from PIL import Image

from tests.factories import make_variant
from tests.inference.conftest import TINY_SD
from vitrine.inference.masks import mask_to_image
from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Product, SourceImage, Variant
from vitrine.platform.services import VariantNotRetryable, blob_put, image_intake, variant_retry

MARKET = {"gender": "woman", "age": "in her thirties", "ethnicity": "East Asian"}


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def on_model_image(shop, remote_id: str) -> SourceImage:  # type: ignore[no-untyped-def]
    """A real on-model photo with the garment's outline supplied by the merchant."""
    photo = Image.fromarray(skimage.data.astronaut()).resize((64, 64))
    garment = np.zeros((64, 64), bool)
    garment[32:, 8:56] = True
    product, _ = Product.objects.get_or_create(shop=shop, external_id="suit", defaults={"title": "Flight suit"})
    intake = image_intake(png(photo), filename=f"{remote_id}.png")
    mask_png = png(mask_to_image(garment))
    return SourceImage.objects.create(
        product=product, remote_id=remote_id, original=intake.original, image=intake.image,
        sha256=intake.image.sha256, width=64, height=64, has_alpha=False,
        protect_mask=blob_put(data=mask_png, content_type="image/png", width=64, height=64),
    )  # fmt: skip


def swap_variant(shop, seed: int) -> Variant:  # type: ignore[no-untyped-def]
    variant = make_variant(shop, kind="model_swap", template_slug="model-swap", seed=seed,
                           source_image=on_model_image(shop, f"img-{seed}"))
    variant.params = dict(MARKET)
    variant.save()
    return variant


def request_render(variant: Variant, capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True), transaction.atomic():
        events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=variant.shop)


@pytest.fixture
def no_model(settings, tiny_models):  # type: ignore[no-untyped-def]
    settings.INFERENCE_MODEL_REGISTRY_FILE = str(tiny_models["registry"])
    settings.INFERENCE_DEFAULT_MODEL = ""
    settings.INFERENCE_DEVICE = "cpu"
    return settings


@pytest.fixture(autouse=True)
def _no_downstream_handlers():  # type: ignore[no-untyped-def]
    """Stop at variant.generated: scoring is the review app's business."""
    saved = events._handlers.pop(events.VARIANT_GENERATED, {})
    yield
    events._handlers[events.VARIANT_GENERATED] = saved


def test_a_model_swap_without_a_model_waits_and_renders_once_a_worker_starts_with_one(
    shop, no_model, django_capture_on_commit_callbacks
) -> None:
    variants = [swap_variant(shop, seed) for seed in (1, 2)]
    for variant in variants:
        request_render(variant, django_capture_on_commit_callbacks)
    for variant in variants:
        variant.refresh_from_db()
        assert variant.state == VariantState.WAITING
        assert variant.failure_reason.startswith("Waiting for a diffusion model: ")
        assert "INFERENCE_DEFAULT_MODEL" in variant.failure_reason
    assert not Event.objects.filter(type=events.VARIANT_FAILED).exists()

    # A worker starting while the model is still missing leaves them waiting, with no churn.
    with django_capture_on_commit_callbacks(execute=True):
        worker_ready.send(sender=None)
    assert set(Variant.objects.values_list("state", flat=True)) == {VariantState.WAITING}

    # The operator configures a model; the next worker start is all it takes.
    no_model.INFERENCE_DEFAULT_MODEL = TINY_SD
    with django_capture_on_commit_callbacks(execute=True):
        worker_ready.send(sender=None)
    for variant in variants:
        variant.refresh_from_db()
        assert variant.state == VariantState.GENERATED, variant.failure_reason
        assert variant.model_id == TINY_SD and variant.failure_reason == ""
        assert [(t.from_state, t.to_state) for t in variant.transitions.all()] == [
            ("requested", "generating"), ("generating", "waiting"), ("waiting", "requested"),
            ("requested", "generating"), ("generating", "generated"),
        ]


def test_the_resume_command_renders_waiting_variants(shop, no_model, django_capture_on_commit_callbacks,
                                                     capsys) -> None:
    variant = swap_variant(shop, 3)
    request_render(variant, django_capture_on_commit_callbacks)
    call_command("resume_waiting")
    assert "Resumed 0 waiting variant(s); 1 still waiting." in capsys.readouterr().out

    no_model.INFERENCE_DEFAULT_MODEL = TINY_SD
    with django_capture_on_commit_callbacks(execute=True):
        call_command("resume_waiting")
    assert "Resumed 1 waiting variant(s); 0 still waiting." in capsys.readouterr().out
    variant.refresh_from_db()
    assert variant.state == VariantState.GENERATED, variant.failure_reason


def test_variant_retry_sends_a_failed_variant_back_and_refuses_others(shop, django_capture_on_commit_callbacks):
    variant = make_variant(shop)
    Variant.objects.filter(pk=variant.pk).update(state=VariantState.FAILED, failure_reason="the worker ran out")
    with django_capture_on_commit_callbacks() as callbacks:
        retried = variant_retry(variant_id=variant.pk, actor="user:1")
    assert callbacks  # the render is requested once this commits
    assert (retried.state, retried.failure_reason) == (VariantState.REQUESTED, "")
    assert Event.objects.filter(type=events.VARIANT_REQUESTED, payload={"variant_id": variant.pk}).exists()

    with pytest.raises(VariantNotRetryable, match="only failed or waiting variants can be retried"):
        variant_retry(variant_id=variant.pk, actor="user:1")

    # A newer live variant already covers the same plan: retrying the old one would duplicate it.
    Variant.objects.filter(pk=variant.pk).update(state=VariantState.FAILED)
    newer = Variant.objects.create(
        shop=shop, source_image=variant.source_image, market=variant.market, kind=variant.kind,
        template_slug=variant.template_slug, template_version=variant.template_version,
        source_sha256=variant.source_sha256, seed=9,
    )  # fmt: skip
    with pytest.raises(VariantNotRetryable, match=f"variant {newer.pk} already covers"):
        variant_retry(variant_id=variant.pk, actor="user:1")
    assert Variant.objects.get(pk=variant.pk).state == VariantState.FAILED


def test_failed_variants_are_retried_from_the_admin(shop, admin_client, django_capture_on_commit_callbacks):
    failed, rendered = make_variant(shop, seed=1), make_variant(shop, seed=2)
    Variant.objects.filter(pk=failed.pk).update(state=VariantState.FAILED, failure_reason="timed out")
    Variant.objects.filter(pk=rendered.pk).update(state=VariantState.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:platform_variant_changelist"),
            {"action": "retry", "_selected_action": [failed.pk, rendered.pk]},
            follow=True,
        )
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["Sent 1 variant(s) back for rendering.",
                     f"variant {rendered.pk} is in_review; only failed or waiting variants can be retried"]
    moves = [(t.from_state, t.to_state, t.actor) for t in failed.transitions.all()]
    assert moves[0][:2] == ("failed", "requested") and moves[0][2].startswith("user:")
    assert moves[1][:2] == ("requested", "generating")  # the render ran again
    assert Variant.objects.get(pk=rendered.pk).state == VariantState.IN_REVIEW
