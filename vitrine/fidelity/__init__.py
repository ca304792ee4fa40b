"""SKU-fidelity report: is the product in a generated variant still exactly the merchant's product?

``compare(original, variant, product_mask)`` aligns the variant onto the original, measures structure,
colour, logo/pattern detail, printed text and the changed share inside the product, and returns a
:class:`FidelityReport` with a verdict (pass / review / fail), a score in [0, 1] and reasons in words.
``render_artefacts`` draws the reviewer's diff images; ``assess`` does both in one pass. docs/fidelity.md
describes the measures and thresholds.

A plain package, not a Django app: it reads only ``settings.FIDELITY_THRESHOLDS`` (when Django is set up) and
imports no app but the inference library's masks and OCR. The review app wraps it (scoring, queue, diff images);
the templates app checks a template's threshold overrides with it.
"""

from vitrine.fidelity.artefacts import render_artefacts
from vitrine.fidelity.assessment import Assessment, assess
from vitrine.fidelity.engine import compare
from vitrine.fidelity.imaging import FidelityInputError
from vitrine.fidelity.report import (
    VERDICT_FAIL,
    VERDICT_PASS,
    VERDICT_REVIEW,
    Alignment,
    ChangedRegion,
    FidelityReport,
    MaskInfo,
    TextComparison,
)
from vitrine.fidelity.thresholds import KINDS, ThresholdError, thresholds_resolve

__all__ = [
    "KINDS",
    "VERDICT_FAIL",
    "VERDICT_PASS",
    "VERDICT_REVIEW",
    "Alignment",
    "Assessment",
    "ChangedRegion",
    "FidelityInputError",
    "FidelityReport",
    "MaskInfo",
    "TextComparison",
    "ThresholdError",
    "assess",
    "compare",
    "render_artefacts",
    "thresholds_resolve",
]
