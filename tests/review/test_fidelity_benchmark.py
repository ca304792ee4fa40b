"""The labelled fidelity sets (bench/fidelity_sets): how they are built, that the held-out split shares
nothing with the calibration split, and a reduced run that must meet the targets."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from skimage import color

from bench import fidelity_sets
from bench.fidelity_sets import calibration, heldout, kinds
from bench.fidelity_sets import cleanup as cleanup_set
from bench.fidelity_sets import colourway as colourway_set
from vitrine.fidelity import KINDS
from vitrine.fidelity import colourway as colourway_measure

CALIBRATION_ALTERING = {
    "colour_drift",
    "letter_changed",
    "logo_removed",
    "pattern_blurred",
    "outline_warped",
    "outline_pushed_out",
    "small_print_changed",
    "object_added",
    "texture_replaced",
    "part_cut_off",
    "frame_cropped",
}
CALIBRATION_PRESERVING = {"identical", "background", "shift", "scale", "jpeg", "round_trip", "mixed"}


@pytest.fixture(scope="module")
def first_products() -> list[calibration.Product]:
    return calibration.products()[:2]  # a packshot (a bottle, with small print) and a photograph


def test_every_edit_kind_has_a_labelled_set_in_both_splits():
    assert set(fidelity_sets.SETS) == set(KINDS)
    for kind, splits in fidelity_sets.SETS.items():
        expected = {s for s in fidelity_sets.SPLITS if kind in fidelity_sets.SINGLE_KIND_SPLITS.get(s, (kind,))}
        assert set(splits) == expected, kind
    with pytest.raises(KeyError, match="no labelled set for edit kind 'sepia'"):
        fidelity_sets.pairs("sepia", "held_out")


def test_the_held_out_split_shares_no_brand_photo_font_or_seed_with_calibration():
    assert not set(heldout.BRANDS) & set(calibration.BRANDS)
    assert not set(kinds.HELD_OUT.brands) & set(kinds.CALIBRATION.brands)
    assert not {line for pair in kinds.HELD_OUT.lines for line in pair} & {
        line for pair in kinds.CALIBRATION.lines for line in pair
    }
    calibration_photos = set(calibration.PHOTO_PRODUCTS) | {"brick", "grass", "gravel", "camera", "rocket"}
    assert not (set(heldout.PHOTOS) | set(heldout.GREY_PRINTS) - {"camera"}) & calibration_photos
    assert all(face.name.startswith("hershey") for face in (*heldout.TYPEFACES, *kinds.HELD_OUT.typefaces))
    assert all(face.name == "pil" for face in kinds.CALIBRATION.typefaces)
    assert heldout.SEED not in (7, 11) and kinds.HELD_OUT.seed != kinds.CALIBRATION.seed
    assert not set(kinds.HELD_OUT.patterns) & set(kinds.CALIBRATION.patterns)
    # edit parameters from disjoint ranges
    assert kinds.HELD_OUT.jpeg_quality[0] >= 70 and kinds.HELD_OUT.jpeg_quality[1] <= kinds.CALIBRATION.jpeg_quality[0]
    assert kinds.HELD_OUT.shift_px[0] >= kinds.CALIBRATION.shift_px[1]


def test_calibration_pairs_cover_every_edit_of_both_families(first_products):
    pairs = list(calibration.build_pairs(first_products))
    assert {p.edit for p in pairs if p.altering} == CALIBRATION_ALTERING
    assert {p.edit for p in pairs if not p.altering} == CALIBRATION_PRESERVING
    assert {p.family for p in first_products} == {"packshot", "photo"}
    for pair in pairs:
        assert pair.variant.dtype == np.uint8 and pair.variant.ndim == 3
        assert pair.mask.shape == pair.original.shape[:2] and pair.mask.any()
        assert pair.kind == "background"
    identical = next(p for p in pairs if p.edit == "identical")
    assert np.array_equal(identical.original, identical.variant)
    again = list(calibration.build_pairs(first_products))
    assert all(np.array_equal(a.variant, b.variant) for a, b in zip(pairs, again, strict=True))


def test_colour_drift_is_at_least_three_delta_e(first_products):
    rng = np.random.default_rng(0)
    for product in first_products:
        for _ in range(3):
            drifted = calibration.colour_drift(product, rng)
            moved = np.any(drifted != product.image, axis=2)
            delta_e = color.deltaE_ciede2000(color.rgb2lab(product.image[moved]), color.rgb2lab(drifted[moved]))
            assert np.median(delta_e) >= 3.0


def test_a_changed_letter_touches_only_its_own_slot(first_products):
    packshot = first_products[0]
    for edit in (calibration.letter_changed, calibration.small_print_changed):
        changed = edit(packshot, np.random.default_rng(1))
        ys, xs = np.nonzero(np.any(changed != packshot.image, axis=2))
        assert len(xs) > 0 and xs.max() - xs.min() < 40 and ys.max() - ys.min() < 50  # one glyph at 512 px


def test_an_outline_pushed_outwards_grows_the_product_mask(first_products):
    packshot = first_products[0]
    image, grown = calibration.outline_pushed_out(packshot, np.random.default_rng(2))
    gained, lost = (grown & ~packshot.mask).sum(), (packshot.mask & ~grown).sum()
    assert gained > 100 and lost < gained / 4  # outwards: a thin neck nearby may lose a few pixels
    assert not np.array_equal(image, packshot.image)


def test_text_localize_pairs_carry_the_rewritten_box_and_the_named_alterations():
    pairs = kinds.text_localize_pairs(kinds.HELD_OUT)
    assert {p.edit for p in pairs if p.altering} == {"digit_changed", "brand_char_dropped", "translation_over_product"}
    for pair in pairs:
        assert pair.kind == "text_localize" and len(pair.ignore_boxes) == 1
        x0, y0, x1, y1 = pair.ignore_boxes[0]
        assert 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512
        assert pair.mask[y0:y1, x0:x1].all()  # the rewritten line lies on the product


def test_model_swap_alterations_stay_inside_the_garment():
    pairs = [p for p in kinds.model_swap_pairs(kinds.CALIBRATION) if p.product.endswith("-0")]
    assert {p.edit for p in pairs if p.altering} == {
        "pattern_changed",
        "pattern_rescaled",
        "logo_changed",
        "logo_removed",
        "colour_changed",
        "colour_changed_part",
    }
    assert all(p.kind == "model_swap" for p in pairs)


@pytest.mark.slow
def test_reduced_benchmark_meets_the_targets():
    # A calibration-generator draw of its own (not the one the thresholds were calibrated on).
    evaluation = fidelity_sets.evaluate(calibration.build_pairs(calibration.products(seed=303)[:6], seed=404))
    misses = [(o.pair, o.verdict, o.reasons) for o in evaluation.misses()]
    assert evaluation.auroc >= 0.98, misses
    assert evaluation.altering_caught_rate >= 0.95, misses
    assert evaluation.preserving_pass_rate >= 0.90, misses


def test_colourway_and_cleanup_held_out_splits_share_no_brand_font_seed_or_method_with_calibration():
    for module in (colourway_set, cleanup_set):
        held_out, calibration_style = module.HELD_OUT, module.CALIBRATION
        assert not set(held_out.brands) & set(calibration_style.brands)
        assert not set(held_out.brands) & (set(kinds.CALIBRATION.brands) | set(calibration.BRANDS))
        assert all(face.name.startswith("hershey") for face in held_out.typefaces)
        assert all(face.name == "pil" for face in calibration_style.typefaces)
        assert held_out.seed != calibration_style.seed
        assert held_out.jpeg_quality[1] <= calibration_style.jpeg_quality[0]
        assert held_out.drift[0] >= calibration_style.drift[1]
    assert (colourway_set.CALIBRATION.recolour, colourway_set.HELD_OUT.recolour) == ("recipe", "oklab")
    assert not set(colourway_set.HELD_OUT.patterns) & set(colourway_set.CALIBRATION.patterns)
    assert not set(colourway_set.HELD_OUT.logos) & set(colourway_set.CALIBRATION.logos)
    assert colourway_set.HELD_OUT.missed_by[1] <= colourway_set.CALIBRATION.missed_by[0]
    assert colourway_set.HELD_OUT.missed_by[0] > 6.0  # a miss is always beyond the fail limit
    assert (cleanup_set.CALIBRATION.fill, cleanup_set.HELD_OUT.fill) == ("telea", "convolution")
    assert not set(cleanup_set.HELD_OUT.overlays) & set(cleanup_set.CALIBRATION.overlays)
    assert not set(cleanup_set.HELD_OUT.words) & set(cleanup_set.CALIBRATION.words)
    assert cleanup_set.HELD_OUT.smear_px[1] <= cleanup_set.CALIBRATION.smear_px[0]


def test_the_frozen_held_out_splits_of_the_new_kinds_keep_their_fingerprint():
    recorded = fidelity_sets.frozen("held_out")
    for kind in ("colourway", "cleanup"):
        assert fidelity_sets.fingerprint(fidelity_sets.pairs(kind, "held_out")) == recorded[kind], kind


def test_the_second_held_out_draw_is_frozen_for_every_kind_and_keeps_its_fingerprint():
    recorded = fidelity_sets.frozen("held_out_2")
    assert set(recorded) == set(fidelity_sets.SETS)
    for kind in ("text_localize", "cleanup"):  # the quicker ones to draw
        assert fidelity_sets.fingerprint(fidelity_sets.pairs(kind, "held_out_2")) == recorded[kind], kind


def test_the_second_held_out_draw_shares_no_seed_string_or_photo_with_the_other_splits():
    first, second = heldout.HELD_OUT, heldout.HELD_OUT_2
    assert not set(second.brands) & (set(first.brands) | set(calibration.BRANDS))
    assert not set(second.small_print) & set(first.small_print)
    calibration_photos = set(calibration.PHOTO_PRODUCTS) | {"brick", "grass", "gravel", "camera", "rocket"}
    assert not (set(second.photos) | set(second.grey_prints)) & (
        set(first.photos) | set(first.grey_prints) | calibration_photos
    )
    for module in (kinds, colourway_set, cleanup_set):
        styles = (module.CALIBRATION, module.HELD_OUT, module.HELD_OUT_2)
        assert len({style.seed for style in styles}) == 3, module.__name__
        assert not set(module.HELD_OUT_2.brands) & (set(module.HELD_OUT.brands) | set(module.CALIBRATION.brands))
        # the same held-out generator: typefaces, methods and parameter ranges as the first draw
        assert module.HELD_OUT_2.typefaces == module.HELD_OUT.typefaces
    assert not {line for pair in kinds.HELD_OUT_2.lines for line in pair} & {
        line for style in (kinds.HELD_OUT, kinds.CALIBRATION) for pair in style.lines for line in pair
    }
    earlier_words = set(cleanup_set.HELD_OUT.words) | set(cleanup_set.CALIBRATION.words)
    assert not set(cleanup_set.HELD_OUT_2.words) & earlier_words


@pytest.mark.parametrize("split", ["held_out_3", "held_out_4"])
def test_the_later_held_out_draws_are_frozen_for_every_kind_and_keep_their_fingerprint(split):
    recorded = fidelity_sets.frozen(split)
    assert set(recorded) == set(fidelity_sets.SETS)
    for kind in ("text_localize",):  # the quickest to draw
        assert fidelity_sets.fingerprint(fidelity_sets.pairs(kind, split)) == recorded[kind], kind


LATER_DRAWS = {3: "HELD_OUT_3", 4: "HELD_OUT_4"}


@pytest.mark.parametrize("number", sorted(LATER_DRAWS))
def test_a_later_held_out_draw_shares_no_seed_string_or_photo_with_the_splits_before_it(number):
    name = LATER_DRAWS[number]
    earlier_names = ["HELD_OUT", "HELD_OUT_2", *(LATER_DRAWS[n] for n in sorted(LATER_DRAWS) if n < number)]
    earlier_draws = [getattr(heldout, n) for n in earlier_names]
    later = getattr(heldout, name)
    assert later.seed not in {draw.seed for draw in earlier_draws}
    assert not set(later.brands) & ({b for draw in earlier_draws for b in draw.brands} | set(calibration.BRANDS))
    assert not set(later.small_print) & {line for draw in earlier_draws for line in draw.small_print}
    calibration_photos = set(calibration.PHOTO_PRODUCTS) | {
        "brick",
        "grass",
        "gravel",
        "camera",
        "rocket",
        "hubble_deep_field",
        "coffee",
        "astronaut",
        "chelsea",
    }
    earlier_photos = {photo for draw in earlier_draws for photo in (*draw.photos, *draw.grey_prints)}
    assert not (set(later.photos) | set(later.grey_prints)) & (earlier_photos | calibration_photos)
    for module in (kinds, colourway_set, cleanup_set):
        earlier = [module.CALIBRATION, *(getattr(module, n) for n in earlier_names)]
        style = getattr(module, name)
        assert style.seed not in {s.seed for s in earlier}, module.__name__
        assert not {b.lower() for b in style.brands} & {b.lower() for s in earlier for b in s.brands}, module.__name__
        assert style.typefaces == module.HELD_OUT.typefaces  # the same held-out generator
    earlier_kinds = [kinds.CALIBRATION, *(getattr(kinds, n) for n in earlier_names)]
    later_lines = {line for pair in getattr(kinds, name).lines for line in pair}
    assert not later_lines & {line for style in earlier_kinds for pair in style.lines for line in pair}
    assert not set(getattr(kinds, name).weights) & {w for s in earlier_kinds[1:] for w in s.weights}
    earlier_cleanup = [cleanup_set.CALIBRATION, *(getattr(cleanup_set, n) for n in earlier_names)]
    assert not set(getattr(cleanup_set, name).words) & {w for s in earlier_cleanup for w in s.words}


@pytest.mark.parametrize("style", [colourway_set.CALIBRATION, colourway_set.HELD_OUT], ids=lambda s: s.split)
def test_colourway_pairs_reach_their_target_unless_labelled_as_missing_it(style):
    pairs = [p for p in colourway_set.colourway_pairs(replace(style, products=2)) if p.product.endswith("-0")]
    altering = {
        "target_missed",
        "logo_lost",
        "logo_recoloured",
        "pattern_changed",
        "letter_changed",
        "colour_changed_part",
        "outline_pushed_out",
    }
    edge = style.gamut_edge_jpeg_quality is not None  # the calibration case at the gamut's edge
    if edge:
        on_top = ("logo_lost", "logo_recoloured", "letter_changed", "colour_changed_part")
        altering |= {f"gamut_edge_{e}" for e in on_top}
    assert {p.edit for p in pairs if p.altering} == altering
    by_edit = {p.edit: p for p in pairs}
    for pair in pairs:
        assert pair.kind == "colourway" and pair.target_colour is not None
    for edit in ("recoloured", "recoloured_second_target", "own_colour") + (("gamut_edge",) if edge else ()):
        pair = by_edit[edit]
        assert colourway_measure.target_delta_e(pair.variant, pair.mask, pair.target_colour) < 3.0, edit
        # the background is kept (the held-out recolour blends the anti-aliased rim just outside the mask)
        moved = np.any(pair.variant != pair.original, axis=2) & ~pair.mask
        outside = cv2.distanceTransform((~pair.mask).astype(np.uint8), cv2.DIST_L2, 3)
        assert not moved.any() or outside[moved].max() <= 2, edit
    missed = by_edit["target_missed"]
    assert colourway_measure.target_delta_e(missed.variant, missed.mask, missed.target_colour) > 6.0
    recoloured = by_edit["recoloured"]
    assert np.median(np.abs(recoloured.variant[recoloured.mask].astype(int) - recoloured.original[recoloured.mask])) > 5
    if edge:
        # at the gamut's edge: much of the body clipped in some channel, and the drifted part really drifted
        clipped = by_edit["gamut_edge"].variant[by_edit["gamut_edge"].mask]
        assert ((clipped == 0) | (clipped == 255)).any(axis=1).mean() > 0.2
        drifted = by_edit["gamut_edge_colour_changed_part"]
        assert np.any(drifted.variant != by_edit["gamut_edge"].variant)


@pytest.mark.parametrize("style", [cleanup_set.CALIBRATION, cleanup_set.HELD_OUT], ids=lambda s: s.split)
def test_cleanup_pairs_keep_the_product_exactly_unless_altering(style):
    pairs = cleanup_set.cleanup_pairs(replace(style, products=1))
    shallow = {"fill_over_product_edge_shallow"} if style.shallow_smear_px is not None else set()
    assert {p.edit for p in pairs if p.altering} == {
        "letter_changed",
        "digit_changed",
        "logo_removed",
        "colour_drift",
        "fill_over_product_edge",
        *shallow,
    }
    for pair in pairs:
        assert pair.kind == "cleanup"
        product_same = np.array_equal(pair.variant[pair.mask], pair.original[pair.mask])
        if pair.edit in ("overlays_removed", "true_background"):
            assert product_same, pair.edit
            assert not np.array_equal(pair.variant, pair.original)  # the overlays are gone
        elif pair.altering:
            assert not product_same, pair.edit
    smear = next(p for p in pairs if p.edit == "fill_over_product_edge")
    changed = np.any(smear.variant != smear.original, axis=2) & smear.mask
    inside = cv2.distanceTransform(smear.mask.astype(np.uint8), cv2.DIST_L2, 3)
    assert changed.any() and inside[changed].max() <= style.smear_px[1] + 1  # only along the edge
    if style.shallow_smear_px is not None:
        smear = next(p for p in pairs if p.edit == "fill_over_product_edge_shallow")
        changed = np.any(smear.variant != smear.original, axis=2) & smear.mask
        assert changed.any() and inside[changed].max() <= style.shallow_smear_px[1] + 1


def test_the_fifth_held_out_draw_is_of_the_colourway_kind_only_frozen_and_new():
    assert fidelity_sets.kinds_of("held_out_5") == ["colourway"]
    assert set(fidelity_sets.frozen("held_out_5")) == {"colourway"}
    fifth = colourway_set.HELD_OUT_5
    earlier = [colourway_set.CALIBRATION, colourway_set.HELD_OUT, colourway_set.HELD_OUT_2, colourway_set.HELD_OUT_3,
               colourway_set.HELD_OUT_4]
    assert fifth.seed not in {s.seed for s in earlier} | {s.seed + n for s in earlier for n in (1, 2)}
    assert not {b.lower() for b in fifth.brands} & {b.lower() for s in earlier for b in s.brands}
    assert (fifth.recolour, fifth.typefaces, fifth.missed_by) == (
        colourway_set.HELD_OUT.recolour, colourway_set.HELD_OUT.typefaces, colourway_set.HELD_OUT.missed_by)
    with pytest.raises(KeyError, match="drawn for colourway only"):
        fidelity_sets.pairs("background", "held_out_5")
