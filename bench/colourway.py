"""Colourway accuracy and speed: the CIELAB recipe against a naive hue shift, in the same run.

    .venv/bin/python bench/colourway.py [--side 768] [--out bench/colourway.json]

A labelled set of synthetic garments (T-shirt outline, woven texture, folds, seams, a white printed logo)
and packshots (a box with the same shading model), each in a source colour, recoloured to several target
colours. For every case and method: CIEDE2000 of the product's dominant colour to the target (the figure
the fidelity check thresholds at 3), correlation of the high-pass L* channel with the source inside the
product away from the print (luminance detail kept), share of print pixels left unchanged, and time.

The baseline is what a quick script does: rotate the hue in HSV to the target's hue and keep saturation
and value (so neither lightness nor chroma moves toward the target).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
from skimage.color import rgb2lab

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import photos
from vitrine.inference.colourspace import delta_e00, dominant_lab, rgb_to_lab_exact
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import InferenceError
from vitrine.inference.masks import dilate, erode

SOURCES = {
    "red": (178, 34, 52),
    "navy": (31, 45, 92),
    "white": (236, 236, 232),
    "black": (34, 34, 36),
    "olive": (98, 110, 52),
    "sky": (120, 170, 220),
}
TARGETS = {
    "cobalt": "#1F3A93",
    "mustard": "#D8A31A",
    "charcoal": "#36393D",
    "ivory": "#EFE9D8",
    "burgundy": "#7A1F3D",
    "mint": "#98D7B8",
}
KINDS = ("garment", "packshot")


def hue_shift(source: np.ndarray, mask: np.ndarray, target_rgb: tuple[int, int, int]) -> np.ndarray:
    """The naive baseline: HSV hue set to the target's, saturation and value kept."""
    hsv = cv2.cvtColor(source, cv2.COLOR_RGB2HSV_FULL)
    target_hue = cv2.cvtColor(np.uint8([[target_rgb]]), cv2.COLOR_RGB2HSV_FULL)[0, 0, 0]
    shifted = hsv.copy()
    shifted[..., 0] = target_hue
    out = cv2.cvtColor(shifted, cv2.COLOR_HSV2RGB_FULL)
    result = source.copy()
    result[mask] = out[mask]
    return result


def highpass_correlation(before: np.ndarray, after: np.ndarray, region: np.ndarray) -> float:
    def highpass(rgb: np.ndarray) -> np.ndarray:
        lightness = rgb2lab(rgb)[..., 0].astype(np.float32)
        return lightness - cv2.GaussianBlur(lightness, (0, 0), 2.0)

    a, b = highpass(before)[region], highpass(after)[region]
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def summarise(rows: list[dict], method: str) -> dict:
    mine = [r for r in rows if r["method"] == method and r["delta_e"] is not None]
    errors = [r["delta_e"] for r in mine]
    return {
        "cases": len([r for r in rows if r["method"] == method]),
        "refused": len([r for r in rows if r["method"] == method and r["delta_e"] is None]),
        "delta_e_mean": round(statistics.fmean(errors), 2),
        "delta_e_p95": round(float(np.percentile(errors, 95)), 2),
        "delta_e_max": round(max(errors), 2),
        "within_3": round(sum(e <= 3.0 for e in errors) / len(errors), 3),
        "highpass_corr_min": round(min(r["highpass_corr"] for r in mine), 3),
        "highpass_corr_median": round(statistics.median(r["highpass_corr"] for r in mine), 3),
        "print_kept": round(statistics.fmean(r["print_kept"] for r in mine), 3),
        "ms_median": round(statistics.median(r["ms"] for r in mine), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=768)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    engine = Engine(EngineConfig(device="cpu", cpu_threads=1))
    rows = []
    for kind in KINDS:
        for source_name, colour in SOURCES.items():
            image, mask, logo = photos.textured_product(args.side, kind=kind, color=colour, logo=True, seed=1)
            source = np.asarray(image)
            body = erode(mask, 3) & ~dilate(logo, 4)
            for target_name, target in TARGETS.items():
                target_rgb = tuple(int(target[i : i + 2], 16) for i in (1, 3, 5))
                target_lab = tuple(float(v) for v in rgb_to_lab_exact(target_rgb)[0])
                label = {"kind": kind, "source": source_name, "target": target_name}
                started = time.perf_counter()
                try:
                    result = engine.render(
                        RenderRequest(image=image, recipe="colourway", params={"target": target}, mask=mask)
                    )
                    ours: np.ndarray | None = np.asarray(result.image)
                except InferenceError:
                    ours = None  # refused as out of reach: counted, not scored
                ours_ms = (time.perf_counter() - started) * 1000.0
                started = time.perf_counter()
                naive = hue_shift(source, mask, target_rgb)
                naive_ms = (time.perf_counter() - started) * 1000.0
                for method, output, ms in (("colourway", ours, ours_ms), ("hue_shift", naive, naive_ms)):
                    if output is None:
                        rows.append({**label, "method": method, "delta_e": None, "ms": ms})
                        continue
                    assert np.array_equal(output[~mask], source[~mask])
                    rows.append({
                        **label, "method": method, "ms": round(ms, 1),
                        "delta_e": round(delta_e00(dominant_lab(output, mask)[0], target_lab), 3),
                        "highpass_corr": round(highpass_correlation(source, output, body), 4),
                        "print_kept": float((output[logo] == source[logo]).all(axis=1).mean()),
                    })  # fmt: skip
    summary = {method: summarise(rows, method) for method in ("colourway", "hue_shift")}
    conditions = {
        "side": args.side,
        "cases": len(KINDS) * len(SOURCES) * len(TARGETS),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps({"conditions": conditions, "summary": summary}, indent=2))
    worst = sorted((r for r in rows if r["method"] == "colourway" and r["delta_e"] is not None),
                   key=lambda r: -r["delta_e"])[:5]  # fmt: skip
    print("worst colourway cases:", json.dumps(worst))
    if args.out:
        args.out.write_text(json.dumps({"conditions": conditions, "summary": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
