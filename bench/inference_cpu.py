"""Milliseconds per 1024x1024 image for each CPU recipe, on one core (CPU time and wall time).

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

from tests import photos
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest

SIDE = 1024
TARGETS_MS = {"background": 300.0, "text_localize": 1500.0}


def text_card() -> Image.Image:
    """A 1024 px product card with a Chinese headline and a sub-line beside a packshot."""
    return photos.text_photo(
        [("纯棉T恤", (64, 96), 96), ("限时优惠 包邮", (64, 260), 64)],
        size=(SIDE, SIDE),
        background=(248, 246, 240),
        product=560,
    )


def mug() -> Image.Image:
    """A 1024 px mug with a ring handle on white: the classical mask opens the handle (enclosed background)."""
    product = np.zeros((SIDE, SIDE), np.uint8)
    cv2.rectangle(product, (256, 256), (640, 800), 1, -1)
    cv2.ellipse(product, (666, 525), (140, 166), 0, 0, 360, 1, 50)
    rng = np.random.default_rng(0)
    rgb = np.full((SIDE, SIDE, 3), 255, np.uint8)
    pattern = np.clip(np.array((40, 90, 160)) + rng.integers(-30, 31, (SIDE, SIDE, 3)), 0, 255).astype(np.uint8)
    rgb[product.astype(bool)] = pattern[product.astype(bool)]
    return Image.fromarray(rgb)


def cases() -> list[tuple[str, RenderRequest]]:
    shot, _ = photos.packshot(SIDE, background=(240, 240, 240))
    # The same product filling more of the frame: a 1000 px main image needs it >= 800 px, unenlarged.
    close_up = photos.packshot(1200, background=(240, 240, 240))[0].crop((88, 88, 88 + SIDE, 88 + SIDE))
    cutout = photos.cutout(np.asarray(Image.fromarray(skimage.data.astronaut()).resize((SIDE, SIDE))))
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
        ("background solid (mug, handle opened)", RenderRequest(image=mug(), recipe="background",
                                                                params={"mode": "solid", "color": "#FFFFFF"})),
        ("background marketplace (enlarged 2.2x)", RenderRequest(image=shot.resize((512, 512)), recipe="background",
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
    # CPU time is the one-core cost whatever else the machine runs; wall time is what this run saw.
    print(f"{'recipe':40} {'cpu ms':>7} {'wall ms':>8} {'target':>7}  stages (median wall ms)")
    failures = 0
    for name, request in cases():
        engine.render(request)  # warm-up: loads OCR models, fonts, allocator pools
        cpu: list[float] = []
        wall: list[float] = []
        stages: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = engine.render(request)
            cpu.append((time.process_time() - started_cpu) * 1000.0)
            wall.append((time.perf_counter() - started) * 1000.0)
            for stage, ms in result.metadata.timings.items():
                stages.setdefault(stage, []).append(ms)
        cpu_ms = statistics.median(cpu)
        target = TARGETS_MS[request.recipe]
        verdict = "ok" if cpu_ms <= target else "OVER"
        failures += cpu_ms > target
        detail = ", ".join(
            f"{stage} {statistics.median(values):.0f}"
            for stage, values in stages.items()
            if stage not in ("prepare", "finish", "total")
        )
        print(f"{name:40} {cpu_ms:7.0f} {statistics.median(wall):8.0f} {target:7.0f}  {verdict}: {detail}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
