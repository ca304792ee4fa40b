"""The edit kinds: the one list the models' choices, the recipes, the fidelity thresholds and the templates read.

It sits at the package root, beside no app, and imports nothing: the kernel may not import inference or
fidelity, and fidelity may not import the kernel, yet all of them name the same kinds. A new kind is added
here, then given a recipe (``vitrine.inference.kinds``), thresholds (``vitrine.fidelity.thresholds``) and a
label in the merchant app (``vitrine.console.labels``); ``tests/test_edit_kinds.py`` checks each has it.
"""

from __future__ import annotations

BACKGROUND = "background"
MODEL_SWAP = "model_swap"
TEXT_LOCALIZE = "text_localize"
COLOURWAY = "colourway"
CLEANUP = "cleanup"

# Code -> label, in the order lists and choices show them.
LABELS: dict[str, str] = {
    BACKGROUND: "Background replacement",
    MODEL_SWAP: "Model swap",
    TEXT_LOCALIZE: "Text localization",
    COLOURWAY: "Colourway (recolour to another SKU)",
    CLEANUP: "Promotional overlay clean-up",
}
KINDS: tuple[str, ...] = tuple(LABELS)
