"""The whole pipeline from a Shopify webhook to media on the listing, against the fake Shopify.

products/create webhook -> inbox -> catalog.product_changed -> sync through the GraphQL connector ->
catalog.product_synced -> planner -> variant.requested -> render (classical backend and a tiny diffusion
pipeline loaded through the model registry) -> variant.generated -> fidelity report + review item ->
approve through the review services -> variant.approved -> publish to the fake Shopify -> media READY with alt
text and our $app metafield. Then the same webhook again, and the echoes of our own publishing, change nothing.
Every step is reached through the events the previous step emitted; tasks run in-process.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests import photos
from tests.connectors.conftest import SHOP_DOMAIN
from tests.fakes.shopify import FakeShopify
from tests.inference import tiny_models
from vitrine.connectors.shopify.publishing import marker_key
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Product, Shop, SourceImage, Variant
from vitrine.review.models import Decision, ReviewItem
from vitrine.review.services import DecisionInput, review_item_claim_next, review_item_decide
from vitrine.templates import services as template_services

TINY_MODEL = "tiny/sd-inpaint"


@pytest.fixture(scope="module")
def tiny_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("e2e-models")
    pipeline = tiny_models.build_tiny_sd_inpaint(root / "sd-inpaint")
    return tiny_models.tiny_registry_file(root / "registry.json",
                                      {TINY_MODEL: ("StableDiffusionInpaintPipeline", pipeline)})


def packshot_png(seed: int) -> bytes:
    image, _ = photos.packshot(160, seed=seed)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def live_variants(shop: Shop) -> list[Variant]:
    return list(Variant.objects.filter(shop=shop).exclude(state=VariantState.SUPERSEDED).order_by("pk"))


def test_products_create_webhook_to_published_media_and_echoes_change_nothing(
    fake_shopify: FakeShopify, shopify_shop: Shop, deliver, settings, tiny_registry: Path,
    django_capture_on_commit_callbacks,
) -> None:
    settings.INFERENCE_MODEL_REGISTRY_FILE = str(tiny_registry)
    settings.INFERENCE_DEFAULT_MODEL = TINY_MODEL
    settings.INFERENCE_CPU_THREADS = 1
    settings.FIDELITY_OCR = False
    shopify_shop.auto_generate = True
    shopify_shop.save()
    # A classical studio background for every market, a generated autumn café scene for Germany.
    template_services.rule_set(shop=shopify_shop, template_slug="studio-sweep-light")
    template_services.rule_set(shop=shopify_shop, template_slug="lifestyle-autumn-europe")

    remote = fake_shopify.add_product(SHOP_DOMAIN, title="Ceramic bottle", product_type="Home",
                                      vendor="Acme", images=[packshot_png(seed=3)], alt="Ceramic bottle")
    webhook = fake_shopify.webhook("products/create", fake_shopify.product_payload(SHOP_DOMAIN, remote),
                                   SHOP_DOMAIN)
    assert deliver(webhook).status_code == 200

    product = Product.objects.get(shop=shopify_shop, external_id=remote.id)
    assert product.title == "Ceramic bottle" and product.images.count() == 1
    variants = live_variants(shopify_shop)
    assert sorted((v.template_slug, v.market.locale) for v in variants) == [
        ("lifestyle-autumn-europe", "de-DE"), ("studio-sweep-light", "de-DE"), ("studio-sweep-light", "en-US"),
    ]
    for variant in variants:
        assert variant.state == VariantState.IN_REVIEW, variant.failure_reason
        assert variant.fidelity_verdict in ("pass", "review")
    backends = {v.template_slug: (v.backend, v.model_id) for v in variants}
    assert backends["studio-sweep-light"][0] == "classical"
    assert backends["lifestyle-autumn-europe"] == ("diffusers", TINY_MODEL)

    reviewer = get_user_model().objects.create_superuser("reviewer", "reviewer@example.com", "pw-12345678")
    for _ in variants:
        with django_capture_on_commit_callbacks(execute=True):
            item = review_item_claim_next(reviewer=reviewer)
            assert item is not None
            review_item_decide(item_id=item.pk, reviewer=reviewer, decision=DecisionInput(action="approve"))
    assert Decision.objects.filter(action="approve").count() == 3

    media = fake_shopify.product_media(SHOP_DOMAIN, remote.id)
    ours = [m for m in media if m.filename.startswith("vitrine-")]
    assert len(media) == 4 and len(ours) == 3
    assert all(m.observe_status() == "READY" for m in ours)
    for variant in live_variants(shopify_shop):
        assert variant.state == VariantState.PUBLISHED
        assert variant.remote_media_id in {m.id for m in ours}
        published = next(m for m in ours if m.id == variant.remote_media_id)
        assert published.alt == variant.alt_text and variant.alt_text
        # The published file is the output plus the AI-disclosure XMP packet; the metafield names that file.
        assert b"compositeWithTrainedAlgorithmicMedia" in published.content()
        marker = fake_shopify.product(SHOP_DOMAIN, remote.id).metafields[("$app", marker_key(variant.pk))]
        assert json.loads(marker["value"])["variant"] == variant.pk
        assert json.loads(marker["value"])["sha256"] == hashlib.sha256(published.content()).hexdigest()

    state_before = (Variant.objects.count(), ReviewItem.objects.count(), SourceImage.objects.filter(
        published_by_us=False).count())
    synced_before = Event.objects.filter(type="catalog.product_synced").count()

    # Shopify redelivers the same webhook (same delivery id): stored once, processed once.
    assert deliver(webhook).status_code == 200
    assert Event.objects.filter(type="catalog.product_synced").count() == synced_before

    # Our own publishing fired products/update webhooks: they resync, but plan nothing new.
    echoes = fake_shopify.take_outbox("products/update")
    assert echoes
    for echo in echoes:
        assert deliver(echo).status_code == 200
    assert (Variant.objects.count(), ReviewItem.objects.count(), SourceImage.objects.filter(
        published_by_us=False).count()) == state_before
    assert all(v.state == VariantState.PUBLISHED for v in live_variants(shopify_shop))
    assert not Variant.objects.filter(state=VariantState.REQUESTED).exists()
