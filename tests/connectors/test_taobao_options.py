"""Item properties through the fake gateway: props_name and property_alias become the product's options, so a
Taobao item sold in several colours gets colourways."""

from __future__ import annotations

import logging

import pytest

from tests.factories import png_bytes
from vitrine.connectors.taobao.api import item_options
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Product
from vitrine.templates.colourways import colourways_overview

pytest_plugins = ["tests.fakes.taobao.fixtures"]

COLOUR, SIZE = 1627207, 20509  # the pids Taobao gives 颜色分类 and 尺码
DRESS_PROPS = [
    (COLOUR, 28341, "颜色分类", "黑色"),
    (SIZE, 28314, "尺码", "S"),
    (COLOUR, 3232481, "颜色分类", "深蓝色"),  # aliased by the seller: 藏青
    (SIZE, 28315, "尺码", "M"),
    (SIZE, 28314, "尺码", "S"),  # a value listed twice counts once
]


def synced(fake_top, seller, shop, **item) -> Product:  # type: ignore[no-untyped-def]
    added = fake_top.add_item(seller, title="Silk dress", images=[png_bytes(96, 96, seed=5)], **item)
    product = product_sync(shop_id=shop.pk, external_id=str(added.num_iid))
    assert product is not None
    return product


def test_sale_properties_become_options_with_the_sellers_aliases_and_give_colourways(
    fake_top, taobao_seller, taobao_shop
):
    product = synced(fake_top, taobao_seller, taobao_shop, props=DRESS_PROPS, aliases={(COLOUR, 3232481): "藏青"})

    product.refresh_from_db()
    assert product.options == [{"name": "颜色分类", "values": ["黑色", "藏青"]},
                               {"name": "尺码", "values": ["S", "M"]}]
    rows = colourways_overview(product)
    assert [row.value for row in rows] == ["黑色", "藏青"]
    assert rows[0].photographed and not rows[1].photographed  # no alt text names a colour: the first one
    assert rows[1].suggested == "#1F2A44"  # the alias is what gets a swatch suggestion


def test_an_item_without_properties_has_no_options(fake_top, taobao_seller, taobao_shop):
    product = synced(fake_top, taobao_seller, taobao_shop)
    assert product.options == []
    assert colourways_overview(product) == []


def test_the_properties_are_asked_for_and_not_sent_unasked(fake_top, taobao_seller, taobao_shop):
    item = fake_top.add_item(taobao_seller, title="Tee", images=[], props=DRESS_PROPS[:1])
    assert "props_name" not in fake_top._item_json(item, {"num_iid", "title"})
    product_sync(shop_id=taobao_shop.pk, external_id=str(item.num_iid))
    assert Product.objects.get(external_id=str(item.num_iid)).options == [{"name": "颜色分类", "values": ["黑色"]}]


def test_a_malformed_segment_is_skipped_and_the_item_still_syncs(fake_top, taobao_seller, taobao_shop, caplog):
    item = fake_top.add_item(taobao_seller, title="Tee", images=[png_bytes(96, 96, seed=6)])
    item.raw_overrides = {
        "props_name": "1627207:28341:颜色分类:黑色;garbage;20509::尺码:S;1627207:28320:颜色分类:白色;;",
        "property_alias": "1627207:28320:象牙白;not-an-alias",
    }
    with caplog.at_level(logging.DEBUG, logger="vitrine.connectors.taobao.api"):
        product = product_sync(shop_id=taobao_shop.pk, external_id=str(item.num_iid))

    assert product is not None and product.images.count() == 1
    assert product.options == [{"name": "颜色分类", "values": ["黑色", "象牙白"]}]
    skipped = [record.getMessage() for record in caplog.records if "skipped" in record.getMessage()]
    assert len(skipped) == 3  # "garbage", the segment without a vid, the alias without one


def test_escaped_colons_and_semicolons_in_names_are_restored(fake_top, taobao_seller, taobao_shop):
    product = synced(fake_top, taobao_seller, taobao_shop, props=[
        (SIZE, 28383, "尺码", "EU:38"), (COLOUR, 90554, "颜色分类", "黑;白拼色"), (122216347, 1, "风格:细分", "通勤"),
    ], aliases={(COLOUR, 90554): "黑:白"})
    assert product.options == [{"name": "尺码", "values": ["EU:38"]}, {"name": "颜色分类", "values": ["黑:白"]},
                               {"name": "风格:细分", "values": ["通勤"]}]


@pytest.mark.parametrize(("props_name", "alias", "expected"), [
    ("", "", ()),
    (None, None, ()),
    (12, "", ()),  # not text
    ("1:2:材质:棉#cln#麻", "", (("材质", ("棉:麻",)),)),
    ("1:2:颜色:红;1:3:颜色:蓝", "1:3:红", (("颜色", ("红",)),)),  # an alias equal to another value: once
    ("1:2:颜色:红:多余", "", ()),  # an unescaped colon: five parts
])
def test_item_options_reads_the_wire_format(props_name, alias, expected):
    assert item_options(props_name, alias) == expected
