"""Background seen through a product: the opening of a mug's handle, the space inside a bag's strap.

A classical mask fills every region the product encloses, because a white label on a product on white is
still product. But the opening of a handle shows the old background, and a new background must show
through it. An enclosed region is opened (taken out of the protect mask) only when the confidence is high:

* it matches the border colour model (the frame's background colour, within the noise seen along the
  frame edge) nearly everywhere, and
* the product around it is a thin wall compared with the opening (a handle, a strap), not a body it sits
  deep inside (a label, a window in the packaging).

A region that is clearly part of the body stays product silently. A region in between stays product too,
and the render carries a review reason, so a person checks that spot. Masks from an alpha channel keep the
holes the alpha channel has: they are never filled (see :func:`vitrine.inference.masks.mask_from_alpha`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Enclosed regions smaller than this share of the frame (or this many pixels) are specks and letter
# counters: they stay product.
MIN_HOLE_SHARE = 0.0005
MIN_HOLE_PIXELS = 24
# Share of a region's pixels that must match the background colour model for it to be background.
BACKGROUND_MATCH = 0.97
# Below this share the region is product-coloured; between the two it is uncertain.
PRODUCT_MATCH = 0.6
# Wall thickness over the opening's diameter: a handle or strap is below THIN_WALL, a label inside a
# body is above THICK_WALL.
THIN_WALL = 0.6
THICK_WALL = 1.3
_CROSS = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class Hole:
    area: int
    background_share: float  # share of its pixels within the background colour model
    wall_ratio: float  # product wall thickness around it / its equivalent diameter
    confidence: float  # 0..1 that it is background seen through the product
    opened: bool


@dataclass(frozen=True, eq=False)
class HoleOutcome:
    mask: np.ndarray  # the protect mask with the confident openings taken out
    holes: tuple[Hole, ...]
    review_reasons: tuple[str, ...]

    @property
    def opened(self) -> int:
        return sum(hole.opened for hole in self.holes)


def _confidence(background_share: float, wall_ratio: float) -> float:
    colour = float(np.clip((background_share - PRODUCT_MATCH) / (BACKGROUND_MATCH - PRODUCT_MATCH), 0.0, 1.0))
    shape = float(np.clip((THICK_WALL - wall_ratio) / (THICK_WALL - THIN_WALL), 0.0, 1.0))
    return round(colour * shape, 4)


def open_enclosed_background(solid: np.ndarray, filled: np.ndarray, background: np.ndarray) -> HoleOutcome:
    """Take background seen through the product out of a hole-filled mask.

    ``solid`` is the product as detected (bool, holes open), ``filled`` the same with every enclosed region
    filled, ``background`` (bool) the pixels that match the frame's background colour model.
    """
    enclosed = filled & ~solid
    if not enclosed.any():
        return HoleOutcome(mask=filled, holes=(), review_reasons=())
    height, width = filled.shape
    # Distance of every pixel inside the filled outline to the outside background: the wall thickness
    # around a region is the median distance along its rim (thin all round for a handle; a label sits
    # deep in the body on most sides even when it comes close to the edge on one).
    to_outside = cv2.distanceTransform(filled.astype(np.uint8), cv2.DIST_L2, 5)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(enclosed.astype(np.uint8), connectivity=4)
    smallest = max(MIN_HOLE_PIXELS, MIN_HOLE_SHARE * height * width)
    mask = filled.copy()
    holes: list[Hole] = []
    uncertain = 0
    for label in range(1, count):
        area = int(stats[label, cv2.CC_STAT_AREA])
        if area < smallest:
            continue
        x, y, w, h = (int(stats[label, k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                                      cv2.CC_STAT_HEIGHT))
        region = labels[y:y + h, x:x + w] == label
        background_share = float(background[y:y + h, x:x + w][region].mean())
        rim = region & ~cv2.erode(region.astype(np.uint8), _CROSS, borderType=cv2.BORDER_CONSTANT,
                                  borderValue=0).astype(bool)
        wall = float(np.median(to_outside[y:y + h, x:x + w][rim]))
        wall_ratio = round(wall / math.sqrt(4.0 * area / math.pi), 4)
        confidence = _confidence(background_share, wall_ratio)
        opened = background_share >= BACKGROUND_MATCH and wall_ratio <= THIN_WALL
        if opened:
            mask[y:y + h, x:x + w][region] = False
        elif background_share >= PRODUCT_MATCH and wall_ratio < THICK_WALL:
            uncertain += 1
        holes.append(Hole(area=area, background_share=round(background_share, 4), wall_ratio=wall_ratio,
                          confidence=confidence, opened=opened))
    reasons = ()
    if uncertain:
        reasons = (
            f"{uncertain} enclosed area{'s' if uncertain > 1 else ''} inside the product might be background "
            f"seen through it (a handle or strap opening); kept as product, so the old background may show "
            f"there: check it",
        )
    return HoleOutcome(mask=mask, holes=tuple(holes), review_reasons=reasons)
