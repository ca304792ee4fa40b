"""Scenario 1: the GPU worker is SIGKILLed in the middle of a render; after a restart the variant completes,
exactly once."""

from __future__ import annotations

import io

import pytest
from django.db import transaction

from tests.conftest import celery_on_broker
from tests.factories import make_variant
from tests.faults.conftest import wait_for
from tests.photos import packshot
from vitrine.platform import events
from vitrine.platform.models import Event, Product, SourceImage, Variant, VariantTransition
from vitrine.platform.services import image_intake

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]


def test_render_killed_midway_completes_exactly_once_after_restart(stack, redis_server, shop):
    # Large enough that the render lasts a few tenths of a second even with the engine already warm (the
    # worker may have loaded it for its start-up task), so the kill lands while the variant is generating.
    shot, _ = packshot(1024)
    buffer = io.BytesIO()
    shot.save(buffer, format="PNG")
    product = Product.objects.create(shop=shop, external_id="mug", title="Mug")
    intake = image_intake(buffer.getvalue(), filename="mug.png")
    source = SourceImage.objects.create(product=product, remote_id="1", original=intake.original, image=intake.image,
                                        sha256=intake.image.sha256, width=1024, height=1024)
    variant = make_variant(shop, source_image=source)
    Variant.objects.filter(pk=variant.pk).update(params={"mode": "studio"})

    # A worker that died is noticed after a few seconds: the broker redelivers its unacknowledged task, and
    # the sweep re-drives a variant left generating.
    quick = {"INFERENCE_TASK_TIME_LIMIT": "4", "INFERENCE_TASK_SOFT_TIME_LIMIT": "3",
             "VARIANT_STUCK_AFTER_GENERATING": "6"}
    stack("worker", **quick)
    stack("beat", **quick)
    gpu = stack("gpu", **quick)
    with celery_on_broker(redis_server.url), transaction.atomic():
        events.emit(events.VARIANT_REQUESTED, {"variant_id": variant.pk}, shop=shop)

    # The worker claims the variant, then loads its engine: it dies there, mid-render.
    wait_for(lambda: Variant.objects.get(pk=variant.pk).state == "generating", timeout=90,
             what="the GPU worker to start rendering", interval=0.02)
    gpu.kill()
    assert Variant.objects.get(pk=variant.pk).state == "generating"

    stack("gpu", WORKER_NAME="2", **quick)
    wait_for(lambda: VariantTransition.objects.filter(variant=variant, to_state="generated").exists(), timeout=150,
             what="the restarted worker to finish the render")

    variant.refresh_from_db()
    assert variant.output_id is not None
    assert VariantTransition.objects.filter(variant=variant, to_state="generated").count() == 1
    generated = Event.objects.filter(type=events.VARIANT_GENERATED, payload__variant_id=variant.pk)
    assert generated.count() == 1
