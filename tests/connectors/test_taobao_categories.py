"""Taobao categories: named through taobao.itemcats.get (cached), kept readably on the product, and matched
by template rules by name (any level) or by id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import png_bytes
from tests.fakes.taobao.server import Fault
from vitrine.connectors.errors import ApiUnavailable
from vitrine.connectors.models import TaobaoCategory
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Variant
from vitrine.templates.planner import product_plan
from vitrine.templates.services import catalogue_sync, rule_set

pytest_plugins = ["tests.fakes.taobao.fixtures"]

ITEMCATS = "taobao.itemcats.get"


def synced(fake_top, seller, shop, *, title: str, cid: int):  # type: ignore[no-untyped-def]
    item = fake_top.add_item(seller, title=title, images=[png_bytes(96, 96, seed=cid % 97)], cid=cid)
    return product_sync(shop_id=shop.pk, external_id=str(item.num_iid))


def test_the_category_path_is_named_in_chinese_and_cached(fake_top, taobao_seller, taobao_shop, settings):
    dress = synced(fake_top, taobao_seller, taobao_shop, title="Silk dress", cid=50010850)
    assert (dress.product_type, dress.category) == ("50010850", "女装/女士精品 > 连衣裙")
    assert fake_top.stats.calls[ITEMCATS] == 2  # the category, then its parent

    tee = synced(fake_top, taobao_seller, taobao_shop, title="Cotton tee", cid=50000671)
    assert tee.category == "女装/女士精品 > T恤"
    assert fake_top.stats.calls[ITEMCATS] == 3  # the shared parent came from the cache

    product_sync(shop_id=taobao_shop.pk, external_id=dress.external_id)
    assert fake_top.stats.calls[ITEMCATS] == 3
    TaobaoCategory.objects.update(fetched_at=TaobaoCategory.objects.get(cid="16").fetched_at
                                  - timedelta(seconds=settings.TAOBAO_CATEGORY_TTL + 1))
    product_sync(shop_id=taobao_shop.pk, external_id=dress.external_id)
    assert fake_top.stats.calls[ITEMCATS] == 5  # stale: asked again


def test_rules_match_taobao_items_by_category_name_or_id(fake_top, taobao_seller, taobao_shop):
    catalogue_sync()
    dress = synced(fake_top, taobao_seller, taobao_shop, title="Silk dress", cid=50010850)
    mug = synced(fake_top, taobao_seller, taobao_shop, title="Mug", cid=50016436)
    assert mug.category == "厨房/烹饪用具 > 杯子/水杯/水壶 > 马克杯"
    bag = synced(fake_top, taobao_seller, taobao_shop, title="Tote", cid=50012010)

    rule_set(shop=taobao_shop, template_slug="marketplace-white", product_types=["连衣裙", "50012010"])
    rule_set(shop=taobao_shop, template_slug="studio-sweep-light", product_types=["厨房/烹饪用具"])
    for product in (dress, mug, bag):
        product_plan(product_id=product.pk)

    planned = {(v.source_image.product.title, v.template_slug) for v in Variant.objects.select_related(
        "source_image__product")}
    assert planned == {("Silk dress", "marketplace-white"), ("Tote", "marketplace-white"),
                       ("Mug", "studio-sweep-light")}


def test_an_unknown_category_leaves_the_path_empty_and_the_item_synced(fake_top, taobao_seller, taobao_shop):
    product = synced(fake_top, taobao_seller, taobao_shop, title="Odd thing", cid=99999999)
    assert (product.product_type, product.category) == ("99999999", "")
    assert product.images.count() == 1


def test_a_gateway_outage_while_naming_the_category_fails_the_sync_for_a_retry(fake_top, taobao_seller,
                                                                               taobao_shop):
    item = fake_top.add_item(taobao_seller, title="Silk dress", images=[png_bytes(96, 96, seed=3)])
    fake_top.faults.append(Fault(ITEMCATS, "http_500", times=5))
    with pytest.raises(ApiUnavailable):
        product_sync(shop_id=taobao_shop.pk, external_id=str(item.num_iid))
    fake_top.faults.clear()
    assert product_sync(shop_id=taobao_shop.pk, external_id=str(item.num_iid)).category == "女装/女士精品 > 连衣裙"
