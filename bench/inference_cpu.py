"""Milliseconds per 1024x1024 image for each CPU recipe, on one core.

    .venv/bin/python bench/inference_cpu.py [--repeat 7]

Targets: classical background <= 300 ms, text localization <= 1.5 s. Model swap and generated
backgrounds need a diffusion model on a GPU: see bench/inference_gpu.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/torch/onnxruntime start their pools

import cv2
import numpy as np
import skimage.data
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vitrine.inference import testing
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest

SIDE = 1024
TARGETS_MS = {"background": 300.0, "text_localize": 1500.0}


def text_card() -> Image.Image:
    """A 1024 px product card with a Chinese headline and a sub-line beside a packshot."""
    return testing.text_photo(
        [("纯棉T恤", (64, 96), 96), ("限时优惠 包邮", (64, 260), 64)],
        size=(SIDE, SIDE),
        background=(248, 246, 240),
        product=560,
    )


def cases() -> list[tuple[str, RenderRequest]]:
    shot, _ = testing.packshot(SIDE, background=(240, 240, 240))
    # The same product filling more of the frame: a 1000 px main image needs it >= 800 px, unenlarged.
    close_up = testing.packshot(1200, background=(240, 240, 240))[0].crop((88, 88, 88 + SIDE, 88 + SIDE))
    cutout = testing.cutout(np.asarray(Image.fromarray(skimage.data.astronaut()).resize((SIDE, SIDE))))
    scene = Image.fromarray(skimage.data.rocket())
    translations = {"纯棉T恤": "Cotton tee", "限时优惠包邮": "Sale, free shipping"}
    return [
        ("background solid (classical mask)", RenderRequest(image=shot, recipe="background",
                                                            params={"mode": "solid", "color": "#FFFFFF"})),
        ("background studio (classical mask)", RenderRequest(image=shot, recipe="background",
                                                             params={"mode": "studio"})),
        ("background gradient (alpha cut-out)", RenderRequest(image=cutout, recipe="background",
                                                              params={"mode": "gradient", "direction": "radial"})),
        ("background scene photo", RenderRequest(image=shot, recipe="background",
                                                 params={"mode": "scene", "scene": "rocket"},
                                                 assets={"rocket": scene})),
        ("background marketplace", RenderRequest(image=close_up, recipe="background",
                                                 params={"mode": "marketplace", "min_side": 1000})),
        ("text_localize zh->en (OpenCV erase)", RenderRequest(image=text_card(), recipe="text_localize",
                                                              params={"target_language": "en",
                                                                      "translations": translations})),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    engine = Engine(EngineConfig(device="cpu", cpu_threads=1))
    print(
        f"one core (torch {torch.get_num_threads()} thread, OpenCV {cv2.getNumThreads()} thread, "
        f"OCR 1 thread); {SIDE}x{SIDE} px; median of {args.repeat} runs after one warm-up"
    )
    print(f"{'recipe':44} {'ms/image':>9} {'target':>8}  stages (median ms)")
    failures = 0
    for name, request in cases():
        engine.render(request)  # warm-up: loads OCR models, fonts, allocator pools
        wall: list[float] = []
        stages: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = engine.render(request)
            wall.append((time.perf_counter() - started) * 1000.0)
            for stage, ms in result.metadata.timings.items():
                stages.setdefault(stage, []).append(ms)
        median = statistics.median(wall)
        target = TARGETS_MS[request.recipe]
        verdict = "ok" if median <= target else "OVER"
        failures += median > target
        detail = ", ".join(
            f"{stage} {statistics.median(values):.0f}"
            for stage, values in stages.items()
            if stage not in ("prepare", "finish", "total")
        )
        print(f"{name:44} {median:9.0f} {target:8.0f}  {verdict}: {detail}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
