"""The SKU-fidelity report on constructed pairs: one measure at a time, alignment, thresholds, artefacts."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from skimage import color
from skimage.metrics import structural_similarity

from vitrine.fidelity import (
    FidelityInputError,
    FidelityReport,
    ThresholdError,
    assess,
    compare,
    render_artefacts,
    thresholds_resolve,
)
from vitrine.fidelity.colour import delta_e_ciede2000, rgb_to_lab
from vitrine.fidelity.measures import ssim_map
from vitrine.fidelity.scoring import measure_score
from vitrine.inference.masks import ProtectMask

SIDE = 256
LABEL_TEXT_ORIGIN = (88, 140)  # left end of the label text's baseline middle
LETTER_SLOT = 21  # each letter of the label sits in its own fixed-width slot


def packshot(text: str = "ACME", body=(30, 70, 190)) -> tuple[np.ndarray, np.ndarray]:
    """A bottle-like product on white: coloured body, striped label with printed text, a round logo."""
    image = Image.new("RGB", (SIDE, SIDE), (255, 255, 255))
    mask = Image.new("L", (SIDE, SIDE), 0)
    for target, fill in ((ImageDraw.Draw(image), body), (ImageDraw.Draw(mask), 255)):
        target.rounded_rectangle((64, 40, 192, 232), radius=18, fill=fill)
        target.rectangle((108, 16, 148, 44), fill=fill)
    draw = ImageDraw.Draw(image)
    draw.rectangle((70, 112, 186, 172), fill=(250, 245, 230))
    for y in (116, 122, 162):
        draw.rectangle((70, y, 186, y + 2), fill=(150, 30, 30))
    font = ImageFont.load_default(size=30)
    for index, letter in enumerate(text):
        position = (LABEL_TEXT_ORIGIN[0] + index * LETTER_SLOT, LABEL_TEXT_ORIGIN[1])
        draw.text(position, letter, font=font, fill=(120, 20, 20), anchor="lm")
    draw.ellipse((108, 62, 148, 102), fill=(250, 245, 230))
    draw.polygon([(128, 68), (136, 92), (116, 77), (140, 77), (120, 92)], fill=(150, 30, 30))
    return np.asarray(image).copy(), np.asarray(mask) >= 128


def on_backdrop(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The product pasted back exactly on a new, textured background."""
    ys, xs = np.mgrid[0:SIDE, 0:SIDE]
    backdrop = np.stack([90 + 60 * np.sin(xs / 9.0), 140 + 40 * np.cos(ys / 13.0), 110 + 0 * xs], axis=2)
    return np.where(mask[:, :, None], image, backdrop.astype(np.uint8))


def shifted(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, matrix, (SIDE, SIDE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def colour_drifted(image: np.ndarray, mask: np.ndarray, shift_ab: tuple[float, float]) -> np.ndarray:
    lab = rgb_to_lab(image)
    lab[:, :, 1] += shift_ab[0]
    lab[:, :, 2] += shift_ab[1]
    drifted = np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255 + 0.5, 0, 255).astype(np.uint8)
    return np.where(mask[:, :, None], drifted, image)


@pytest.fixture(scope="module")
def shot() -> tuple[np.ndarray, np.ndarray]:
    return packshot()


def test_identical_pair_passes_with_ideal_measures(shot):
    image, mask = shot
    report = compare(image, image, mask, ocr=False)
    assert (report.verdict, report.score) == ("pass", 1.0)
    assert report.measures["ssim"] == 1.0 and report.measures["delta_e_p95"] == 0.0
    assert report.measures["changed_share"] == 0.0 and report.regions == []
    assert report.alignment.method == "resize" and report.reasons == [
        "the product matches the original within tolerance"
    ]


def test_replaced_background_is_not_a_change(shot):
    image, mask = shot
    report = compare(image, on_backdrop(image, mask), mask, ocr=False)
    assert (report.verdict, report.score) == ("pass", 1.0)


def test_shift_only_passes_after_alignment(shot):
    image, mask = shot
    report = compare(image, shifted(on_backdrop(image, mask), 5.3, -3.7), mask, ocr=False)
    assert report.verdict == "pass", report.reasons
    assert report.alignment.shift_px == pytest.approx((5.3, -3.7), abs=0.25)
    assert report.measures["ssim"] > 0.95  # sub-pixel resampling softens the drawn edges a little


def test_rescaled_and_cropped_variant_is_aligned(shot):
    image, mask = shot
    zoomed = cv2.resize(on_backdrop(image, mask), (300, 300), interpolation=cv2.INTER_CUBIC)[10:290, 6:296]
    report = compare(image, zoomed, mask, ocr=False)
    assert report.verdict == "pass", report.reasons
    assert report.alignment.scale == pytest.approx(300 / SIDE, rel=0.005)
    assert report.variant_size == (290, 280)


def test_colour_drift_alone_is_caught_by_colour(shot):
    image, mask = shot
    drifted = colour_drifted(image, mask, (12.0, -10.0))
    drift = color.deltaE_ciede2000(color.rgb2lab(image[mask]), color.rgb2lab(drifted[mask]))
    assert 3.0 <= np.median(drift) <= 4.0  # a drift a customer notices, not a different colour
    report = compare(image, on_backdrop(drifted, mask), mask, ocr=False)
    assert report.verdict != "pass"
    assert report.measure_scores["delta_e_p50"] < 0.75 and report.measures["delta_e_p50"] > 2.0
    assert report.measure_scores["ssim"] >= 0.75  # the structure is intact
    assert any(reason.startswith("colour shifted by ΔE") for reason in report.reasons)


def test_letter_change_alone_is_caught_by_pattern_measures(shot):
    image, mask = shot
    changed, _ = packshot("ACNE")
    report = compare(image, on_backdrop(changed, mask), mask, ocr=False)
    assert report.verdict != "pass"
    assert min(report.measure_scores["largest_change"], report.measure_scores["keypoint_match"]) < 0.75
    assert report.measure_scores["delta_e_p50"] >= 0.75  # the colours are intact
    letter_x = LABEL_TEXT_ORIGIN[0] + 2 * LETTER_SLOT
    x0, y0, x1, y1 = report.regions[0].box
    assert x0 <= letter_x + LETTER_SLOT and x1 >= letter_x and y0 <= LABEL_TEXT_ORIGIN[1] <= y1


def test_letter_change_is_named_by_ocr(shot):
    image, mask = shot
    changed, _ = packshot("ACNE")
    report = compare(image, on_backdrop(changed, mask), mask, ocr=True)
    assert report.measures["text_match"] is not None and report.measures["text_match"] < 1.0
    assert "text 'ACME' now reads 'ACNE'" in report.reasons
    same = compare(image, on_backdrop(image, mask), mask, ocr=True)
    assert same.measures["text_match"] == 1.0 and same.verdict == "pass"


def test_product_cut_off_by_the_frame_fails_below_the_hard_floor(shot):
    image, mask = shot
    cropped = on_backdrop(image, mask)[:, :150]  # the right part of the product is gone
    report = compare(image, cropped, mask, ocr=False)
    assert report.failed and report.measures["missing_share"] > 0.2
    assert any("cut off by the variant's frame" in reason for reason in report.reasons)
    lowered = compare(image, cropped, mask, thresholds={"hard_floor": 0.0}, ocr=False)
    assert lowered.verdict == "review" and lowered.score == report.score


def test_ignore_boxes_let_text_localization_rewrite_its_text(shot):
    image, mask = shot
    rewritten, _ = packshot("ZUGO")
    text_box = (LABEL_TEXT_ORIGIN[0] - 4, 126, LABEL_TEXT_ORIGIN[0] + 4 * LETTER_SLOT + 4, 158)
    variant = on_backdrop(rewritten, mask)
    assert compare(image, variant, mask, kind="text_localize", ocr=False).verdict != "pass"
    report = compare(image, variant, mask, kind="text_localize", ignore_boxes=[text_box], ocr=False)
    assert report.verdict == "pass", report.reasons
    assert report.ignore_boxes == [text_box]


def test_report_round_trips_through_json(shot):
    image, mask = shot
    changed, _ = packshot("ACNE")
    report = compare(image, shifted(on_backdrop(changed, mask), 2.0, 1.0), mask, ocr=False)
    restored = FidelityReport.from_json(report.to_json())
    assert restored == report
    assert {"verdict", "score", "measures", "reasons"} <= set(report.to_dict())
    with pytest.raises(ValueError, match="version 99 is not supported"):
        FidelityReport.from_dict({**report.to_dict(), "version": 99})


def test_mask_is_estimated_when_none_is_given(shot):
    image, mask = shot
    report = compare(image, on_backdrop(image, mask), None, ocr=False)
    assert report.mask.source == "estimated" and report.mask.method == "classical"
    assert report.mask.confidence is not None and report.mask.confidence > 0.5
    assert any(
        note.startswith("the product mask was estimated (classical, confidence") for note in report.notes
    )
    assert report.verdict == "pass"


def test_an_unsure_estimated_mask_cannot_pass(shot, monkeypatch):
    image, mask = shot
    unsure = ProtectMask(
        mask=mask, confidence=0.2, method="classical", warnings=("the background is not plain",)
    )
    monkeypatch.setattr("vitrine.inference.masks.estimate_protect_mask", lambda _image: unsure)
    report = compare(image, image, None, ocr=False)
    assert report.verdict == "review" and report.score == 1.0
    assert any("estimated with low confidence (0.20)" in reason for reason in report.reasons)


def test_thresholds_resolve_defaults_kind_settings_and_template(settings):
    background, model_swap = thresholds_resolve("background"), thresholds_resolve("model_swap")
    assert model_swap["mask_erosion_px"] > background["mask_erosion_px"]
    settings.FIDELITY_THRESHOLDS = {"*": {"hard_floor": 0.1}, "model_swap": {"hard_floor": 0.2}}
    assert thresholds_resolve("background")["hard_floor"] == 0.1
    assert thresholds_resolve("model_swap")["hard_floor"] == 0.2
    assert thresholds_resolve("model_swap", {"hard_floor": 0.3})["hard_floor"] == 0.3


@pytest.mark.parametrize(
    ("kind", "overrides", "message"),
    [
        ("poster", None, "unknown edit kind 'poster'"),
        ("background", {"ssim_limit": 0.9}, "unknown fidelity threshold(s) ['ssim_limit']"),
        ("background", {"ssim_pass": 0.5}, "'ssim' must satisfy ideal > pass > fail"),
        ("background", {"hard_floor": 2}, "'hard_floor' must lie in [0.0, 1.0]"),
        ("background", {"gmsd_pass": "low"}, "'gmsd_pass' must be a finite number"),
    ],
)
def test_bad_thresholds_are_refused_with_the_reason(kind, overrides, message):
    with pytest.raises(ThresholdError) as error:
        thresholds_resolve(kind, overrides)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("make_arguments", "message"),
    [
        (
            lambda image, mask: (image, image, mask[:100]),
            "product_mask is 256x100 but the original is 256x256",
        ),
        (lambda image, mask: (image, image, np.zeros_like(mask)), "product_mask is empty"),
        (lambda image, mask: (image.astype(np.float32), image, mask), "original must hold 8-bit pixels"),
        (lambda image, mask: (image, image[:8, :8], mask), "variant is 8x8: sides under 16 px"),
        (lambda image, mask: (image, "variant.png", mask), "variant must be a numpy array or a PIL image"),
    ],
)
def test_bad_input_is_refused_with_the_reason(shot, make_arguments, message):
    image, mask = shot
    with pytest.raises(FidelityInputError) as error:
        compare(*make_arguments(image, mask), ocr=False)
    assert message in str(error.value)


def test_ignore_boxes_covering_the_product_are_refused(shot):
    image, mask = shot
    with pytest.raises(FidelityInputError, match="ignore boxes cover the whole product"):
        compare(image, image, mask, ignore_boxes=[(0, 0, SIDE, SIDE)], ocr=False)
    with pytest.raises(FidelityInputError, match="must have x1 > x0"):
        compare(image, image, mask, ignore_boxes=[(50, 50, 40, 60)], ocr=False)


def test_artefacts_are_pngs_rebuilt_from_the_stored_report(shot):
    image, mask = shot
    changed, _ = packshot("ACNE")
    variant = shifted(on_backdrop(changed, mask), 3.0, 2.0)
    assessment = assess(image, variant, mask, ocr=False)
    assert set(assessment.artefacts) == {"heatmap.png", "outlines.png", "pair.png", "aligned.png"}
    stored = FidelityReport.from_json(assessment.report.to_json())
    assert render_artefacts(image, variant, stored) == assessment.artefacts
    decoded = {name: np.asarray(Image.open(io.BytesIO(png))) for name, png in assessment.artefacts.items()}
    assert decoded["aligned.png"].shape[:2] == image.shape[:2]
    frame_height, frame_width = decoded["heatmap.png"].shape[:2]
    assert decoded["pair.png"].shape[1] > 2 * frame_width and decoded["pair.png"].shape[0] == frame_height
    red = (decoded["outlines.png"][:, :, 0] > 200) & (decoded["outlines.png"][:, :, 1] < 80)
    identical = assess(image, image, mask, ocr=False).artefacts
    red_identical = np.asarray(Image.open(io.BytesIO(identical["outlines.png"])))
    assert red.sum() > 20 and ((red_identical[:, :, 0] > 200) & (red_identical[:, :, 1] < 80)).sum() == 0
    with pytest.raises(ValueError, match="the report was made for 256x256"):
        render_artefacts(image[:200], variant, stored)


def test_ciede2000_matches_the_published_reference_and_scikit_image():
    # Sharma, Wu & Dalal (2005), table 1: pairs 1, 2, 3, 4, 7, 8, 17 and their ΔE00.
    lab1 = np.float32(
        [
            [50, 2.6772, -79.7751],
            [50, 3.1571, -77.2803],
            [50, 2.8361, -74.02],
            [50, -1.3802, -84.2814],
            [50, 0, 0],
            [50, -1, 2],
            [50, 2.49, -0.001],
        ]
    )
    lab2 = np.float32(
        [
            [50, 0, -82.7485],
            [50, 0, -82.7485],
            [50, 0, -82.7485],
            [50, 0, -82.7485],
            [50, -1, 2],
            [50, 0, 0],
            [50, -2.49, 0.0009],
        ]
    )
    expected = [2.0425, 2.8615, 3.4412, 1.0, 2.3669, 2.3669, 7.1792]
    assert delta_e_ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-3)
    rng = np.random.default_rng(4)
    rgb1 = rng.random((64, 64, 3), dtype=np.float32)
    rgb2 = np.clip(rgb1 + rng.normal(0, 0.05, rgb1.shape), 0, 1).astype(np.float32)
    reference = color.deltaE_ciede2000(color.rgb2lab(rgb1), color.rgb2lab(rgb2))
    assert np.abs(delta_e_ciede2000(rgb_to_lab(rgb1), rgb_to_lab(rgb2)) - reference).max() < 0.1


def test_ssim_map_matches_scikit_image():
    rng = np.random.default_rng(5)
    grey1 = cv2.GaussianBlur(rng.random((96, 96), dtype=np.float32), (0, 0), 1.0)
    grey2 = np.clip(grey1 + rng.normal(0, 0.03, grey1.shape), 0, 1).astype(np.float32)
    _, reference = structural_similarity(
        grey1, grey2, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, full=True
    )
    inner = (slice(8, -8), slice(8, -8))  # the two pad the border differently
    assert np.abs(ssim_map(grey1, grey2)[inner] - reference[inner]).max() < 1e-3


@pytest.mark.parametrize(
    ("measure", "ideal", "pass_value", "fail_value"),
    [("ssim", 1.0, 0.95, 0.75), ("delta_e_p95", 0.0, 3.8, 12.0)],
)
def test_measure_scores_sit_at_their_anchors(measure, ideal, pass_value, fail_value):
    limits = thresholds_resolve("background")
    assert (limits[f"{measure}_pass"], limits[f"{measure}_fail"]) == (pass_value, fail_value)
    assert measure_score(measure, ideal, limits) == 1.0
    assert measure_score(measure, pass_value, limits) == pytest.approx(0.75)
    assert measure_score(measure, fail_value, limits) == pytest.approx(0.25)
    assert measure_score(measure, fail_value + 2 * (fail_value - pass_value), limits) == 0.0
