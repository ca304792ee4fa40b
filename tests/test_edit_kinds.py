"""One list of edit kinds: the choices, the recipes, the fidelity thresholds and the labels all follow it."""

from __future__ import annotations

from vitrine import edit_kinds
from vitrine.console import labels
from vitrine.fidelity import thresholds
from vitrine.inference.kinds import RECIPES
from vitrine.platform.models import EditKind, Variant
from vitrine.templates.models import VariantTemplate


def test_every_layer_knows_exactly_the_registered_kinds() -> None:
    kinds = list(edit_kinds.KINDS)
    assert EditKind.choices == list(edit_kinds.LABELS.items())
    assert [code for code, _ in Variant._meta.get_field("kind").choices] == kinds
    assert [code for code, _ in VariantTemplate._meta.get_field("kind").choices] == kinds
    assert list(thresholds.KINDS) == kinds
    assert sorted(thresholds.KIND_THRESHOLDS) == sorted(kinds)  # each kind has its calibrated thresholds
    assert sorted(RECIPES) == sorted(kinds)
    assert all(RECIPES[kind].parameters.recipe == kind for kind in kinds)
    assert sorted(labels.KINDS) == sorted(kinds)  # the merchant app words each one

