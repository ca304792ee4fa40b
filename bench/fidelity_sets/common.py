"""What every labelled set shares: the pair, the image operations edits are built from, and evaluation.

A :class:`Pair` carries the edit kind the report is asked to judge it as (it selects the thresholds, as
a template does in production) and the boxes that kind legitimately rewrote.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from vitrine.fidelity import compare
from vitrine.fidelity.report import VERDICT_PASS
from vitrine.fidelity.text import MemoryTextCache

Box = tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class Pair:
    name: str  # "<product>/<edit>"
    product: str
    edit: str
    altering: bool
    original: np.ndarray
    variant: np.ndarray
    mask: np.ndarray
    kind: str = "background"
    ignore_boxes: tuple[Box, ...] = field(default_factory=tuple)
    # colourway only: the CIELAB colour the variant had to reach (as the render request gave it)
    target_colour: tuple[float, float, float] | None = None


# --- image operations ------------------------------------------------------------------------------------


def shift(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(
        image, matrix, (image.shape[1], image.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def feathered_alpha(mask: np.ndarray, feather: float) -> np.ndarray:
    """1 on the product, falling to 0 over ``feather`` pixels outside it (paste-back feathers outwards)."""
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    return np.clip(1 - outside / max(feather, 1e-6), 0, 1).astype(np.float32)


def paste_on(image: np.ndarray, mask: np.ndarray, backdrop: np.ndarray, feather: float) -> np.ndarray:
    alpha = feathered_alpha(mask, feather)[:, :, None]
    return (image.astype(np.float32) * alpha + backdrop.astype(np.float32) * (1 - alpha) + 0.5).astype(np.uint8)


def frame_cut(image: np.ndarray, mask: np.ndarray, share: float, side: int) -> np.ndarray:
    """``image`` with a frame that cuts ``share`` of the product (``mask``) off one side (0-3: left, right,
    top, bottom): an outpainting crop gone wrong."""
    ys, xs = np.nonzero(mask)
    if side == 0:
        return image[:, int(np.quantile(xs, share)) :]
    if side == 1:
        return image[:, : int(np.quantile(xs, 1 - share)) + 1]
    if side == 2:
        return image[int(np.quantile(ys, share)) :, :]
    return image[: int(np.quantile(ys, 1 - share)) + 1, :]


def outline_pushed(
    image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, *, outwards: bool, px: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """A stretch of the outline pushed out (or in) by ``px`` pixels; returns the image and its new mask."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=len)[:, 0, :].astype(np.float32)
    height, width = mask.shape
    # Only where the outline lies inside the picture (a push against the photo's edge is invisible).
    inside = [k for k, (x, y) in enumerate(contour) if 12 <= x < width - 12 and 12 <= y < height - 12] or list(
        range(len(contour))
    )
    k = inside[int(rng.integers(0, len(inside)))]
    point = contour[k]
    tangent = contour[(k + 5) % len(contour)] - contour[(k - 5) % len(contour)]
    normal = np.float32([tangent[1], -tangent[0]]) / max(float(np.linalg.norm(tangent)), 1e-6)
    # findContours runs clockwise in image coordinates for an outer contour: this normal points outwards;
    # checked against the mask so either orientation works.
    probe = np.round(point + 4 * normal).astype(int)
    if 0 <= probe[0] < width and 0 <= probe[1] < height and mask[probe[1], probe[0]]:
        normal = -normal
    _, _, w, h = cv2.boundingRect(mask.astype(np.uint8))
    radius = float(rng.uniform(0.08, 0.15)) * max(w, h)
    displacement = float(rng.uniform(*px)) * (1 if outwards else -1)
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    weight = np.exp(-((xs - point[0]) ** 2 + (ys - point[1]) ** 2) / (2 * radius**2))
    map_x = xs - displacement * normal[0] * weight
    map_y = ys - displacement * normal[1] * weight
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    warped_mask = cv2.remap(mask.astype(np.uint8) * 255, map_x, map_y, cv2.INTER_LINEAR) >= 128
    return warped, warped_mask


# --- evaluation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    pair: str
    kind: str
    edit: str
    altering: bool
    verdict: str
    score: float
    elapsed_ms: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    outcomes: list[Outcome]

    @property
    def auroc(self) -> float:
        """Probability that a preserving pair scores higher than an altering one (ties count half)."""
        preserving = np.array([o.score for o in self.outcomes if not o.altering])
        altering = np.array([o.score for o in self.outcomes if o.altering])
        if not len(preserving) or not len(altering):
            return float("nan")
        greater = (preserving[:, None] > altering[None, :]).sum()
        ties = (preserving[:, None] == altering[None, :]).sum()
        return float((greater + 0.5 * ties) / (len(preserving) * len(altering)))

    def counts(self) -> dict[str, dict[str, int]]:
        """Confusion counts: {"preserving"|"altering": {verdict: n}}."""
        table: dict[str, dict[str, int]] = {
            "preserving": {"pass": 0, "review": 0, "fail": 0},
            "altering": {"pass": 0, "review": 0, "fail": 0},
        }
        for outcome in self.outcomes:
            table["altering" if outcome.altering else "preserving"][outcome.verdict] += 1
        return table

    @property
    def preserving_pass_rate(self) -> float:
        counts = self.counts()["preserving"]
        return counts["pass"] / max(1, sum(counts.values()))

    @property
    def altering_pass_rate(self) -> float:
        """Share of altering pairs that passed (the costly error: a changed product published)."""
        counts = self.counts()["altering"]
        return counts["pass"] / max(1, sum(counts.values()))

    @property
    def altering_caught_rate(self) -> float:
        """Share of altering pairs that did not pass."""
        return 1 - self.altering_pass_rate

    def misses(self) -> list[Outcome]:
        """Altering pairs that passed and preserving pairs that did not."""
        return [o for o in self.outcomes if (o.verdict == VERDICT_PASS) == o.altering]


def evaluate(
    pairs: Iterable[Pair],
    *,
    ocr: bool = False,
) -> Evaluation:
    """The report of every pair at the kind's default thresholds. With ``ocr``, the original's text is
    read once per product (one text cache for the run, as the review app shares one)."""
    cache = MemoryTextCache(maxsize=256)
    outcomes = []
    for pair in pairs:
        started = time.perf_counter()
        result = compare(
            pair.original,
            pair.variant,
            pair.mask,
            kind=pair.kind,
            ignore_boxes=list(pair.ignore_boxes) or None,
            ocr=ocr,
            text_cache=cache,
            target_colour=pair.target_colour,
        )
        outcomes.append(
            Outcome(
                pair=pair.name,
                kind=pair.kind,
                edit=pair.edit,
                altering=pair.altering,
                verdict=result.verdict,
                score=result.score,
                elapsed_ms=1000 * (time.perf_counter() - started),
                reasons=tuple(result.reasons),
            )
        )
    return Evaluation(outcomes)


def fingerprint(pairs: Sequence[Pair]) -> str:
    """A digest of every pixel, mask, label and box of a set: the frozen held-out split must keep it."""
    import hashlib

    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(repr((pair.name, pair.kind, pair.altering, pair.ignore_boxes)).encode())
        if pair.target_colour is not None:  # only kinds that carry one (older digests stay as recorded)
            digest.update(repr(tuple(round(v, 4) for v in pair.target_colour)).encode())
        for array in (pair.original, pair.variant, pair.mask):
            digest.update(repr(array.shape).encode())
            digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()
