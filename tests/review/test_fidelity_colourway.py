"""The colourway kind of the fidelity report: a good recolour passes, a missed target or a lost print fails."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests import photos
from vitrine.fidelity import compare
from vitrine.inference.colourspace import rgb_to_lab_exact
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest


@pytest.fixture(scope="module")
def recoloured() -> tuple[Image.Image, np.ndarray, np.ndarray, Image.Image, tuple[float, ...]]:
    image, mask, logo = photos.textured_product(192, color=(178, 34, 52))
    engine = Engine(EngineConfig(device="cpu", cpu_threads=1))
    result = engine.render(RenderRequest(image=image, recipe="colourway", params={"target": "#1F3A93"}, mask=mask))
    target = tuple(float(v) for v in rgb_to_lab_exact((0x1F, 0x3A, 0x93))[0])
    return image, mask, logo, result.image, target


def test_a_faithful_colourway_passes_and_reports_its_distance(recoloured) -> None:  # type: ignore[no-untyped-def]
    image, mask, _, variant, target = recoloured
    report = compare(image, variant, mask, kind="colourway", target_colour=target, ocr=False)
    assert report.measures["target_delta_e"] <= 3.0
    assert report.verdict == "pass", report.reasons
    # The same picture judged as an ordinary edit is a colour change.
    assert compare(image, variant, mask, kind="background", ocr=False).verdict != "pass"


def test_missing_the_target_fails(recoloured) -> None:  # type: ignore[no-untyped-def]
    image, mask, _, variant, _ = recoloured
    far = tuple(float(v) for v in rgb_to_lab_exact((0xF2, 0xD1, 0x6B))[0])
    report = compare(image, variant, mask, kind="colourway", target_colour=far, ocr=False)
    assert report.measures["target_delta_e"] > 6.0
    assert report.verdict == "fail"
    assert any("misses its target colour" in reason for reason in report.reasons)


def test_a_lost_print_is_not_excused_by_the_recolour(recoloured) -> None:  # type: ignore[no-untyped-def]
    image, mask, logo, variant, target = recoloured
    damaged = np.asarray(variant).copy()
    body = np.median(damaged[mask & ~logo], axis=0).astype(np.uint8)
    damaged[logo] = body  # the logo painted over in the new colour
    report = compare(image, Image.fromarray(damaged), mask, kind="colourway", target_colour=target, ocr=False)
    assert report.verdict != "pass"


def _colourway_variant(shop, recoloured, target_hex: str):  # type: ignore[no-untyped-def]
    from tests.review.conftest import png
    from vitrine.platform.lifecycle import VariantState
    from vitrine.platform.models import Product, SourceImage, Variant
    from vitrine.platform.services import blob_put, image_intake

    image, mask, _, variant_image, _ = recoloured
    product = Product.objects.create(shop=shop, external_id=f"tee-{target_hex}", title="Tee")
    intake = image_intake(png(np.asarray(image)), filename="tee.png")
    source = SourceImage.objects.create(
        product=product, remote_id=f"tee-img-{target_hex}", original=intake.original, image=intake.image,
        sha256=intake.image.sha256, width=intake.normalized.width, height=intake.normalized.height,
    )
    side = image.width
    return Variant.objects.create(
        shop=shop, source_image=source, market=shop.markets.first(), kind="colourway",
        template_slug="colourways-from-options", template_version=1, source_sha256=source.sha256, seed=1,
        params={"target": target_hex}, state=VariantState.GENERATED, backend="classical",
        output=blob_put(data=png(np.asarray(variant_image)), content_type="image/png", width=side, height=side),
        used_mask=blob_put(data=png(mask.astype(np.uint8) * 255), content_type="image/png", width=side, height=side),
    )  # fmt: skip


def test_review_judges_a_colourway_variant_against_its_swatch(shop, recoloured) -> None:  # type: ignore[no-untyped-def]
    from vitrine.review import scoring

    good = _colourway_variant(shop, recoloured, "#1F3A93")
    assert scoring.variant_assess(variant_id=good.pk) is not None
    good.refresh_from_db()
    assert good.fidelity["kind"] == "colourway" and good.fidelity["measures"]["target_delta_e"] <= 3.0
    # The same picture filed as the mustard SKU missed its colour: failed without review.
    wrong = _colourway_variant(shop, recoloured, "#F2D16B")
    assert scoring.variant_assess(variant_id=wrong.pk) is None
    wrong.refresh_from_db()
    assert wrong.state == "failed" and "misses its target colour" in wrong.failure_reason


def test_a_part_drifted_apart_from_the_recolour_is_not_mapped_away(recoloured) -> None:  # type: ignore[no-untyped-def]
    # The map is fitted from the original to the variant: the drifted part starts from the same colours
    # as the rest of the body and cannot be sent somewhere else by the same map.
    image, mask, _, variant, target = recoloured
    drifted = np.asarray(variant).astype(np.int16).copy()
    lower = mask.copy()
    lower[: int(0.6 * mask.shape[0])] = False
    drifted[lower] += np.int16([18, -6, -14])  # a visible drift (ΔE00 above 5) over the lower part
    damaged = Image.fromarray(np.clip(drifted, 0, 255).astype(np.uint8))
    report = compare(image, damaged, mask, kind="colourway", target_colour=target, ocr=False)
    assert report.verdict != "pass", report.measures


def test_a_faithful_colourway_saved_as_jpeg_still_passes(recoloured) -> None:  # type: ignore[no-untyped-def]
    import io

    image, mask, _, variant, target = recoloured
    buffer = io.BytesIO()
    variant.save(buffer, format="JPEG", quality=75)
    saved = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    report = compare(image, saved, mask, kind="colourway", target_colour=target, ocr=False)
    assert report.verdict == "pass", report.reasons
