"""Checks a database that `make demo` filled: enough review items, and real photographs whose background
was visibly replaced. Run from the checkout the demo ran in: `.venv/bin/python scripts/check_demo.py`.
Exits non-zero, saying what is missing, when the demo fell short."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import django
import numpy as np

MIN_REVIEW_ITEMS = 30
MIN_REAL_PHOTOS_REPLACED = 3
# Mean colour change, in 8-bit levels, outside the kept product: a replaced background moves far more.
MIN_BACKGROUND_CHANGE = 20.0


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vitrine.platform.settings")
    django.setup()
    from PIL import Image

    from vitrine.platform.lifecycle import VariantState
    from vitrine.platform.models import Variant
    from vitrine.platform.services import blob_read
    from vitrine.review.models import ReviewItem

    def pixels(blob, mode: str) -> np.ndarray:  # type: ignore[no-untyped-def]
        with Image.open(io.BytesIO(blob_read(blob))) as image:
            return np.asarray(image.convert(mode))

    problems = []
    items = ReviewItem.objects.exclude(state=ReviewItem.State.DECIDED).count()
    print(f"review items waiting: {items}")
    if items < MIN_REVIEW_ITEMS:
        problems.append(f"only {items} review items, expected at least {MIN_REVIEW_ITEMS}")

    replaced: set[int] = set()
    rendered = Variant.objects.filter(kind="background", state=VariantState.IN_REVIEW).select_related(
        "source_image__product", "source_image__image", "output", "used_mask"
    )
    for variant in rendered:
        if "real-photo" not in variant.source_image.product.tags:
            continue
        source, output = pixels(variant.source_image.image, "RGB"), pixels(variant.output, "RGB")
        kept = pixels(variant.used_mask, "L") >= 128
        if source.shape != output.shape or kept.shape != source.shape[:2]:
            continue
        change = float(np.abs(source.astype(np.int16) - output.astype(np.int16))[~kept].mean())
        exact = bool(np.array_equal(source[kept], output[kept]))
        print(f"  variant {variant.pk} {variant.template_slug} on image {variant.source_image_id}: background "
              f"changed by {change:.1f} levels, product exact: {exact}")
        if change >= MIN_BACKGROUND_CHANGE and exact:
            replaced.add(variant.source_image_id)
    print(f"real photographs with a replaced background: {len(replaced)}")
    if len(replaced) < MIN_REAL_PHOTOS_REPLACED:
        problems.append(f"only {len(replaced)} real photographs got a visibly replaced background, expected "
                        f"at least {MIN_REAL_PHOTOS_REPLACED}")
    waiting = Variant.objects.filter(kind="model_swap", state=VariantState.WAITING).count()
    failed = Variant.objects.filter(kind="model_swap", state=VariantState.FAILED).count()
    print(f"model-swap variants waiting for a model: {waiting}, failed: {failed}")
    if failed:
        problems.append(f"{failed} model-swap variants failed instead of waiting for a model")
    for problem in problems:
        print(f"demo check failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
