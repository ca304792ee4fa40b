"""Replace mode: an image we published in a merchant's slot is our own media, never a new source. The other
markets' variants of that photo stay live and publishable; only the merchant's own change supersedes them, and a
published one is superseded when another variant takes its place in the slot."""

from __future__ import annotations

import pytest

from tests.connectors.conftest import SHOP_DOMAIN
from tests.factories import make_variant, png_bytes
from vitrine.connectors import services as connector_services
from vitrine.connectors.models import PublishRecord
from vitrine.platform.catalog import product_sync
from vitrine.platform.lifecycle import IllegalTransition, VariantState
from vitrine.platform.models import Market, SourceImage, Variant
from vitrine.platform.services import blob_put, blob_read

pytest_plugins = ["tests.fakes.taobao.fixtures"]


def sibling(shop, source, *, locale: str, seed: int, state: str) -> Variant:  # type: ignore[no-untyped-def]
    variant = make_variant(shop, source_image=source, seed=seed, market=shop.markets.get(locale=locale))
    variant.output = blob_put(data=png_bytes(96, 96, seed=200 + seed), content_type="image/png")
    variant.alt_text = f"{source.product.title} ({locale})"
    variant.state = state
    variant.save()
    return variant


def states(*variants: Variant) -> list[str]:
    return [Variant.objects.get(pk=variant.pk).state for variant in variants]


# --- Shopify --------------------------------------------------------------------------------------
@pytest.mark.usefixtures("dispatched")
def test_shopify_replace_keeps_the_sibling_markets_live_until_the_merchant_changes_the_photo(
        fake_shopify, synced_product, shopify_shop):
    shopify_shop.publish_mode = "replace"
    shopify_shop.save()
    Market.objects.create(shop=shopify_shop, locale="fr-FR", region="FR", name="France")
    source = synced_product.images.order_by("position").first()
    original_sha, original_blob = source.sha256, source.original_id
    german = sibling(shopify_shop, source, locale="de-DE", seed=1, state=VariantState.APPROVED)
    american = sibling(shopify_shop, source, locale="en-US", seed=2, state=VariantState.IN_REVIEW)
    french = sibling(shopify_shop, source, locale="fr-FR", seed=3, state=VariantState.APPROVED)

    connector_services.variant_publish(variant_id=german.pk)
    slot = fake_shopify.product_media(SHOP_DOMAIN, synced_product.external_id)[0]
    assert slot.id == source.remote_id and slot.filename.startswith(f"vitrine-{german.pk}-")

    product_sync(shop_id=shopify_shop.pk, external_id=synced_product.external_id)  # the resync sees our file

    source.refresh_from_db()
    assert (source.sha256, source.original_id, source.published_by_us) == (original_sha, original_blob, False)
    assert not SourceImage.objects.filter(product=synced_product, published_by_us=True).exists()
    assert states(german, american, french) == ["published", "in_review", "approved"]

    # The French one is still publishable into the same slot; the German one no longer shows there, so it is
    # superseded (not left "published"), and there is nothing of it left to revert.
    connector_services.variant_publish(variant_id=french.pk)
    assert states(german, french) == ["superseded", "published"]
    slot = fake_shopify.product_media(SHOP_DOMAIN, synced_product.external_id)[0]
    assert slot.filename.startswith(f"vitrine-{french.pk}-")
    assert PublishRecord.objects.get(variant=french).checkpoint["replaced"]["alt"] == "Linen shirt, front"
    with pytest.raises(IllegalTransition):
        connector_services.variant_revert(variant_id=german.pk, actor="user:1")
    assert fake_shopify.product_media(SHOP_DOMAIN, synced_product.external_id)[0].filename == slot.filename
    product_sync(shop_id=shopify_shop.pk, external_id=synced_product.external_id)
    assert states(american) == ["in_review"]

    # The merchant puts a new photo of their own into the slot: that is a new source.
    with fake_shopify.lock:
        slot.data, slot.filename, slot.version = png_bytes(96, 96, seed=77), "IMG_0042.png", slot.version + 1
    product_sync(shop_id=shopify_shop.pk, external_id=synced_product.external_id)
    source.refresh_from_db()
    assert source.sha256 != original_sha and not source.published_by_us
    assert blob_read(source.original) == png_bytes(96, 96, seed=77)
    assert states(american, french) == ["superseded", "published"]


# --- Taobao ---------------------------------------------------------------------------------------
def test_taobao_replace_keeps_the_sibling_markets_live_until_the_seller_changes_the_photo(
        fake_top, taobao_seller, taobao_shop, synced_item):
    taobao_shop.publish_mode = "replace"
    taobao_shop.save()
    Market.objects.create(shop=taobao_shop, locale="en-US", region="US", name="United States")
    Market.objects.create(shop=taobao_shop, locale="ja-JP", region="JP", name="Japan")
    source = synced_item.images.order_by("position").first()
    original_sha, original_url = source.sha256, source.source_url
    chinese = sibling(taobao_shop, source, locale="zh-CN", seed=1, state=VariantState.APPROVED)
    american = sibling(taobao_shop, source, locale="en-US", seed=2, state=VariantState.IN_REVIEW)
    japanese = sibling(taobao_shop, source, locale="ja-JP", seed=3, state=VariantState.APPROVED)
    item = fake_top.items[int(synced_item.external_id)]
    seller_path = item.images[0].path

    connector_services.variant_publish(variant_id=chinese.pk)
    assert item.images[0].path != seller_path and str(item.images[0].id) == source.remote_id

    product_sync(shop_id=taobao_shop.pk, external_id=synced_item.external_id)
    source.refresh_from_db()
    assert (source.sha256, source.source_url, source.published_by_us) == (original_sha, original_url, False)
    assert states(chinese, american, japanese) == ["published", "in_review", "approved"]

    # The Japanese one replaces the same slot; the original a revert restores is still the seller's photo.
    connector_services.variant_publish(variant_id=japanese.pk)
    assert states(chinese, japanese) == ["superseded", "published"]
    assert PublishRecord.objects.get(variant=japanese).checkpoint["original"]["picture_path"] == seller_path
    product_sync(shop_id=taobao_shop.pk, external_id=synced_item.external_id)
    source.refresh_from_db()
    assert (source.sha256, source.published_by_us) == (original_sha, False)
    assert states(american) == ["in_review"]
    connector_services.variant_revert(variant_id=japanese.pk, actor="user:1")
    assert item.images[0].path == seller_path
    product_sync(shop_id=taobao_shop.pk, external_id=synced_item.external_id)
    assert states(american) == ["in_review"]

    # The seller's own new photo in the slot supersedes what was made from the old one.
    fake_top.update_item(item.num_iid, image=png_bytes(96, 96, seed=88))
    product_sync(shop_id=taobao_shop.pk, external_id=synced_item.external_id)
    source.refresh_from_db()
    assert source.sha256 != original_sha
    assert states(american) == ["superseded"]
