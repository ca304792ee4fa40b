"""The edit kinds this engine renders (recipe name -> recipe) and the seed derivation, importable without torch.

Planning (the templates app, the review app) needs the recipe names, their parameter sets and the seeds, but
must not load the ML stack: only :mod:`vitrine.inference.engine` (the worker side) imports torch and diffusers.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from vitrine import edit_kinds
from vitrine.inference.recipes.background import BackgroundRecipe
from vitrine.inference.recipes.base import Recipe
from vitrine.inference.recipes.cleanup import CleanupRecipe
from vitrine.inference.recipes.colourway import ColourwayRecipe
from vitrine.inference.recipes.model_swap import ModelSwapRecipe
from vitrine.inference.recipes.text_localize import TextLocalizeRecipe

__all__ = ["RECIPES", "derive_seed"]

RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (BackgroundRecipe(), ModelSwapRecipe(), TextLocalizeRecipe(), ColourwayRecipe(), CleanupRecipe())
}
# Every edit kind has its recipe and every recipe is an edit kind (checked at import, as a wrong list would
# only show when a variant of the missing kind is rendered).
if set(RECIPES) != set(edit_kinds.KINDS):
    raise ImportError(f"recipes {sorted(RECIPES)} do not match the edit kinds {sorted(edit_kinds.KINDS)}")


def derive_seed(*parts: Any) -> int:
    """A stable 63-bit seed from anything JSON can write (fits a signed 64-bit column)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)
