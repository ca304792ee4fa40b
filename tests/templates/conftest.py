"""Builders for planner tests: products with images, brought in through the kernel's own upsert."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.factories import png_bytes
from vitrine.connectors.base import RemoteImage, RemoteProduct
from vitrine.platform.catalog import product_upsert
from vitrine.platform.models import Product, Shop


@dataclass
class FakeStore:
    """A connector serving image bytes by URL; enough for ``product_upsert``."""

    shop: Shop
    files: dict[str, bytes] = field(default_factory=dict)
    own: set[str] = field(default_factory=set)

    def fetch_image_bytes(self, image: RemoteImage) -> bytes:
        return self.files[image.url]

    def is_own_media(self, image: RemoteImage) -> bool:
        return image.url in self.own

    def product(
        self,
        handle: str,
        *,
        images: int = 1,
        seed: int = 0,
        title: str = "",
        product_type: str = "",
        tags: tuple[str, ...] = (),
        vendor: str = "",
    ) -> Product:
        """Upsert a product whose images are ``images`` random PNGs (``seed`` picks their pixels)."""
        remote_images = []
        for position in range(1, images + 1):
            url = f"https://store.example/{handle}/{position}-{seed}.png"
            self.files[url] = png_bytes(seed=seed * 100 + position)
            remote_images.append(RemoteImage(remote_id=f"{handle}-{position}", url=url, position=position))
        remote = RemoteProduct(
            external_id=handle,
            title=title or handle.title(),
            handle=handle,
            product_type=product_type,
            tags=tags,
            vendor=vendor,
            images=tuple(remote_images),
        )
        return product_upsert(shop=self.shop, remote=remote, connector=self)


@pytest.fixture
def store(shop: Shop) -> FakeStore:
    return FakeStore(shop)
