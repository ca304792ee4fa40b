"""Exact paste-back: the last step of every edit, and the one that keeps the product's promise.

Generative models round-trip the whole frame through a VAE, classical compositing resamples edges:
either may touch product pixels. Whatever happened before, :func:`paste_back` copies the source's bytes
into every pixel of the hard mask, so inside it the output equals the source byte for byte. Blending
happens only outside the mask (a feathered rim, or the source's own anti-aliased alpha).
"""

from __future__ import annotations

import cv2
import numpy as np


def source_weight(
    mask: np.ndarray, feather: int, edge_alpha: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Where outside ``mask`` the source still shows, and how much: ``(rim, weights of the rim pixels)``.

    The feathered weight is 1 next to the mask and falls to 0 at ``feather + 1`` px away; a cut-out's own
    alpha, when given, counts where it is higher. Only the rim is computed: the frame can be large.
    """
    rim = np.zeros(mask.shape, bool)
    if feather > 0 and mask.any():
        size = 2 * feather + 3
        reach = cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
        rim = reach.astype(bool) & ~mask
    if edge_alpha is not None:
        rim |= (edge_alpha > 0) & ~mask
    weights = np.zeros(int(rim.sum()), np.float32)
    if feather > 0 and weights.size:
        # The 5x5 chamfer distance: exact along rows and columns, within 2% elsewhere, 3x faster than exact.
        distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
        weights = np.clip(1.0 - distance[rim] / (feather + 1), 0.0, 1.0)
    if edge_alpha is not None and weights.size:
        weights = np.maximum(weights, edge_alpha[rim].astype(np.float32) / 255.0)
    return rim, weights


def paste_back(
    source: np.ndarray,
    generated: np.ndarray,
    mask: np.ndarray,
    *,
    feather: int = 0,
    edge_alpha: np.ndarray | None = None,
) -> np.ndarray:
    """``generated`` with the source's pixels restored inside ``mask`` (uint8 RGB arrays, same shape).

    ``edge_alpha`` (uint8 HxW, the source's alpha channel) blends the anti-aliased rim of a cut-out by its
    own transparency instead of a synthetic feather.
    """
    if source.shape != generated.shape or source.shape[:2] != mask.shape:
        raise ValueError(
            f"paste-back needs equal shapes: source {source.shape}, generated {generated.shape}, mask {mask.shape}"
        )
    # A byte copy, not arithmetic: this is what makes the inside of the mask exact.
    output = generated.copy()
    cv2.copyTo(source, mask.view(np.uint8), output)
    rim, weights = source_weight(mask, feather, edge_alpha)
    if weights.size:
        w = weights[:, None]
        blended = source[rim].astype(np.float32) * w + generated[rim].astype(np.float32) * (1.0 - w)
        output[rim] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return output
