"""SKU-fidelity benchmark: accuracy on the labelled benchmark, speed on 1024x1024 pairs.

    .venv/bin/python bench/fidelity.py            # two independent draws of the benchmark, then speed
    .venv/bin/python bench/fidelity.py --ocr      # also read printed text on the letter-change pairs
    .venv/bin/python bench/fidelity.py --write    # and put the printed figures into bench/RESULTS.md

Accuracy is reported at the default thresholds (kind "background") without OCR. The "calibration" draw is
the one the thresholds were tuned on; the "held-out" draw uses other product colours, prints and edit
parameters and was not looked at while tuning. Everything runs on one core.
"""

from __future__ import annotations

import os

# One core: keep every BLAS / OpenMP pool single-threaded (set before numpy and cv2 load).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import skimage  # noqa: E402
from skimage import color  # noqa: E402
from skimage import data as skimage_data  # noqa: E402
from skimage.metrics import structural_similarity  # noqa: E402

from vitrine.review.fidelity import benchmark, compare  # noqa: E402

DRAWS = (("calibration", 7, 11), ("held-out", 505, 606))
TARGETS = {
    "auroc": 0.98,
    "altering_not_pass": 0.95,
    "preserving_pass": 0.90,
    "report_ms": 150.0,
    "speedup": 8.0,
}
SPEED_RUNS = 15
NAIVE_RUNS = 3
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Fidelity"


def accuracy_section(name: str, product_seed: int, edit_seed: int) -> list[str]:
    pairs = list(benchmark.build_pairs(benchmark.products(product_seed), edit_seed))
    evaluation = benchmark.evaluate(pairs)
    counts = evaluation.counts()
    preserving = sum(counts["preserving"].values())
    altering = sum(counts["altering"].values())
    lines = [
        f"### Accuracy, {name} draw (products seed {product_seed}, edits seed {edit_seed})",
        "",
        f"{len(pairs)} pairs from {len({p.product for p in pairs})} products: "
        f"{preserving} product-preserving, {altering} product-altering.",
        "",
        f"- AUROC of the score: **{evaluation.auroc:.4f}** (target >= {TARGETS['auroc']})",
        f"- altering edits not passed: **{evaluation.altering_caught_rate:.1%}** "
        f"(target >= {TARGETS['altering_not_pass']:.0%})",
        f"- preserving edits passed: **{evaluation.preserving_pass_rate:.1%}** "
        f"(target >= {TARGETS['preserving_pass']:.0%})",
        "",
        "| edits | pass | review | fail |",
        "|---|---:|---:|---:|",
    ]
    for group in ("preserving", "altering"):
        row = counts[group]
        lines.append(f"| {group} | {row['pass']} | {row['review']} | {row['fail']} |")
    lines += ["", "| edit | label | pairs | pass | review | fail |", "|---|---|---:|---:|---:|---:|"]
    per_edit: dict[tuple[bool, str], Counter[str]] = {}
    for outcome in evaluation.outcomes:
        per_edit.setdefault((outcome.altering, outcome.edit), Counter())[outcome.verdict] += 1
    for (altering_edit, edit), verdicts in sorted(per_edit.items()):
        label = "altering" if altering_edit else "preserving"
        lines.append(
            f"| {edit} | {label} | {sum(verdicts.values())} | {verdicts['pass']} | {verdicts['review']} "
            f"| {verdicts['fail']} |"
        )
    misses = evaluation.misses()
    lines += ["", f"Misses ({len(misses)}):" if misses else "Misses: none."]
    for outcome in misses:
        kind = "altering pair passed" if outcome.altering else "preserving pair not passed"
        lines.append(f"- {outcome.pair}: {kind} (score {outcome.score:.3f}; {'; '.join(outcome.reasons)})")
    report_ms = [o.elapsed_ms for o in evaluation.outcomes]
    lines += [
        "",
        f"Report time on these {pairs[0].original.shape[1]} px pairs: median {np.median(report_ms):.0f} ms.",
    ]
    return lines


def ocr_section(product_seed: int, edit_seed: int) -> list[str]:
    pairs = [
        p
        for p in benchmark.build_pairs(benchmark.products(product_seed), edit_seed)
        if p.edit == "letter_changed"
    ]
    named = 0
    examples = []
    for pair in pairs:
        report = compare(pair.original, pair.variant, pair.mask, ocr=True)
        changed = [t for t in report.text if t.similarity < 1.0]
        if changed:
            named += 1
            if len(examples) < 4:
                examples.append(
                    f"`{pair.name}`: " + "; ".join(r for r in report.reasons if r.startswith("text "))
                )
    return [
        "### Printed text (OCR), held-out draw",
        "",
        f"OCR named the changed text in {named} of {len(pairs)} letter-change pairs, for example:",
        "",
        *[f"- {example}" for example in examples],
    ]


def speed_pairs() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    photo = cv2.resize(skimage_data.retina(), (1024, 1024), interpolation=cv2.INTER_AREA)
    photo_mask = np.zeros((1024, 1024), np.uint8)
    cv2.circle(photo_mask, (512, 512), 470, 255, -1)
    bottle = next(p for p in benchmark.products() if p.name.startswith("bottle"))
    packshot = cv2.resize(bottle.image, (1024, 1024), interpolation=cv2.INTER_CUBIC)
    packshot_mask = cv2.resize(bottle.mask.astype(np.uint8), (1024, 1024), interpolation=cv2.INTER_NEAREST)
    made = []
    for name, image, mask in (
        ("photo (retina)", photo, photo_mask > 0),
        ("packshot (bottle)", packshot, packshot_mask > 0),
    ):
        variant = benchmark.jpeg(
            benchmark.shift(benchmark.replace_background(image, mask, rng), 3.4, -2.2), 90
        )
        made.append((name, image, variant, mask))
    return made


def timed(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall-clock and median CPU milliseconds of ``run``."""
    wall, cpu = [], []
    for _ in range(repeats):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        run()
        wall.append(1000 * (time.perf_counter() - wall_start))
        cpu.append(1000 * (time.process_time() - cpu_start))
    return float(np.median(wall)), float(np.median(cpu))


def naive(original: np.ndarray, variant: np.ndarray) -> None:
    structural_similarity(original, variant, channel_axis=2, data_range=255)
    color.deltaE_ciede2000(color.rgb2lab(original), color.rgb2lab(variant))


def speed_section() -> list[str]:
    lines = [
        "### Speed, 1024x1024 pairs, one core",
        "",
        "Full report without OCR (alignment, all measures, regions, reasons) against a naive pass: "
        "full-frame scikit-image SSIM (RGB) + rgb2lab + deltaE_ciede2000, no alignment, timed in the same "
        f"run. Medians of {SPEED_RUNS} and {NAIVE_RUNS} runs.",
        "",
        "| pair | report wall ms | report CPU ms | naive wall ms | naive CPU ms | speed-up (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, original, variant, mask in speed_pairs():
        compare(original, variant, mask, ocr=False)  # warm-up: first call loads cv2 kernels
        ours_wall, ours_cpu = timed(
            lambda o=original, v=variant, m=mask: compare(o, v, m, ocr=False), SPEED_RUNS
        )
        naive_wall, naive_cpu = timed(lambda o=original, v=variant: naive(o, v), NAIVE_RUNS)
        lines.append(
            f"| {name} | {ours_wall:.0f} | {ours_cpu:.0f} | {naive_wall:.0f} | {naive_cpu:.0f} "
            f"| {naive_cpu / ours_cpu:.1f}x |"
        )
    lines += [
        "",
        f"Targets: report <= {TARGETS['report_ms']:.0f} ms, >= {TARGETS['speedup']:.0f}x the naive pass.",
    ]
    return lines


def environment_line() -> str:
    return (
        f"Python {platform.python_version()}, OpenCV {cv2.__version__}, scikit-image {skimage.__version__}, "
        f"NumPy {np.__version__}, {platform.machine()} "
        f"({os.cpu_count()} logical CPUs on the machine, one used)."
    )


def write_results(lines: list[str]) -> None:
    """Replace the "## Fidelity" section of bench/RESULTS.md (other sections are left as they are)."""
    existing = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = "\n".join([SECTION, "", *lines]).rstrip() + "\n"
    if SECTION in existing.splitlines():
        before, _, rest = existing.partition(SECTION + "\n")
        following = [i for i, line in enumerate(rest.splitlines()) if line.startswith("## ")]
        after = "\n".join(rest.splitlines()[following[0] :]) + "\n" if following else ""
        updated = before + section + ("\n" + after if after else "")
    else:
        updated = existing.rstrip() + "\n\n" + section
    RESULTS.write_text(updated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ocr", action="store_true", help="also read printed text on the letter-change pairs"
    )
    parser.add_argument("--write", action="store_true", help="write the figures into bench/RESULTS.md")
    arguments = parser.parse_args()
    cv2.setNumThreads(1)
    printed: list[str] = []

    def emit(lines: list[str]) -> None:
        # Sections print as soon as they are measured; --write stores exactly what was printed.
        printed.extend(lines)
        print("\n".join(lines), flush=True)

    emit(["Produced by `bench/fidelity.py`. " + environment_line(), ""])
    for name, product_seed, edit_seed in DRAWS:
        emit([*accuracy_section(name, product_seed, edit_seed), ""])
    if arguments.ocr:
        emit([*ocr_section(*DRAWS[1][1:]), ""])
    emit(speed_section())
    if arguments.write:
        write_results(printed)
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
