"""The variant.generated handler: fidelity check, report and diff images stored, review item or failure."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.review.conftest import generated_variant, photo_source_image, png, product_photo, rendered
from vitrine.fidelity import FidelityReport
from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Variant, VariantTransition
from vitrine.platform.services import blob_put, blob_read
from vitrine.review import scoring
from vitrine.review.models import ReviewArtefact, ReviewItem
from vitrine.templates.models import VariantTemplate


def test_generated_event_scores_the_variant_and_opens_a_review_item(shop, django_capture_on_commit_callbacks):
    variant = generated_variant(shop, edit="background")
    with django_capture_on_commit_callbacks(execute=True):
        events.emit(events.VARIANT_GENERATED, {"variant_id": variant.pk}, shop=shop)

    variant.refresh_from_db()
    assert variant.state == VariantState.IN_REVIEW
    assert (variant.fidelity_verdict, variant.fidelity_score) == ("pass", 1.0)
    report = FidelityReport.from_dict(variant.fidelity)
    assert report.kind == "background" and report.mask.source == "given"  # the used mask was passed on
    item = ReviewItem.objects.get(variant=variant)
    assert item.state == ReviewItem.State.OPEN and item.shop == shop
    artefacts = {a.name: a.blob for a in ReviewArtefact.objects.filter(variant=variant)}
    assert set(artefacts) == {"heatmap", "outlines", "pair", "aligned"}
    aligned = Image.open(io.BytesIO(blob_read(artefacts["aligned"])))
    assert aligned.size == (variant.source_image.width, variant.source_image.height)
    assert Event.objects.get(type=events.VARIANT_GENERATED).delivered_at is not None


def test_a_changed_product_is_queued_with_its_regions(shop):
    variant = generated_variant(shop, edit="patch")
    item = scoring.variant_assess(variant_id=variant.pk)
    variant.refresh_from_db()
    assert item is not None and variant.fidelity_verdict == "review"
    [region] = variant.fidelity["regions"]
    x0, y0, x1, y1 = region["box"]
    assert x0 <= 60 and y0 <= 70 and x1 >= 68 and y1 >= 78  # the recoloured 8x8 patch at (60, 70)


def test_below_the_hard_floor_the_variant_fails_with_reasons(shop):
    variant = generated_variant(shop, edit="product")
    assert scoring.variant_assess(variant_id=variant.pk) is None
    variant.refresh_from_db()
    assert variant.state == VariantState.FAILED
    assert variant.fidelity_verdict == "fail"
    assert variant.failure_reason.startswith("The product in this variant differs too much from the original")
    assert "below the floor of 0.25" in variant.failure_reason
    assert not ReviewItem.objects.filter(variant=variant).exists()
    assert ReviewArtefact.objects.filter(variant=variant).count() == 4  # kept to show the merchant why
    assert Event.objects.filter(type=events.VARIANT_FAILED, payload__variant_id=variant.pk).exists()


def test_assessing_twice_changes_nothing(shop):
    variant = generated_variant(shop, edit="background")
    first = scoring.variant_assess(variant_id=variant.pk)
    second = scoring.variant_assess(variant_id=variant.pk)
    assert first.pk == second.pk
    assert ReviewItem.objects.count() == 1
    assert VariantTransition.objects.filter(variant=variant, to_state="in_review").count() == 1


def test_template_thresholds_apply(shop):
    # A template that tolerates nothing sends even a clean background swap to a person.
    strict = {"fidelity_thresholds": {"hard_floor": 0.0, "changed_share_pass": 0.00001,
                                      "changed_share_fail": 0.00002, "delta_e_p95_pass": 0.00001,
                                      "delta_e_p95_fail": 0.00002}}
    variant = generated_variant(shop, edit="patch", fidelity_thresholds=strict["fidelity_thresholds"])
    scoring.variant_assess(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.fidelity["thresholds"]["changed_share_pass"] == 0.00001
    assert variant.state == VariantState.IN_REVIEW and variant.fidelity_verdict == "review"


def test_invalid_template_thresholds_fail_the_variant_clearly(shop):
    variant = generated_variant(shop, fidelity_thresholds={"ssim_pass": "high"})
    scoring.variant_assess(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == VariantState.FAILED
    assert variant.failure_reason == (
        "The template's fidelity thresholds are invalid: fidelity threshold 'ssim_pass' must be a finite number, "
        "got 'high'"
    )


def test_rewritten_text_lines_are_left_out_of_the_comparison(shop, django_capture_on_commit_callbacks):
    # The "patch" edit stands in for a rewritten label: reported as rewritten by the render, it no longer counts.
    variant = generated_variant(shop, edit="patch", kind="text_localize")
    details = {"lines": [{"source": "AB", "target": "ÄB", "box": [58, 68, 70, 80], "ink": [56, 66, 72, 82]}]}
    Variant.objects.filter(pk=variant.pk).update(render_details={**details, "offset": [0, 0]})
    with django_capture_on_commit_callbacks(execute=True):
        events.emit(events.VARIANT_GENERATED, {"variant_id": variant.pk, "offset": [0, 0], "details": details},
                    shop=shop)
    variant.refresh_from_db()
    assert variant.fidelity["ignore_boxes"] == [[56, 66, 72, 82]]
    assert variant.fidelity["regions"] == []


def test_rewritten_boxes_join_the_old_text_and_the_new_ink_in_source_pixels():
    details = {"lines": [{"box": [10, 10, 20, 20], "ink": [14, 12, 26, 22]}, {"box": [30, 5, 40, 9]}]}
    assert scoring.rewritten_text_boxes(details, (2, 2)) == [(10, 10, 24, 20), (30, 5, 40, 9)]
    with pytest.raises(ValueError, match=r"must carry a box \[x0, y0, x1, y1\]; got \{'ink': \[1, 2, 3, 4\]\}"):
        scoring.rewritten_text_boxes({"lines": [{"ink": [1, 2, 3, 4]}]}, (0, 0))


def test_a_recentred_product_is_compared_with_its_own_mask(shop, django_capture_on_commit_callbacks):
    # A marketplace main image puts the product on a larger white canvas; the used mask is in output pixels.
    variant = generated_variant(shop, edit="background")
    image, mask = product_photo(seed=1)  # the photo generated_variant used
    canvas = np.full((200, 200, 3), 255, np.uint8)
    canvas[30:190, 20:180][mask] = image[mask]
    used = np.zeros((200, 200), np.uint8)
    used[30:190, 20:180][mask] = 255
    Variant.objects.filter(pk=variant.pk).update(
        output=blob_put(data=png(canvas), content_type="image/png", width=200, height=200),
        used_mask=blob_put(data=png(used), content_type="image/png", width=200, height=200),
        render_details={"offset": [20, 30]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        events.emit(events.VARIANT_GENERATED, {"variant_id": variant.pk, "offset": [20, 30], "details": {}},
                    shop=shop)
    variant.refresh_from_db()
    assert variant.fidelity["mask"]["source"] == "given"
    assert variant.fidelity["variant_size"] == [200, 200]
    assert variant.fidelity_verdict == "pass"


def test_unreadable_output_fails_the_variant(shop):
    variant = generated_variant(shop)
    Variant.objects.filter(pk=variant.pk).update(output=blob_put(data=b"not an image", content_type="image/png"))
    scoring.variant_assess(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == VariantState.FAILED
    assert variant.failure_reason.startswith("The images could not be read for the fidelity check")


def test_a_check_that_cannot_run_sends_the_variant_to_a_person(shop):
    variant = generated_variant(shop)
    tiny = blob_put(data=png(np.zeros((8, 8, 3), np.uint8)), content_type="image/png", width=8, height=8)
    Variant.objects.filter(pk=variant.pk).update(output=tiny)
    item = scoring.variant_assess(variant_id=variant.pk)
    variant.refresh_from_db()
    assert item is not None and variant.state == VariantState.IN_REVIEW
    assert variant.fidelity_verdict == "review" and variant.fidelity_score is None
    assert "sides under 16 px" in variant.fidelity["error"]


@pytest.mark.slow
def test_printed_text_is_read_when_ocr_is_on(shop, settings):
    settings.FIDELITY_OCR = True
    variant = generated_variant(shop, edit="background")
    scoring.variant_assess(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.fidelity["ocr"] is True
    assert "printed text was not read (OCR skipped)" not in variant.fidelity["notes"]


STRICT = {"hard_floor": 0.0, "changed_share_pass": 0.00001, "changed_share_fail": 0.00002,
          "delta_e_p95_pass": 0.00001, "delta_e_p95_fail": 0.00002}


def _planned_from_strict_template(shop) -> tuple[Variant, VariantTemplate, np.ndarray, np.ndarray]:
    """A variant the planner made from a new template with STRICT thresholds (a merchant's request)."""
    from vitrine.templates.planner import variants_request
    from vitrine.templates.services import template_create

    template = template_create(slug="strict-patch", kind="background", title="Strict", description="Strict.",
                               fidelity_thresholds=STRICT)
    source, image, mask = photo_source_image(shop, seed=1)
    outcome = variants_request(shop=shop, product_ids=[source.product_id], template_slugs=[template.slug],
                               market_ids=[shop.markets.first().pk], actor="user:test")
    (variant_id,) = outcome.created
    return Variant.objects.get(pk=variant_id), template, image, mask


def test_thresholds_of_the_template_version_reach_the_report(shop):
    variant, _, image, mask = _planned_from_strict_template(shop)
    assert variant.fidelity_thresholds == STRICT  # copied when planned
    scoring.variant_assess(variant_id=rendered(variant, image, mask, "patch").pk)
    variant.refresh_from_db()
    assert variant.fidelity["thresholds"]["changed_share_pass"] == 0.00001
    assert variant.fidelity_verdict == "review"


def test_the_thresholds_a_reviewer_sees_are_those_at_planning_time(shop):
    """A template changed after planning (a new version, or even its planned version's row edited) does not
    move the gate of a variant planned before."""
    from tests.review.test_regenerate_params import LOOSE
    from vitrine.templates.services import template_revise

    variant, template, image, mask = _planned_from_strict_template(shop)
    revised = template_revise(template_id=template.pk, changes={"fidelity_thresholds": LOOSE})
    assert revised.version == 2  # the planned version was used, so the change is a new version
    VariantTemplate.objects.filter(pk=template.pk).update(fidelity_thresholds=LOOSE)
    scoring.variant_assess(variant_id=rendered(variant, image, mask, "patch").pk)
    variant.refresh_from_db()
    assert variant.fidelity["thresholds"]["changed_share_pass"] == 0.00001
    assert variant.fidelity_verdict == "review"  # LOOSE would have passed the recoloured patch
