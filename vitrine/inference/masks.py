"""Protect masks: which pixels are the product and must come out of every edit unchanged.

Sources, best first: the photo's own alpha channel, a mask the merchant or a reviewer supplied, a
segmentation model (:mod:`vitrine.inference.segmentation`), and a classical estimate for packshots on a
plain background. The classical estimate reports a confidence; the engine refuses to use a low one.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from vitrine.inference.errors import InvalidMask, LowConfidenceMask, NoProductFound
from vitrine.inference.holes import open_enclosed_background

# Alpha at or above this is product; lower values are the anti-aliased rim, blended by their alpha.
OPAQUE_ALPHA = 250
# A mask covering at least this share of the frame leaves nothing to edit.
FULL_MASK_SHARE = 0.995


@dataclass(frozen=True, eq=False)
class ProtectMask:
    mask: np.ndarray  # bool HxW, True = product pixels that must stay exact
    confidence: float  # 0..1
    method: str  # "alpha" | "supplied" | "classical" | "segmentation"
    warnings: tuple[str, ...] = ()
    review_reasons: tuple[str, ...] = ()  # what a person must check even when the fidelity score passes
    holes_opened: int = 0  # enclosed background areas (a handle's opening) left free to change

    @property
    def share(self) -> float:
        return float(self.mask.mean()) if self.mask.size else 0.0


def split_rgb_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """The image as uint8 RGB plus its alpha channel, or None when it has no transparent pixel."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if not has_alpha:
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy(), None
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
    alpha = rgba[..., 3]
    if alpha.min() == 255:
        return rgba[..., :3].copy(), None
    return rgba[..., :3].copy(), alpha.copy()


def mask_from_alpha(alpha: np.ndarray) -> ProtectMask:
    # Never hole-filled: a transparent handle opening in the alpha channel stays free to change.
    mask = alpha >= OPAQUE_ALPHA
    warnings = () if mask.any() else ("the image is fully transparent",)
    return ProtectMask(mask=mask, confidence=1.0 if mask.any() else 0.0, method="alpha", warnings=warnings)


def mask_from_supplied(mask: Image.Image | np.ndarray, size: tuple[int, int]) -> ProtectMask:
    """A merchant- or reviewer-drawn mask: white (or True) = product. ``size`` is the image's (w, h)."""
    if isinstance(mask, Image.Image):
        if mask.mode in ("RGBA", "LA"):
            array = np.asarray(mask.getchannel("A")) >= 128
        else:
            array = np.asarray(mask.convert("L")) >= 128
    else:
        array = np.asarray(mask)
        if array.ndim != 2:
            raise InvalidMask(f"the mask must be a single-channel image, not an array of shape {array.shape}")
        array = array.astype(bool) if array.dtype == bool or array.max() <= 1 else array >= 128
    if (array.shape[1], array.shape[0]) != size:
        raise InvalidMask(f"the mask is {array.shape[1]}x{array.shape[0]} px but the image is {size[0]}x{size[1]} px")
    return ProtectMask(mask=array.copy(), confidence=1.0, method="supplied")


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Close enclosed gaps: a white label on a product on white is still product."""
    # Pad with background so that one flood fill from a corner reaches every outside pixel.
    background = np.ones((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    background[1:-1, 1:-1] = ~mask
    cv2.floodFill(background, None, (0, 0), 2)
    return mask | (background[1:-1, 1:-1] == 1)


def classical_protect_mask(rgb: np.ndarray) -> ProtectMask:
    """Separate a packshot from a plain background by its colour distance to the frame's border colour.

    Confidence falls when the border is not one colour (not a packshot), when the product touches the
    frame, or when product and background are barely distinguishable.
    """
    height, width = rgb.shape[:2]
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0  # 8-bit L* is stretched to 0..255; the a*/b* offset cancels in differences
    band = max(2, min(height, width) // 64)
    border = np.zeros((height, width), bool)
    border[:band], border[-band:], border[:, :band], border[:, -band:] = True, True, True, True
    background = np.median(lab[border], axis=0)
    # Per-pixel dE76 to the background through OpenCV's vectorised kernels (the frame is large).
    difference = cv2.subtract(lab, (*map(float, background), 0.0))
    distance = cv2.sqrt(cv2.transform(cv2.multiply(difference, difference), np.ones((1, 3), np.float32)))
    border_noise = float(np.percentile(distance[border], 90))
    # Below ~8 dE the eye barely separates two colours; JPEG noise and vignetting raise the floor.
    threshold = max(8.0, 3.0 * border_noise)
    foreground = (distance > threshold).astype(np.uint8)
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))

    warnings: list[str] = []
    border_uniformity = float((distance[border] < threshold).mean())
    uniformity_factor = float(np.clip((border_uniformity - 0.5) / 0.45, 0.0, 1.0))
    if uniformity_factor < 1.0 or border_noise > 12.0:
        uniformity_factor = min(uniformity_factor, float(np.clip((24.0 - border_noise) / 12.0, 0.0, 1.0)))
        warnings.append(f"the background is not plain (colour spread {border_noise:.0f} dE along the frame edge)")

    count, labels, stats, _ = cv2.connectedComponentsWithStats(foreground, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if count <= 1 or areas.max() < 0.001 * height * width:
        empty = np.zeros((height, width), bool)
        return ProtectMask(empty, 0.0, "classical", (*warnings, "no product stands out from the background"))
    kept = np.zeros(count, bool)
    kept[1:] = areas >= max(0.02 * areas.max(), 0.001 * height * width)
    solid = kept[labels]
    holes = open_enclosed_background(solid, fill_holes(solid), distance <= threshold)
    mask = holes.mask

    touch_share = float(mask[border].mean())
    touch_factor = float(np.clip(1.0 - 3.0 * touch_share, 0.0, 1.0))
    if touch_share > 0.02:
        warnings.append(f"the product touches the frame edge ({touch_share:.0%} of it)")
    sample_distance, sample_mask = distance[::2, ::2], mask[::2, ::2]  # a quarter of the pixels suffices
    contrast = float(np.median(sample_distance[sample_mask])) / threshold
    # Pixels close to the threshold could fall either side: many of them means an unreliable outline.
    ambiguous = (sample_distance > 0.5 * threshold) & (sample_distance < 2.0 * threshold)
    ambiguity = float(ambiguous.sum()) / max(1, int(sample_mask.sum()))
    contrast_factor = float(np.clip((contrast - 1.0) / 1.5, 0.0, 1.0) * np.clip(1.0 - ambiguity, 0.0, 1.0))
    if contrast_factor < 0.9:
        warnings.append("the product's colour is close to the background's")
    confidence = round(uniformity_factor * touch_factor * contrast_factor, 4)
    return ProtectMask(mask=mask, confidence=confidence, method="classical", warnings=tuple(warnings),
                       review_reasons=holes.review_reasons, holes_opened=holes.opened)


def estimate_protect_mask(image: Image.Image) -> ProtectMask:
    """The product mask from the alpha channel when the image has one, else the classical estimate."""
    rgb, alpha = split_rgb_alpha(image)
    if alpha is not None:
        return mask_from_alpha(alpha)
    return classical_protect_mask(rgb)


def require_usable(protect: ProtectMask, *, min_confidence: float, what: str = "product") -> ProtectMask:
    """Refuse a mask that is empty, covers the whole frame, or is too uncertain to trust."""
    if not protect.mask.any():
        reasons = f" ({'; '.join(protect.warnings)})" if protect.warnings else ""
        raise NoProductFound(
            f"no {what} was found in the photo{reasons}; upload a PNG with a transparent background or draw a mask"
        )
    if protect.share >= FULL_MASK_SHARE:
        raise InvalidMask(f"the {what} mask covers the whole photo, so nothing around the {what} can change")
    if protect.confidence < min_confidence:
        reasons = "; ".join(protect.warnings) or "the outline is uncertain"
        raise LowConfidenceMask(
            f"the {what} could not be separated from the background reliably "
            f"(confidence {protect.confidence:.2f}, needs {min_confidence:.2f}: {reasons}); "
            "upload a PNG with a transparent background or draw a mask"
        )
    return protect


def dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    if pixels <= 0:
        return mask.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def erode(mask: np.ndarray, pixels: int) -> np.ndarray:
    if pixels <= 0:
        return mask.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE).astype(bool)


def mask_to_image(mask: np.ndarray) -> Image.Image:
    """An 8-bit black/white PNG-ready mask (white = protected)."""
    return Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L")
