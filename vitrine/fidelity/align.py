"""Registering the variant onto the original's product: candidate poses, then ECC coarse to fine.

Generated images come back shifted by a few pixels, rescaled, or cropped, and a 5 px shift alone drops
masked SSIM from ~1.0 to ~0.5, so every measure runs after this step. Two candidate poses: the plain
resize (same framing, the common case) and a similarity transform fitted with RANSAC to ORB keypoints of
the product matched into the whole variant (crops, zooms). Each is refined by ECC (enhanced correlation
coefficient) on a coarse level over the product pixels only, so a replaced background cannot pull the
fit; the better one is refined on finer levels. A result within SNAP_PX of the plain resize is the plain
resize: exact paste-backs then compare pixel for pixel. Matrices here map analysis-frame pixels of the
original to variant pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ORB_FEATURES = 600
MIN_KEYPOINT_INLIERS = 12
RATIO_TEST = 0.8
RANSAC_REPROJECTION_PX = 3.0
# (downscale of the analysis frame, iterations), coarse to fine; the first level ranks the candidates.
ECC_LEVELS = ((4, 30), (2, 10), (1, 3))
# Stop when an iteration improves the correlation by less than this.
ECC_EPSILON = 1e-5
ECC_MIN_SIDE = 40
ECC_MIN_MASK_PIXELS = 64
# ECC smooths with a 3x3 Gaussian; the mask is eroded so that smoothing never mixes in the background.
ECC_MASK_EROSION = 2
# A candidate whose coarse ECC fit already correlates this well is the pose: the keypoint candidate
# (detection, matching, RANSAC: a third of the alignment's cost) is only fitted when no cheap one is.
GOOD_COARSE_CORRELATION = 0.97
# Phase correlation (a translation prior, also for products without keypoints) needs a peak this clear.
PHASE_MIN_RESPONSE = 0.05
# Relative size difference within which a reduction of the variant is reused (see Reductions).
REUSE_SCALE = 0.02
SNAP_PX = 0.15
SNAP_CORRELATION = 1e-4
# A plain resize correlating this well already is the answer: ECC has nothing left to improve and, on a
# pixel-identical pair, its update is degenerate and OpenCV reports non-convergence.
IDENTICAL_CORRELATION = 0.9995
# Grey levels: a product with less contrast than this has no structure for a correlation to measure;
# two such products are compared by their mean absolute difference instead.
FLAT_STD = 1.0
FLAT_MATCH = 1.0
# A product whose grey levels spread less than this (a plain colour with a soft shade) gives ECC too
# little to fit six affine parameters to, and it wanders to a wrong scale; such a product is fitted by
# translation only.
PLAIN_STD = 12.0
# Translation alone cannot follow a plain product that was zoomed: its scale is searched instead, each
# factor refined by translation on the coarse level, then a finer grid around the best on the next level.
# The shade towards a plain product's outline moves with the scale, which the correlation sees.
PLAIN_SCALES = tuple(1 + 0.02 * k for k in range(-3, 4))
PLAIN_FINE_SCALES = tuple(0.005 * k for k in range(-3, 4))


@dataclass(frozen=True)
class Registration:
    matrix: np.ndarray  # 2x3 float64: analysis-frame pixel -> variant pixel
    method: str  # "resize" (same framing), "keypoints+ecc" or "resize+ecc" (fitted)
    correlation: float | None  # masked correlation of the product at the finest level, None if unrefined
    refined: bool


def to3(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def resize_map(small_size: tuple[int, int], big_size: tuple[int, int]) -> np.ndarray:
    """3x3 map from pixels of an image resized to ``small_size`` (w, h) to pixels of the ``big_size`` one
    (cv2.resize aligns pixel centres, hence the half-pixel offsets)."""
    fx, fy = big_size[0] / small_size[0], big_size[1] / small_size[1]
    return np.array([[fx, 0.0, (fx - 1) / 2], [0.0, fy, (fy - 1) / 2], [0.0, 0.0, 1.0]])


def orb_detector() -> cv2.ORB:
    return cv2.ORB_create(nfeatures=ORB_FEATURES, scaleFactor=1.2, nlevels=6, edgeThreshold=15, patchSize=31)


def warp_to_frame(image: np.ndarray, pose: np.ndarray, size: tuple[int, int], border: int) -> np.ndarray:
    """Sample ``image`` (variant pixels) at ``pose`` (frame -> variant) into a frame of ``size`` (w, h)."""
    return cv2.warpAffine(
        image, pose, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border, borderValue=0
    )


class Reductions:
    """Area-averaged reductions of one image, made once per size: the alignment resamples the same
    variant a dozen times at almost the same scale, and the reduction is most of each resampling's cost."""

    def __init__(self, image: np.ndarray) -> None:
        self.image = image
        self._made: dict[tuple[int, int], np.ndarray] = {}

    def at(self, size: tuple[int, int]) -> tuple[tuple[int, int], np.ndarray]:
        """The reduction closest to ``size`` within REUSE_SCALE (poses a fraction of a pixel apart ask
        for sizes a pixel apart; the warp that follows absorbs the difference exactly), else a new one."""
        for made, image in self._made.items():
            if abs(made[0] / size[0] - 1) <= REUSE_SCALE and abs(made[1] / size[1] - 1) <= REUSE_SCALE:
                return made, image
        self._made[size] = cv2.resize(self.image, size, interpolation=cv2.INTER_AREA)
        return size, self._made[size]


class GreyReductions(Reductions):
    """The grey of a colour image's reductions. The measures resample the colour variant at the analysis
    scale anyway; the alignment's grey is that reduction turned grey (a weighted sum of channels commutes with
    area averaging, up to 8-bit rounding), so the full-size image is reduced once, not once per use."""

    def __init__(self, colour: Reductions) -> None:
        self.colour = colour
        self._made = {}
        self._full: np.ndarray | None = None

    @property  # type: ignore[override]
    def image(self) -> np.ndarray:
        """The full-size grey, made only if a step samples the variant at full size."""
        if self._full is None:
            self._full = _grey(self.colour.image)
        return self._full

    def at(self, size: tuple[int, int]) -> tuple[tuple[int, int], np.ndarray]:
        made, colour = self.colour.at(size)
        if made not in self._made:
            self._made[made] = _grey(colour)
        return made, self._made[made]


def _grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


def warp_antialiased(
    image: np.ndarray | Reductions, pose: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """Resample ``image`` (variant pixels) into a frame of ``size`` (w, h) through ``pose`` (frame ->
    variant), replicating the border (callers track which pixels fell outside the variant)."""
    reductions = image if isinstance(image, Reductions) else Reductions(image)
    image = reductions.image
    sampling = float(np.sqrt(abs(np.linalg.det(pose[:2, :2]))))
    if sampling > 1.5:
        # Downscaling through warpAffine aliases; resize first with area averaging, then warp.
        height, width = image.shape[:2]
        small_size, image = reductions.at((max(1, round(width / sampling)), max(1, round(height / sampling))))
        pose = (np.linalg.inv(resize_map(small_size, (width, height))) @ to3(pose))[:2]
    return warp_to_frame(image, pose, size, cv2.BORDER_REPLICATE)


def register(
    original_grey: np.ndarray,
    product_mask: np.ndarray,
    variant_grey: np.ndarray | Reductions,
    frame_to_original: np.ndarray,
    original_size: tuple[int, int],
    original_keypoints: tuple[list[cv2.KeyPoint], np.ndarray | None],
    levels_of_original: OriginalLevels | None = None,
) -> Registration:
    """Fit analysis frame -> variant. ``original_grey``/``product_mask`` are the analysis crop (uint8/bool);
    ``frame_to_original`` (3x3) maps analysis pixels to original pixels; ``original_size`` is (w, h).
    ``levels_of_original``: ``original_levels(original_grey, product_mask)`` when already built."""
    variant = variant_grey if isinstance(variant_grey, Reductions) else Reductions(variant_grey.astype(np.float32))
    height, width = (variant.colour.image if isinstance(variant, GreyReductions) else variant.image).shape[:2]
    resize_pose = (np.linalg.inv(resize_map((width, height), original_size)) @ frame_to_original)[:2]
    if levels_of_original is None:
        levels_of_original = original_levels(original_grey, product_mask)
    levels = _Levels(levels_of_original, variant)
    if not levels.steps:
        return Registration(matrix=resize_pose, method="resize", correlation=None, refined=False)
    first, finest = levels.steps[0], levels.steps[-1]
    resize_correlation = levels.correlation(resize_pose, finest)
    if resize_correlation >= IDENTICAL_CORRELATION:
        return Registration(matrix=resize_pose, method="resize", correlation=resize_correlation, refined=True)
    # Cheap candidates first: the plain resize and, when the product moved, the plain resize shifted by
    # phase correlation (which needs no keypoints: a plain product has none). Only when neither fits
    # well are keypoints matched (crops, zooms, large moves).
    candidates = {"resize": resize_pose}
    # On the finest level: coarser ones alias a small repeating pattern into false peaks.
    shifted = levels.phase_shifted(resize_pose, finest)
    start = "resize"
    if shifted is not None:
        candidates["shift"] = shifted
        if levels.correlation(shifted, first) > levels.correlation(resize_pose, first):
            start = "shift"  # ECC starts from the better of the two (from the other it would end the same)
    refined = {start: levels.refine(candidates[start], first)}
    if levels.plain:
        scaled = levels.scale_search(candidates[start])
        if scaled is not None:
            candidates["scaled"] = scaled[0]
            refined["scaled"] = scaled
    if max((r[1] for r in refined.values() if r is not None), default=0.0) < GOOD_COARSE_CORRELATION:
        keypoint_pose = _keypoint_pose(original_keypoints, levels.variant, resize_pose)
        if keypoint_pose is not None:
            candidates["keypoints"] = keypoint_pose
            refined["keypoints"] = levels.refine(keypoint_pose, first)
    converged = {name: result for name, result in refined.items() if result is not None}
    if not converged and resize_correlation >= GOOD_COARSE_CORRELATION:
        # Nothing left for ECC to improve on a start that already fits (a plain product barely moved).
        return Registration(matrix=resize_pose, method="resize", correlation=resize_correlation, refined=True)
    # How well each start fits as it stands: ECC on a product with little inside it (a plain colour, a
    # soft shade) can wander off a start that was already right; a fit never replaces a better start.
    unrefined = {name: levels.correlation(pose, finest) for name, pose in candidates.items() if name != "resize"}
    best_start = max(unrefined, key=lambda n: unrefined[n], default=None)
    if not converged:
        # No candidate converged: keep the one whose product correlates best as it stands.
        if best_start is None or unrefined[best_start] <= resize_correlation:
            return Registration(matrix=resize_pose, method="resize", correlation=None, refined=False)
        return Registration(
            matrix=candidates[best_start], method=best_start, correlation=unrefined[best_start], refined=False
        )
    name = max(converged, key=lambda n: converged[n][1])
    pose = converged[name][0]
    for step in levels.steps[1:]:
        result = levels.refine(pose, step)
        if result is None:
            break
        pose = result[0]
    correlation = levels.correlation(pose, finest)
    if best_start is not None and unrefined[best_start] > max(correlation, resize_correlation) + SNAP_CORRELATION:
        return Registration(
            matrix=candidates[best_start], method=best_start, correlation=unrefined[best_start], refined=False
        )
    # An exact paste-back needs no fit: the plain resize wins unless the fit is measurably better.
    if (
        resize_correlation >= correlation - SNAP_CORRELATION
        or _max_displacement(pose, resize_pose, original_grey.shape) < SNAP_PX
    ):
        return Registration(matrix=resize_pose, method="resize", correlation=resize_correlation, refined=True)
    return Registration(matrix=pose, method=f"{name}+ecc", correlation=correlation, refined=True)


def _max_displacement(pose: np.ndarray, other: np.ndarray, shape: tuple[int, int]) -> float:
    """Largest distance, in variant pixels, between where two poses send the frame's corners."""
    height, width = shape
    corners = np.array([[0, width - 1, 0, width - 1], [0, 0, height - 1, height - 1], [1, 1, 1, 1]], float)
    return float(np.abs(pose @ corners - other @ corners).max())


def _keypoint_pose(
    original_keypoints: tuple[list[cv2.KeyPoint], np.ndarray | None],
    variant: Reductions,
    resize_pose: np.ndarray,
) -> np.ndarray | None:
    keypoints, descriptors = original_keypoints
    if descriptors is None or len(keypoints) < MIN_KEYPOINT_INLIERS:
        return None
    # Detect in the variant at about the analysis scale, so both keypoint sets see the same detail.
    variant_scale = min(1.0, 1.0 / max(np.sqrt(abs(np.linalg.det(resize_pose[:2, :2]))), 1e-6))
    height, width = variant.image.shape
    small_size = (max(1, round(width * variant_scale)), max(1, round(height * variant_scale)))
    if small_size != (width, height):
        small_size, small = variant.at(small_size)
    else:
        small = variant.image
    small = np.clip(small + 0.5, 0, 255).astype(np.uint8)
    variant_keypoints, variant_descriptors = orb_detector().detectAndCompute(small, None)
    if variant_descriptors is None or len(variant_keypoints) < MIN_KEYPOINT_INLIERS:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(descriptors, variant_descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO_TEST * p[1].distance]
    if len(good) < MIN_KEYPOINT_INLIERS:
        return None
    source = np.float32([keypoints[m.queryIdx].pt for m in good])
    to_variant = resize_map(small_size, (width, height))
    target = np.float32([variant_keypoints[m.trainIdx].pt for m in good])
    target = target * np.float32([to_variant[0, 0], to_variant[1, 1]]) + np.float32(to_variant[:2, 2])
    fitted, inliers = cv2.estimateAffinePartial2D(
        source,
        target,
        method=cv2.RANSAC,
        ransacReprojThreshold=RANSAC_REPROJECTION_PX / variant_scale,
        maxIters=2000,
        confidence=0.995,
    )
    if fitted is None or int(inliers.sum()) < MIN_KEYPOINT_INLIERS:
        return None
    return fitted.astype(np.float64)


@dataclass(frozen=True)
class _Level:
    size: tuple[int, int]
    to_frame: np.ndarray  # 3x3: level pixel -> analysis-frame pixel
    original: np.ndarray  # float32
    mask: np.ndarray  # uint8, eroded
    iterations: int
    # The original's side of ``_Levels.correlation``, the same for every variant: its product pixels,
    # their spread, and the same centred with their norm.
    inside: np.ndarray  # bool: mask > 0
    masked: np.ndarray  # float32: original[inside]
    masked_std: float
    centred: np.ndarray  # float32: masked - masked.mean()
    centred_norm: np.floating  # numpy's own type, as the product with the template's norm was computed in it


@dataclass(frozen=True)
class OriginalLevels:
    """The original and its product mask on each ECC level: they depend on the source image only, so
    they are built once per source (see :mod:`vitrine.fidelity.source`) and shared by every candidate."""

    motion: int
    frame_size: tuple[int, int]
    steps: tuple[_Level, ...]
    plain: bool
    centre: tuple[float, float]  # the product's centre in analysis-frame pixels (a plain product's zoom pivot)


def original_levels(original_grey: np.ndarray, product_mask: np.ndarray) -> OriginalLevels:
    plain = float(original_grey[product_mask].std()) < PLAIN_STD if product_mask.any() else False
    height, width = original_grey.shape
    ys, xs = np.nonzero(product_mask) if product_mask.any() else (np.array([height / 2]), np.array([width / 2]))
    centre = (float(xs.mean()), float(ys.mean()))
    original = original_grey.astype(np.float32)
    mask = product_mask.astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ECC_MASK_EROSION + 1,) * 2)
    steps: list[_Level] = []
    for factor, iterations in ECC_LEVELS:
        size = (round(width / factor), round(height / factor))
        if min(size) < ECC_MIN_SIDE:
            continue
        level_mask = cv2.resize(mask, size, interpolation=cv2.INTER_AREA) if factor > 1 else mask
        eroded = cv2.erode(level_mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        if eroded.sum() < ECC_MIN_MASK_PIXELS:
            eroded = level_mask  # a thin product: keep what there is
        if eroded.sum() < ECC_MIN_MASK_PIXELS:
            continue
        level_original = cv2.resize(original, size, interpolation=cv2.INTER_AREA) if factor > 1 else original
        inside = eroded > 0
        masked = level_original[inside]
        centred = masked - masked.mean()
        steps.append(
            _Level(
                size,
                resize_map(size, (width, height)),
                level_original,
                eroded,
                iterations,
                inside,
                masked,
                float(masked.std()),
                centred,
                np.linalg.norm(centred),
            )
        )
    return OriginalLevels(cv2.MOTION_TRANSLATION if plain else cv2.MOTION_AFFINE, (width, height), tuple(steps),
                          plain, centre)


class _Levels:
    """The original's levels (:class:`OriginalLevels`) and the variant to resample onto them."""

    def __init__(self, original: OriginalLevels, variant: Reductions) -> None:
        self.variant = variant
        self.plain = original.plain
        self.centre = original.centre
        self.motion = original.motion
        self.frame_size = original.frame_size
        self.steps = list(original.steps)
        # The same start is resampled by several steps (its correlation, phase correlation, ECC): once.
        self._in_frame: dict[bytes, np.ndarray] = {}
        self._templates: dict[tuple[bytes, tuple[int, int]], np.ndarray] = {}

    def _template(self, pose: np.ndarray, level: _Level) -> np.ndarray:
        # Resample into the analysis frame first, then reduce exactly as the original was reduced, so an
        # exact pose gives an exact match on every level.
        key = np.ascontiguousarray(pose, dtype=np.float64).tobytes()
        if (key, level.size) not in self._templates:
            if key not in self._in_frame:
                self._in_frame[key] = warp_antialiased(self.variant, pose, self.frame_size)
            in_frame = self._in_frame[key]
            self._templates[key, level.size] = (
                cv2.resize(in_frame, level.size, interpolation=cv2.INTER_AREA)
                if level.size != self.frame_size
                else in_frame
            )
        return self._templates[key, level.size]

    def correlation(self, pose: np.ndarray, level: _Level) -> float:
        template = self._template(pose, level)[level.inside]
        if max(float(template.std()), level.masked_std) < FLAT_STD:
            # A flat product (one colour): correlation is undefined, equal grey levels are the match.
            return 1.0 if float(np.abs(template - level.masked).mean()) < FLAT_MATCH else 0.0
        template = template - template.mean()
        norm = float(np.linalg.norm(template) * level.centred_norm)
        return float(template @ level.centred) / norm if norm > 0 else 0.0

    def phase_shifted(self, pose: np.ndarray, level: _Level) -> np.ndarray | None:
        """``pose`` moved by the translation phase correlation finds on ``level`` between the original's
        product (the background zeroed, so only the product can match) and the variant resampled at
        ``pose``; None when there is no clear peak or no move."""
        template = self._template(pose, level)
        original = np.where(level.mask > 0, level.original, np.float32(0))
        window = cv2.createHanningWindow(level.size, cv2.CV_32F)
        # A copy: phaseCorrelate windows its inputs in place, and the template is shared with other steps.
        (dx, dy), response = cv2.phaseCorrelate(original, template.copy(), window)
        # A negative peak is the same match with the outline's contrast reversed (a new background
        # brighter than the product where the zeroed one was darker).
        if abs(response) < PHASE_MIN_RESPONSE or max(abs(dx), abs(dy)) < 0.25:
            return None
        # (dx, dy): level pixels from the original to the variant's content; in analysis-frame pixels.
        step = level.to_frame @ np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]]) @ np.linalg.inv(
            level.to_frame
        )
        return (to3(pose) @ step)[:2]

    def scaled(self, pose: np.ndarray, factor: float) -> np.ndarray:
        """``pose`` preceded by a zoom of the analysis frame by ``factor`` about the product's centre."""
        cx, cy = self.centre
        zoom = np.array([[factor, 0.0, (1 - factor) * cx], [0.0, factor, (1 - factor) * cy], [0.0, 0.0, 1.0]])
        return (to3(pose) @ zoom)[:2]

    def scale_search(self, pose: np.ndarray) -> tuple[np.ndarray, float] | None:
        """For a plain product (fitted by translation only): the zoom about its centre whose translation
        fit correlates best, on a coarse grid of PLAIN_SCALES on the first level, then PLAIN_FINE_SCALES
        around it on the second; the pose and its first-level correlation (as ``refine`` gives them)."""
        best: tuple[np.ndarray, float] | None = None
        best_factor = 1.0
        first = self.steps[0]
        for factor in PLAIN_SCALES:
            result = self.refine(self.scaled(pose, factor), first)
            if result is not None and (best is None or result[1] > best[1]):
                best, best_factor = result, factor
        if best is None:
            return None
        if len(self.steps) > 1:
            level, chosen, chosen_correlation = self.steps[1], best[0], -1.0
            for offset in PLAIN_FINE_SCALES:
                start = self.scaled(best[0], (best_factor + offset) / best_factor)
                result = self.refine(start, level)
                if result is not None and result[1] > chosen_correlation:
                    chosen, chosen_correlation = result[0], result[1]
            best = (chosen, self.correlation(chosen, first))
        return best

    def refine(self, pose: np.ndarray, level: _Level) -> tuple[np.ndarray, float] | None:
        """ECC from ``pose`` on one level: the refined pose and its correlation, or None if it diverged."""
        fitted = self._ecc(self._template(pose, level), level.original, level.mask, level)
        if fitted is None:
            return None
        correlation, residual = fitted
        # ``residual`` maps template (variant) level pixels onto the original's level pixels; invert it to
        # go from the original to the variant, expressed in analysis-frame pixels.
        step = level.to_frame @ np.linalg.inv(residual) @ np.linalg.inv(level.to_frame)
        return (to3(pose) @ step)[:2], correlation

    def _ecc(
        self, template: np.ndarray, original: np.ndarray, mask: np.ndarray, level: _Level
    ) -> tuple[float, np.ndarray] | None:
        """The ECC correlation and residual (3x3, template pixels -> original pixels), None if it diverged."""
        try:
            # Roles swapped on purpose: ECC's mask belongs to its input image, and our mask is the
            # original's product, so the original is ECC's input and the resampled variant its template.
            correlation, residual = cv2.findTransformECC(
                template,
                original,
                np.eye(2, 3, dtype=np.float32),
                self.motion,
                (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, level.iterations, ECC_EPSILON),
                mask,
                3,
            )
        except cv2.error:
            return None
        return float(correlation), to3(residual.astype(np.float64))
