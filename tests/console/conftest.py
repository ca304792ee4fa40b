"""Merchant-app test data: a CSV shop with real product photos, its owner, and a Shopify shop installed
against the fake Shopify."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from tests.connectors.conftest import (  # noqa: F401 (fixtures used by the embedded-app tests)
    CLIENT_ID,
    CLIENT_SECRET,
    SHOP_DOMAIN,
    fake_shopify,
    shopify_settings,
    shopify_shop,
)
from vitrine.connectors.csvfile.services import MarketSpec, catalogue_import, csv_shop_ensure
from vitrine.platform.models import Shop, ShopMembership
from vitrine.platform.roles import Role
from vitrine.templates.services import catalogue_sync

PASSWORD = "console-tests-pw-7731"
PRODUCTS = (("mug", "Blue Mug", (28, 64, 150)), ("tin", "Tea Tin", (20, 110, 70)),
            ("vase", "Red Vase", (160, 40, 40)))


def packshot(path: Path, colour: tuple[int, int, int]) -> None:
    image = Image.new("RGB", (192, 192), (255, 255, 255))
    image.paste(colour, (56, 36, 136, 156))
    image.paste((250, 250, 250), (80, 70, 112, 100))  # a printed panel: detail the fidelity check can follow
    image.save(path, format="PNG")


def make_member(username: str, shop: Shop, role: str) -> object:
    user = get_user_model().objects.create_user(username, f"{username}@example.com", PASSWORD)
    ShopMembership.objects.create(user=user, shop=shop, role=role)
    return user


@pytest.fixture
def csv_shop(tmp_path: Path, django_capture_on_commit_callbacks) -> Shop:  # type: ignore[no-untyped-def]
    """A CSV shop with three products and two markets, no template rules yet (the onboarding sets them)."""
    catalogue_sync()
    rows = ["Handle,Title,Type,Tags,Variant SKU,Image Src,Image Position,Image Alt Text"]
    for handle, title, colour in PRODUCTS:
        packshot(tmp_path / f"{handle}.png", colour)
        rows.append(f"{handle},{title},Homeware,packshot,{handle.upper()}-1,{handle}.png,1,{title}")
    (tmp_path / "products.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    shop = csv_shop_ensure(name="Corner Store", csv_path=tmp_path / "products.csv", images_dir=tmp_path,
                           export_dir=tmp_path / "export",
                           markets=[MarketSpec("de-DE", "DE", "Germany"), MarketSpec("zh-CN", "CN", "China")])
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_import(shop=shop, csv_path=tmp_path / "products.csv")
    return shop


@pytest.fixture
def owner(csv_shop: Shop):  # type: ignore[no-untyped-def]
    return make_member("olivia", csv_shop, Role.OWNER)
