"""Seed a throwaway database for the API fuzz run and print an owner's personal API token.

Run by scripts/api-fuzz.sh (DJANGO_SETTINGS_MODULE and DATABASE_URL point at the throwaway database): one
CSV shop with two markets, products with images (one with a colour option), variants in every state, a review
item, a rule, a glossary entry, a colleague, and a second shop whose objects must stay invisible.
"""

from __future__ import annotations

import io
import os
import sys

import django


def png(seed: int) -> bytes:
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, size=(96, 96, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def seed() -> str:
    from django.contrib.auth.models import User
    from django.utils import timezone

    from vitrine.api.services import api_token_create
    from vitrine.platform.models import Market, Product, Shop, ShopMembership, SourceImage, Variant
    from vitrine.platform.services import image_intake
    from vitrine.review.models import ReviewItem
    from vitrine.templates.models import GlossaryEntry, TemplateRule

    shops = []
    for name in ("fuzz.example", "elsewhere.example"):
        shop = Shop.objects.create(provider="csvfile", external_id=name, name=name, installed_at=timezone.now())
        markets = [Market.objects.create(shop=shop, locale="de-DE", region="DE"),
                   Market.objects.create(shop=shop, locale="fr-FR", region="FR")]
        variants = []
        for index, state in enumerate(["requested", "failed", "in_review", "approved", "published", "rejected"]):
            # The first product is sold in two colours (its colourway endpoints get past "no colour option").
            options = [{"name": "Color", "values": ["Black", "Navy"]}] if index == 0 else []
            product = Product.objects.create(shop=shop, external_id=f"p{index}", title=f"Product {index}",
                                             product_type="Mug", tags=["fuzz"], status="active", options=options)
            intake = image_intake(png(index + 100 * len(shops)), filename=f"p{index}.png")
            image = SourceImage.objects.create(
                product=product, remote_id=f"img{index}", original=intake.original, image=intake.image,
                sha256=intake.image.sha256, width=96, height=96)
            variants.append(Variant.objects.create(
                shop=shop, source_image=image, market=markets[index % 2], kind="background",
                template_slug="studio-sweep-light", template_version=1, source_sha256=image.sha256, seed=index + 1,
                state=state, output=intake.image, fidelity_verdict="pass", fidelity_score=0.95,
                failure_reason="The render timed out." if state == "failed" else ""))
        ReviewItem.objects.create(variant=variants[2], shop=shop, due_at=timezone.now())
        TemplateRule.objects.create(shop=shop, template_slug="studio-sweep-warm")
        GlossaryEntry.objects.create(shop=shop, source_text="Mug", locale="de", translation="Becher")
        colleague = User.objects.create_user(f"colleague@{name}", email=f"colleague@{name}")
        ShopMembership.objects.create(user=colleague, shop=shop, role="reviewer")
        shops.append(shop)
    owner = User.objects.create_user("owner@fuzz.example", email="owner@fuzz.example")
    ShopMembership.objects.create(user=owner, shop=shops[0], role="owner")
    _, raw = api_token_create(shop=shops[0], user=owner, name="fuzz")
    return raw


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vitrine.platform.settings")
    django.setup()
    print(seed())
