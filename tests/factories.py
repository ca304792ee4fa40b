"""Small builders for kernel objects used across the apps' tests."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from vitrine.platform.models import Market, Product, Shop, SourceImage, Variant
from vitrine.platform.services import image_intake


def png_bytes(width: int = 96, height: int = 96, seed: int = 0, mode: str = "RGB") -> bytes:
    rng = np.random.default_rng(seed)
    channels = 4 if mode == "RGBA" else 3
    pixels = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def make_source_image(shop: Shop, *, external_id: str = "p1", remote_id: str = "img1", seed: int = 0
                      ) -> SourceImage:
    product, _ = Product.objects.get_or_create(shop=shop, external_id=external_id,
                                               defaults={"title": f"Product {external_id}"})
    intake = image_intake(png_bytes(seed=seed), filename=f"{remote_id}.png")
    return SourceImage.objects.create(
        product=product, remote_id=remote_id, original=intake.original, image=intake.image,
        sha256=intake.image.sha256, width=intake.normalized.width, height=intake.normalized.height,
    )


def make_variant(shop: Shop, *, market: Market | None = None, kind: str = "background", seed: int = 1,
                 template_slug: str = "white-main-image", source_image: SourceImage | None = None) -> Variant:
    image = source_image or make_source_image(shop, remote_id=f"img-{seed}", seed=seed)
    return Variant.objects.create(
        shop=shop, source_image=image, market=market or shop.markets.first(), kind=kind,
        template_slug=template_slug, template_version=1, source_sha256=image.sha256, seed=seed,
    )


def render_one(variant_id: int):  # type: ignore[no-untyped-def]
    """Render one variant the way the worker's task does (a batch of one): its outcome, or None when there was
    nothing to do (rendered already, or in another worker's hands)."""
    from vitrine.inference.services import variants_render

    outcomes = variants_render(variant_ids=[variant_id])
    return outcomes[0] if outcomes else None
