"""Diffusion throughput: our worker path against a plain diffusers call, in one run, on random weights.

    .venv/bin/python bench/inference_gpu.py                       # full-size SDXL inpainting on CUDA
    .venv/bin/python bench/inference_gpu.py --tiny --device cpu   # smoke run: checks the script end to end
    .venv/bin/python bench/inference_gpu.py --families models.json   # one row per model family, real weights
    .venv/bin/python bench/inference_gpu.py --families tiny --device cpu  # the same rows on tiny random models

The SDXL-inpainting architecture (2.6 B parameter UNet, both CLIP text encoders, the 4-level VAE) is
built from its config with random weights, saved, and loaded back through the model registry, so no
download is needed and the load path is the real one.

* plain:  ``from_pretrained`` in float32, one image per call, default attention, no compilation.
* worker: the engine (``vitrine.inference.engine``): bfloat16, SDPA attention, channels-last, optional
  ``torch.compile``, ``--batch`` images per call with one generator each, plus mask and paste-back.

Both are reported as images/s and as a share of the FLOP floor: the denoiser's FLOPs per image (measured
with PyTorch's FLOP counter on one pass, times steps, times 2 for classifier-free guidance) over the
accelerator's dense bf16 peak (``--peak-tflops``, ~790 for H100/H200 as used here).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from diffusers.utils import logging as diffusers_logging
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import photos
from tests.inference import tiny_models
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.pipelines import denoiser_of

MODEL_ID = "bench/sdxl-inpaint-random"
PROMPT = "a product photo on a marble table, soft daylight"


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def build_model(folder: Path, *, tiny: bool, device: torch.device) -> None:
    """Random-weight SDXL inpainting saved in bfloat16 (built on the device: initialising 3.5 B weights is slow)."""
    from diffusers import StableDiffusionXLInpaintPipeline

    torch.manual_seed(0)
    with torch.device(device if device.type == "cuda" else "cpu"):
        components = tiny_models.sdxl_components(tiny=tiny, directory=folder)
    pipe = StableDiffusionXLInpaintPipeline(**components, requires_aesthetics_score=False)
    for component in pipe.components.values():
        if isinstance(component, torch.nn.Module):
            component.to(dtype=torch.bfloat16)
    pipe.save_pretrained(folder)
    del pipe, components
    if device.type == "cuda":
        torch.cuda.empty_cache()


def registry_file(folder: Path, *, resolution: int) -> Path:
    entry = {
        "id": MODEL_ID, "pipeline_class": "StableDiffusionXLInpaintPipeline", "location": str(folder),
        "licence": "random weights", "commercial_use": True, "dtype": "bfloat16", "resolution": resolution,
    }  # fmt: skip
    path = folder.parent / "registry.json"
    path.write_text(json.dumps({"models": [entry]}), encoding="utf-8")
    return path


def denoiser_tflop_per_pass(pipe, resolution: int, device: torch.device) -> float:  # type: ignore[no-untyped-def]
    """FLOPs of one UNet pass for one image at ``resolution`` (batch 1, no guidance), in TFLOP."""
    from torch.utils.flop_counter import FlopCounterMode

    unet = denoiser_of(pipe)
    unet = getattr(unet, "_orig_mod", unet)  # count the eager module, not a compiled wrapper
    dtype = next(unet.parameters()).dtype
    side = resolution // pipe.vae_scale_factor
    sample = torch.randn(1, unet.config.in_channels, side, side, device=device, dtype=dtype)
    text = torch.randn(1, 77, unet.config.cross_attention_dim, device=device, dtype=dtype)
    added = {
        "text_embeds": torch.randn(1, pipe.text_encoder_2.config.projection_dim, device=device, dtype=dtype),
        "time_ids": torch.zeros(1, 6, device=device, dtype=dtype),
    }
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        unet(sample, torch.tensor([500], device=device), encoder_hidden_states=text, added_cond_kwargs=added)
    return counter.get_total_flops() / 1e12


def source_and_mask(resolution: int) -> tuple[Image.Image, np.ndarray]:
    shot, truth = photos.packshot(resolution)
    return shot, truth


def run_plain(folder: Path, args: argparse.Namespace, device: torch.device) -> float:
    """images/s of float32 diffusers, one image per call."""
    from diffusers import StableDiffusionXLInpaintPipeline

    pipe = StableDiffusionXLInpaintPipeline.from_pretrained(folder, dtype=torch.float32, local_files_only=True)
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    shot, truth = source_and_mask(args.resolution)
    mask = Image.fromarray(np.where(truth, 0, 255).astype(np.uint8))

    def one(seed: int, steps: int) -> None:
        pipe(
            prompt=PROMPT,
            image=shot,
            mask_image=mask,
            height=args.resolution,
            width=args.resolution,
            num_inference_steps=steps,
            guidance_scale=args.guidance,
            generator=torch.Generator(device=device).manual_seed(seed),
            output_type="np",
        )

    one(0, 2)  # warm-up: kernels, allocator
    times = []
    for seed in range(args.plain_images):
        synchronize(device)
        started = time.perf_counter()
        one(seed, args.steps)
        synchronize(device)
        times.append(time.perf_counter() - started)
    return 1.0 / statistics.median(times)


def run_worker(registry: Path, args: argparse.Namespace, device: torch.device) -> tuple[float, Engine]:
    """images/s of the engine: whole batches of ``--batch`` requests, paste-back included."""
    engine = Engine(
        EngineConfig(
            device=args.device,
            registry_file=str(registry),
            default_model=MODEL_ID,
            torch_compile=args.compile,
            batch_size=args.batch,
        )
    )
    shot, _ = source_and_mask(args.resolution)
    params = {"mode": "generate", "prompt": PROMPT, "steps": args.steps, "guidance": args.guidance}
    requests = [RenderRequest(image=shot, recipe="background", params=params, seed=seed) for seed in range(args.batch)]
    warm = [
        RenderRequest(image=shot, recipe="background", params={**params, "steps": 2}, seed=seed)
        for seed in range(args.batch)
    ]
    for outcome in engine.render_batch(warm):  # warm-up: load, compile, autotune
        if not hasattr(outcome, "image"):
            raise SystemExit(f"worker path failed: {outcome}")
    rates = []
    for _ in range(args.worker_batches):
        synchronize(device)
        started = time.perf_counter()
        outcomes = engine.render_batch(requests)
        synchronize(device)
        rates.append(len(requests) / (time.perf_counter() - started))
        assert all(outcome.metadata.details["diffusion_batch"] == args.batch for outcome in outcomes)
    return statistics.median(rates), engine


# One row per model family: (registry id, what is timed). ``--families FILE`` points these ids at local
# weights (a registry file as in docs/inference.md); ``--families tiny`` builds tiny random instances.
FAMILY_ROWS = (
    ("diffusers/stable-diffusion-xl-1.0-inpainting-0.1", "background"),
    ("black-forest-labs/FLUX.2-klein-4B", "background"),
    ("Qwen/Qwen-Image-Edit-2511", "background"),
    ("Qwen/Qwen-Image-Edit-2509", "model_swap"),
    ("meituan-longcat/LongCat-Image-Edit", "background"),
    ("facebook/sam2.1-hiera-large", "box_mask"),
)


def tiny_family_registry(folder: Path) -> Path:
    """The family rows' ids pointed at tiny random instances (smoke runs without weights)."""
    common = {"dtype": "float32", "default_steps": 2, "resolution": 64}
    built = {
        FAMILY_ROWS[0][0]: {"location": tiny_models.build_tiny_sdxl_inpaint(folder / "sdxl")},
        FAMILY_ROWS[1][0]: {"location": tiny_models.build_tiny_flux2_klein_inpaint(folder / "klein")},
        FAMILY_ROWS[2][0]: {
            "location": tiny_models.build_tiny_qwen_image_edit_plus(folder / "qwen"),
            "size_multiple": 32,  # the tiny Qwen VAE downsamples 16x (see tests/inference/tiny_models.py)
        },
        FAMILY_ROWS[4][0]: {"location": tiny_models.build_tiny_longcat_image_edit(folder / "longcat")},
        FAMILY_ROWS[5][0]: {"location": tiny_models.build_tiny_sam2(folder / "sam2")},
    }
    built[FAMILY_ROWS[3][0]] = built[FAMILY_ROWS[2][0]]
    entries = [{"id": model_id, **common, **{k: str(v) if isinstance(v, Path) else v for k, v in fields.items()}}
               for model_id, fields in built.items()]  # fmt: skip
    path = folder / "families.json"
    path.write_text(json.dumps({"models": entries}), encoding="utf-8")
    return path


def run_families(registry: Path, args: argparse.Namespace, device: torch.device) -> None:
    """Seconds per image for each family through the engine, product bytes checked after every call."""
    from vitrine.inference.segmentation import BoxSegmenter

    engine = Engine(EngineConfig(device=args.device, registry_file=str(registry), min_mask_confidence=0.0))
    shot, mask = source_and_mask(args.resolution)
    print(f"{'model':52} {'licence':12} {'task':8} {'what':10} {'s/image':>8} product exact")
    for model_id, what in FAMILY_ROWS:
        spec = engine.registry.get(model_id)
        times = []
        exact = True
        for seed in range(args.plain_images + 1):  # the first call loads the model: not timed
            synchronize(device)
            started = time.perf_counter()
            if what == "box_mask":
                BoxSegmenter(spec.location).segment(np.asarray(shot.convert("RGB")), (0, 0, *shot.size))
            else:
                params = {"model": model_id, "steps": args.steps}
                if what == "background":
                    params.update(mode="generate", prompt=PROMPT)
                else:
                    params.update(gender="woman", keep_background=False)
                result = engine.render(
                    RenderRequest(image=shot, recipe=what, params=params, seed=seed, mask=mask)
                )
                exact &= bool(np.array_equal(np.asarray(result.image)[mask], np.asarray(shot.convert("RGB"))[mask]))
            synchronize(device)
            if seed:
                times.append(time.perf_counter() - started)
        print(f"{model_id:52} {spec.licence[:12]:12} {spec.task:8} {what:10} {statistics.median(times):8.3f} {exact}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", help="a registry file with local weights for FAMILY_ROWS, or 'tiny'")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny architecture (smoke run)")
    parser.add_argument("--resolution", type=int, help="default 1024 (64 with --tiny)")
    parser.add_argument("--steps", type=int, help="default 30 (2 with --tiny)")
    parser.add_argument("--guidance", type=float, default=7.5)
    parser.add_argument("--batch", type=int, default=4, help="images per worker call")
    parser.add_argument("--worker-batches", type=int, default=3)
    parser.add_argument("--plain-images", type=int, default=3)
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="torch.compile the denoiser (default: on for CUDA)",
    )
    parser.add_argument("--peak-tflops", type=float, default=790.0, help="dense bf16 peak of the accelerator")
    args = parser.parse_args()
    args.resolution = args.resolution or (64 if args.tiny else 1024)
    args.steps = args.steps or (2 if args.tiny else 30)
    device = torch.device(args.device)
    if args.compile is None:
        args.compile = device.type == "cuda"
    warnings.filterwarnings("ignore", message=".*invalid value encountered.*")  # random weights can give NaN
    diffusers_logging.set_verbosity_error()  # the plain path's per-call VAE upcast warnings
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # the plain float32 path as most deployments run it
    if args.families:
        with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
            registry = tiny_family_registry(Path(tmp)) if args.families == "tiny" else Path(args.families)
            run_families(registry, args, device)
        return

    with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
        folder = Path(tmp) / "sdxl-inpaint"
        started = time.perf_counter()
        build_model(folder, tiny=args.tiny, device=device)
        print(
            f"built {'tiny' if args.tiny else 'full-size'} random SDXL inpainting in "
            f"{time.perf_counter() - started:.0f} s"
        )
        plain = run_plain(folder, args, device)
        if device.type == "cuda":
            torch.cuda.empty_cache()  # the float32 pipeline is gone with run_plain's frame
        worker, engine = run_worker(registry_file(folder, resolution=args.resolution), args, device)
        pipe = engine.pipelines.get(engine.registry.get(MODEL_ID))
        tflop_pass = denoiser_tflop_per_pass(pipe, args.resolution, device)
        worker_dtype = str(next(getattr(denoiser_of(pipe), "_orig_mod", denoiser_of(pipe)).parameters()).dtype)

    passes = args.steps * (2 if args.guidance > 1 else 1)
    floor_s = passes * tflop_pass / args.peak_tflops
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else str(device)
    print(f"device {name}; {args.resolution}x{args.resolution}, {args.steps} steps, guidance {args.guidance}")
    print(
        f"denoiser: {tflop_pass:.3f} TFLOP per pass (measured; SDXL reference 6.8 at 1024x1024), "
        f"{passes} passes per image -> floor {floor_s:.3f} s/image at {args.peak_tflops:.0f} TFLOP/s"
    )
    print(f"{'path':44} {'images/s':>9} {'share of floor':>15}")
    for label, rate in (
        ("plain diffusers (fp32, 1 image/call)", plain),
        (
            f"worker ({worker_dtype.removeprefix('torch.')}, SDPA, batch {args.batch}, "
            f"compile {'on' if args.compile else 'off'})",
            worker,
        ),
    ):
        print(f"{label:44} {rate:9.3f} {rate * floor_s:14.1%}")
    print(f"worker / plain: {worker / plain:.2f}x")


if __name__ == "__main__":
    main()
