"""Product options (the colours a product is sold in) come through from Shopify, without raising page costs."""

from __future__ import annotations

from tests.connectors.conftest import SHOP_DOMAIN
from vitrine.connectors.shopify import services
from vitrine.connectors.shopify.sync import remote_product
from vitrine.platform.catalog import product_sync
from vitrine.platform.models import Product


def test_a_product_fetched_alone_carries_its_options(fake_shopify, shopify_shop, dispatched):  # type: ignore[no-untyped-def]
    remote = fake_shopify.add_product(
        SHOP_DOMAIN, title="Tee", images=1, options=(("Size", ["S", "M"]), ("Color", ["Red", "Navy"]))
    )
    product = product_sync(shop_id=shopify_shop.pk, external_id=remote.id)
    assert product is not None
    assert product.options == [{"name": "Size", "values": ["S", "M"]}, {"name": "Color", "values": ["Red", "Navy"]}]
    # A page sync reads no options (they would push a 50-product page over the query cost limit) and keeps them.
    services.catalog_sync(shop_id=shopify_shop.pk, full=True)
    assert Product.objects.get(pk=product.pk).options[1]["values"] == ["Red", "Navy"]


def test_options_in_a_bulk_row_are_read_and_absent_options_are_not_an_empty_list() -> None:
    node = {"id": "gid://shopify/Product/1", "title": "Tee", "options": [{"name": "颜色", "values": ["红色"]}]}
    assert remote_product(node, []).options == (("颜色", ("红色",)),)
    assert remote_product({"id": "gid://shopify/Product/1", "title": "Tee"}, []).options is None
