"""``cleanup``: promotional overlays removed (price and "包邮"/"限时特价" stickers, watermark text, corner badges).

Candidates come from OCR and from an overlay heuristic: on a plain background, a blob that stands out from
it and either carries text or touches the frame's edge is a sticker or badge, not product. Only what lies
outside the product is removed; inside it only the text in a box the merchant marks (``boxes``). The holes
are filled classically: OpenCV's Navier-Stokes or Telea inpainting on smooth backgrounds, a patch copied
from the neighbouring background on textured ones (``method=auto`` picks per region). The product is pasted
back byte for byte, and OCR reads the result again: any removed text still legible fails the edit. Each
filled region reports its CIEDE2000 against the background ring around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from vitrine import edit_kinds
from vitrine.inference.colourspace import delta_e00, rgb_to_lab_exact
from vitrine.inference.errors import NoTextFound, OverlayRemovalFailed, UnsupportedParameter
from vitrine.inference.masks import (
    ProtectMask,
    classical_protect_mask,
    dilate,
    fill_holes,
    mask_from_alpha,
    mask_from_supplied,
    require_usable,
)
from vitrine.inference.ocr import TextLine, TextReader, fold, text_overlap
from vitrine.inference.params import Param, ParamSet
from vitrine.inference.pasteback import paste_back
from vitrine.inference.recipes.base import Plan, Recipe, Stopwatch
from vitrine.inference.schema import RenderRequest, RenderResult

if TYPE_CHECKING:
    from vitrine.inference.engine import Engine

PARAMETERS = ParamSet(
    edit_kinds.CLEANUP,
    [
        Param(
            "boxes",
            "str",
            "",
            help='merchant-marked areas "x0,y0,x1,y1;..." where text is removed even on the product',
        ),
        Param("method", "str", "auto", choices=("auto", "ns", "telea", "patch"), help="how holes are filled"),
        Param("badges", "bool", True, help="also remove text-free blobs that touch the frame edge (corner badges)"),
        Param("min_confidence", "float", 0.5, minimum=0.0, maximum=1.0, help="OCR lines read less surely are kept"),
        Param("margin", "int", 3, minimum=0, maximum=32, help="px grown around each overlay before filling"),
        Param("require_overlay", "bool", True, help="fail when nothing is found to remove"),
    ],
)
# A line of text counts as on the product when this share of its box is product.
ON_PRODUCT_SHARE = 0.3
# Background ring measured around a filled region, in px beyond the hole.
RING = (2, 10)
# A background ring whose lightness spreads more than this (std of L*) is texture: copy a patch there.
TEXTURE_STD = 2.5
# Read-back: a line read in the result that folds to this much of a removed line's text is still there.
READBACK_OVERLAP = 0.5


def parse_boxes(text: str, size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """``"x0,y0,x1,y1;..."`` in pixels, clipped to the frame."""
    boxes = []
    width, height = size
    for chunk in filter(None, (part.strip() for part in text.split(";"))):
        try:
            x0, y0, x1, y1 = (round(float(v)) for v in chunk.split(","))
        except ValueError:
            raise UnsupportedParameter(
                f"parameter 'boxes' of the cleanup recipe: {chunk!r} is not a box; write x0,y0,x1,y1"
            ) from None
        x0, x1 = sorted((max(0, min(width, x0)), max(0, min(width, x1))))
        y0, y1 = sorted((max(0, min(height, y0)), max(0, min(height, y1))))
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise UnsupportedParameter(f"parameter 'boxes' of the cleanup recipe: {chunk!r} is empty in this photo")
        boxes.append((x0, y0, x1, y1))
    return boxes


def _quad_mask(line: TextLine, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.rint(np.asarray(line.quad)).astype(np.int32)], 1)
    return mask.astype(bool)


def _foreground(rgb: np.ndarray) -> np.ndarray:
    """Everything that stands out from the plain background, small blobs included (a sticker can be tiny
    next to the product, which the classical product mask would drop as noise)."""
    height, width = rgb.shape[:2]
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    band = max(2, min(height, width) // 64)
    border = np.zeros((height, width), bool)
    border[:band], border[-band:], border[:, :band], border[:, -band:] = True, True, True, True
    distance = np.linalg.norm(lab - np.median(lab[border], axis=0), axis=2)
    threshold = max(8.0, 3.0 * float(np.percentile(distance[border], 90)))
    foreground = (distance > threshold).astype(np.uint8)
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    # Letters inside a sticker are part of it: fill what the background cannot reach.
    return fill_holes(foreground.astype(bool))


def _touches_edge(component: np.ndarray) -> bool:
    return bool(component[0].any() or component[-1].any() or component[:, 0].any() or component[:, -1].any())


@dataclass(frozen=True)
class Overlays:
    product: ProtectMask
    remove: np.ndarray  # bool: pixels to fill
    lines: list[TextLine]  # the text being removed
    badges: int  # text-free blobs removed


def find_overlays(
    source: np.ndarray,
    lines: list[TextLine],
    supplied: ProtectMask | None,
    boxes: list[tuple[int, int, int, int]],
    *,
    badges: bool,
    margin: int,
    min_mask_confidence: float,
) -> Overlays:
    """Split the photo into product and promotional overlays (see the module docstring)."""
    shape = source.shape[:2]
    foreground = _foreground(source)
    count, labels = cv2.connectedComponents(foreground.astype(np.uint8), connectivity=8)
    line_masks = [_quad_mask(line, shape) for line in lines]
    overlay = np.zeros(shape, bool)
    badge_count = 0
    if supplied is None:
        # The largest blob is the product; another blob is an overlay when it carries text or meets the edge.
        areas = np.bincount(labels.ravel(), minlength=count)
        areas[0] = 0
        largest = int(areas.argmax()) if count > 1 else 0
        product = np.zeros(shape, bool)
        for index in range(1, count):
            component = labels == index
            has_text = any((component & quad).sum() > 0.3 * quad.sum() for quad in line_masks)
            if index != largest and (has_text or (badges and _touches_edge(component))):
                overlay |= component
                badge_count += 0 if has_text else 1
            else:
                product |= component
        # The outline's confidence, judged without the overlays (a corner badge would count as a product
        # touching the frame).
        cleaned = source.copy()
        cleaned[overlay] = np.median(source[~foreground], axis=0).astype(np.uint8) if (~foreground).any() else 255
        estimate = classical_protect_mask(cleaned)
        protect = require_usable(
            ProtectMask(product, estimate.confidence, "classical", estimate.warnings),
            min_confidence=min_mask_confidence,
        )
    else:
        protect = supplied
        for index in range(1, count):
            component = labels == index
            if (component & protect.mask).any():
                continue
            has_text = any((component & quad).sum() > 0.3 * quad.sum() for quad in line_masks)
            if has_text or (badges and _touches_edge(component)):
                overlay |= component
                badge_count += 0 if has_text else 1
    removed_lines = []
    marked = np.zeros(shape, bool)
    for x0, y0, x1, y1 in boxes:
        marked[y0:y1, x0:x1] = True
    for line, quad in zip(lines, line_masks, strict=True):
        on_product = (quad & protect.mask).sum() > ON_PRODUCT_SHARE * max(1, quad.sum())
        in_box = (quad & marked).sum() > 0.5 * max(1, quad.sum())
        if in_box or not on_product:
            removed_lines.append(line)
            _, y0, _, y1 = line.box
            overlay |= dilate(quad, max(2, round(0.15 * (y1 - y0))))
    remove = dilate(overlay, margin)
    # Never into the product, except inside a merchant-marked box.
    remove &= ~protect.mask | marked
    keep = protect.mask & ~remove
    product = ProtectMask(keep, protect.confidence, protect.method, protect.warnings)
    return Overlays(product=product, remove=remove, lines=removed_lines, badges=badge_count)


def _ring(region: np.ndarray, blocked: np.ndarray) -> np.ndarray:
    inner, outer = RING
    return dilate(region, outer) & ~dilate(region, inner) & ~blocked


def _patch_fill(image: np.ndarray, region: np.ndarray, blocked: np.ndarray) -> np.ndarray | None:
    """Copy the same-sized window from beside the region (the side whose rim matches best), or None."""
    ys, xs = np.nonzero(region)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    height, width = region.shape
    h, w = y1 - y0, x1 - x0
    rim = dilate(region, 2) & ~region
    best, best_cost = None, np.inf
    for dy, dx in ((0, -w), (0, w), (-h, 0), (h, 0), (-h, -w), (-h, w), (h, -w), (h, w)):
        sy0, sx0 = y0 + dy, x0 + dx
        if sy0 < 0 or sx0 < 0 or sy0 + h > height or sx0 + w > width:
            continue
        window = (slice(sy0, sy0 + h), slice(sx0, sx0 + w))
        if blocked[window].any():
            continue
        shifted = np.roll(np.roll(image, -dy, axis=0), -dx, axis=1)
        cost = float(np.abs(shifted[rim].astype(np.int16) - image[rim].astype(np.int16)).mean())
        if cost < best_cost:
            best, best_cost = shifted, cost
    if best is None:
        return None
    filled = image.copy()
    filled[region] = best[region]
    # The seam: a thin band along the hole's edge is blended by inpainting.
    seam = dilate(region, 1) & ~cv2.erode(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return cv2.inpaint(filled, seam.astype(np.uint8), 2, cv2.INPAINT_TELEA)


@dataclass(eq=False)
class CleanupPlan(Plan):
    overlays: Overlays | None = None
    reader: TextReader | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def finish(self, generated: np.ndarray | None) -> RenderResult:
        if self.overlays is None or self.reader is None:
            raise ValueError("cleanup plan was not prepared")
        remove = self.overlays.remove
        blocked = self.overlays.product.mask | remove
        count, labels = cv2.connectedComponents(remove.astype(np.uint8), connectivity=8)
        regions = []
        with self.stopwatch.stage("fill"):
            filled = self.source.copy()
            if generated is not None:
                filled[remove] = generated[remove]
            else:
                smooth = cv2.inpaint(
                    self.source,
                    remove.astype(np.uint8),
                    3,
                    cv2.INPAINT_TELEA if self.params["method"] == "telea" else cv2.INPAINT_NS,
                )
                for index in range(1, count):
                    region = labels == index
                    ring = _ring(region, blocked)
                    texture = float(rgb_to_lab_exact(self.source[ring][::4])[:, 0].std()) if ring.any() else 0.0
                    method = self.params["method"]
                    if method == "auto":
                        method = "patch" if texture > TEXTURE_STD else "ns"
                    patch = _patch_fill(self.source, region, blocked) if method == "patch" else None
                    if patch is None and method == "patch":
                        method = "ns"  # no clean window beside this region
                    filled[region] = (patch if patch is not None else smooth)[region]
                    regions.append({"region": region, "ring": ring, "method": method, "texture": texture})
            output = paste_back(self.source, filled, ~remove)
        with self.stopwatch.stage("read_back"):
            still = self._still_legible(output)
        if still:
            raise OverlayRemovalFailed(
                f"after clean-up the photo still reads {', '.join(repr(s) for s in still)}; mark the area with a "
                "box or clean this photo by hand"
            )
        reports = []
        for entry in regions:
            region, ring = entry["region"], entry["ring"]
            ys, xs = np.nonzero(region)
            fill_lab = rgb_to_lab_exact(output[region]).mean(axis=0)
            ring_lab = rgb_to_lab_exact(output[ring]).mean(axis=0) if ring.any() else fill_lab
            reports.append(
                {
                    "box": [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1],
                    "area": int(region.sum()),
                    "method": entry["method"],
                    "background_texture": round(entry["texture"], 2),
                    "fill_delta_e00": round(delta_e00(fill_lab, ring_lab), 3),
                }
            )
        details = {
            "removed_text": [line.text for line in self.overlays.lines],
            "badges": self.overlays.badges,
            "regions": reports,
            "fill_delta_e00_max": max((r["fill_delta_e00"] for r in reports), default=0.0),
            "removed_share": round(float(remove.mean()), 5),
            "mask_method": self.protect.method,
        }
        return self.result(image=output, protect=self.protect, edit_mask=remove, details=details)

    def _still_legible(self, output: np.ndarray) -> list[str]:
        """Removed text that OCR still finds in the result, where it was removed."""
        assert self.overlays is not None and self.reader is not None
        remove = self.overlays.remove
        found = self.reader.find_lines(output)
        wanted = [fold(line.text) for line in self.overlays.lines]
        still = []
        for line in found:
            if not (_quad_mask(line, remove.shape) & remove).any():
                continue  # text elsewhere (on the product) is none of this edit's business
            read = fold(line.text)
            if any(text_overlap(read, text) >= READBACK_OVERLAP for text in wanted if text):
                still.append(line.text)
        return still


class CleanupRecipe(Recipe):
    name = edit_kinds.CLEANUP
    parameters = PARAMETERS

    def prepare(self, request: RenderRequest, source: np.ndarray, alpha: np.ndarray | None, engine: Engine) -> Plan:
        stopwatch = Stopwatch()
        params, warnings = PARAMETERS.resolve(dict(request.params))
        size = (source.shape[1], source.shape[0])
        boxes = parse_boxes(params["boxes"], size)
        with stopwatch.stage("ocr"):
            found = engine.text_reader.find_lines(source)
        lines = [line for line in found if line.confidence >= params["min_confidence"]]
        with stopwatch.stage("mask"):
            supplied = None
            if request.mask is not None:
                supplied = mask_from_supplied(request.mask, size)
            elif alpha is not None:
                supplied = mask_from_alpha(alpha)
            if supplied is not None:
                supplied = require_usable(supplied, min_confidence=engine.config.min_mask_confidence)
            overlays = find_overlays(
                source,
                lines,
                supplied,
                boxes,
                badges=params["badges"],
                margin=params["margin"],
                min_mask_confidence=engine.config.min_mask_confidence,
            )
        if not overlays.remove.any() and params["require_overlay"]:
            raise NoTextFound("no promotional text, sticker or badge was found outside the product: nothing to clean")
        return CleanupPlan(
            request=request,
            source=source,
            params=params,
            stopwatch=stopwatch,
            protect=overlays.product,
            warnings=warnings,
            overlays=overlays,
            reader=engine.text_reader,
        )
