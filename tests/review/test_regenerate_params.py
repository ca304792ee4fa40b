"""A reviewer's regenerate changes generation parameters only: never the fidelity gate."""

from __future__ import annotations

import pytest

from tests.review.conftest import generated_variant, queued_item
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Variant
from vitrine.review import scoring, services
from vitrine.review.services import DecisionInput, InvalidDecision, review_item_decide

# Valid thresholds that let almost anything through.
LOOSE = {"hard_floor": 0.0, **{
    f"{metric}_{level}": value
    for metric, (passing, failing) in {
        "ssim": (0.002, 0.001), "keypoint_match": (0.002, 0.001), "text_match": (0.002, 0.001),
        "gmsd": (998.0, 999.0), "delta_e_p50": (998.0, 999.0), "delta_e_p95": (998.0, 999.0),
        "changed_share": (0.98, 0.99), "largest_change": (0.98, 0.99), "colour_change": (0.98, 0.99),
        "missing_share": (0.98, 0.99),
    }.items()
    for level, value in (("pass", passing), ("fail", failing))
}}


def regenerate(item, reviewer, params_adjust):  # type: ignore[no-untyped-def]
    return review_item_decide(item_id=item.pk, reviewer=reviewer, decision=DecisionInput(
        action="regenerate", reason_code="background_wrong", params_adjust=params_adjust))


@pytest.mark.parametrize(("params_adjust", "message"), [
    ({"fidelity_thresholds": LOOSE}, "fidelity thresholds are not a generation parameter"),
    ({"hard_floor": 0.0}, "has no parameter 'hard_floor'"),
    ({"shadow_opacity": 7}, "parameter changes refused"),
])
def test_a_regenerate_cannot_carry_anything_but_generation_parameters(shop, reviewer, params_adjust,  # type: ignore[no-untyped-def]
                                                                        message) -> None:
    item = queued_item(shop, seed=3)
    with pytest.raises(InvalidDecision, match=message):
        regenerate(item, reviewer, params_adjust)
    item.variant.refresh_from_db()
    assert item.variant.state == VariantState.IN_REVIEW and not Variant.objects.filter(supersedes=item.variant)


def test_a_generation_parameter_change_is_taken(shop, reviewer) -> None:  # type: ignore[no-untyped-def]
    item = queued_item(shop, seed=3)
    regenerate(item, reviewer, {"color": "#F4F4F4", "shadow_opacity": 0.2})
    new = Variant.objects.get(supersedes=item.variant)
    assert new.params["color"] == "#F4F4F4" and "fidelity_thresholds" not in new.params


def test_thresholds_in_a_variants_own_parameters_do_not_loosen_the_gate(shop) -> None:  # type: ignore[no-untyped-def]
    """A painted-over product is failed by the hard floor, whatever its parameters say."""
    variant = generated_variant(shop, edit="product", params={"fidelity_thresholds": LOOSE})
    assert scoring.variant_assess(variant_id=variant.pk) is None
    variant.refresh_from_db()
    assert variant.state == VariantState.FAILED
    # The same thresholds from the template (where they belong, copied onto the variant when it is planned) do
    # let it through: the gate reads only those.
    again = generated_variant(shop, edit="product", seed=2, fidelity_thresholds=LOOSE)
    assert scoring.variant_assess(variant_id=again.pk) is not None


def test_a_regenerated_variant_keeps_the_thresholds_it_was_planned_with(shop, reviewer) -> None:  # type: ignore[no-untyped-def]
    item = queued_item(shop, seed=3)
    Variant.objects.filter(pk=item.variant_id).update(fidelity_thresholds=LOOSE)
    regenerate(item, reviewer, {"color": "#F4F4F4"})
    assert Variant.objects.get(supersedes=item.variant).fidelity_thresholds == LOOSE
    generated = generated_variant(shop, seed=4, fidelity_thresholds=LOOSE)
    assert services.variant_regenerate(variant_id=generated.pk, actor="user:merchant").fidelity_thresholds == LOOSE


def test_only_a_role_allowing_review_claims_and_decides(shop) -> None:  # type: ignore[no-untyped-def]
    from tests.review.conftest import make_reviewer
    from vitrine.review.services import ItemNotFound, review_item_claim_next

    item = queued_item(shop, seed=4)
    viewer = make_reviewer("vera", [shop], role="viewer")
    assert review_item_claim_next(reviewer=viewer) is None
    with pytest.raises(ItemNotFound, match="may not review in"):
        review_item_decide(item_id=item.pk, reviewer=viewer, decision=DecisionInput(action="approve"))
    assert review_item_claim_next(reviewer=make_reviewer("rita", [shop])).pk == item.pk
