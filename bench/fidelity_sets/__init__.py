"""Labelled sets for the SKU-fidelity benchmark (``bench/fidelity.py``), one per edit kind and split.

Each edit kind has a calibration split (the only one thresholds may be tuned on) and a held-out split
built independently of it (see :mod:`bench.fidelity_sets.heldout`, :mod:`bench.fidelity_sets.kinds`,
:mod:`bench.fidelity_sets.colourway` and :mod:`bench.fidelity_sets.cleanup`).
The held-out splits are frozen: ``FROZEN`` holds the digest of each one's pixels and labels, recorded
before any threshold was touched; docs/fidelity.md says how thresholds may be recalibrated.

Adding an edit kind is one entry in ``SETS``: a builder per split returning labelled pairs whose
``kind`` is the new kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bench.fidelity_sets import calibration, cleanup, colourway, heldout, kinds
from bench.fidelity_sets.common import Evaluation, Outcome, Pair, evaluate, fingerprint

SPLITS = ("calibration", "held_out")

SETS: dict[str, dict[str, Callable[[], list[Pair]]]] = {
    "background": {"calibration": calibration.pairs, "held_out": heldout.pairs},
    "model_swap": {
        "calibration": lambda: kinds.model_swap_pairs(kinds.CALIBRATION),
        "held_out": lambda: kinds.model_swap_pairs(kinds.HELD_OUT),
    },
    "text_localize": {
        "calibration": lambda: kinds.text_localize_pairs(kinds.CALIBRATION),
        "held_out": lambda: kinds.text_localize_pairs(kinds.HELD_OUT),
    },
    "colourway": {
        "calibration": lambda: colourway.colourway_pairs(colourway.CALIBRATION),
        "held_out": lambda: colourway.colourway_pairs(colourway.HELD_OUT),
    },
    "cleanup": {
        "calibration": lambda: cleanup.cleanup_pairs(cleanup.CALIBRATION),
        "held_out": lambda: cleanup.cleanup_pairs(cleanup.HELD_OUT),
    },
}

FROZEN_FILE = Path(__file__).with_name("frozen.json")


def pairs(kind: str, split: str) -> list[Pair]:
    if kind not in SETS:
        raise KeyError(f"no labelled set for edit kind {kind!r}; known: {sorted(SETS)}")
    if split not in SPLITS:
        raise KeyError(f"unknown split {split!r}; expected one of {SPLITS}")
    return SETS[kind][split]()


def frozen() -> dict[str, str]:
    """kind -> the recorded fingerprint of its held-out split."""
    return json.loads(FROZEN_FILE.read_text()) if FROZEN_FILE.exists() else {}


__all__ = ["SETS", "SPLITS", "Evaluation", "Outcome", "Pair", "evaluate", "fingerprint", "frozen", "pairs"]
