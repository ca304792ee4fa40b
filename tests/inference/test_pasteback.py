from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vitrine.inference.masks import erode
from vitrine.inference.pasteback import paste_back, source_weight


@st.composite
def frames(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A source, an unrelated generated frame and a random mask (noise, blobs or rectangles)."""
    height = draw(st.integers(8, 48))
    width = draw(st.integers(8, 48))
    source = draw(arrays(np.uint8, (height, width, 3)))
    generated = draw(arrays(np.uint8, (height, width, 3)))
    kind = draw(st.sampled_from(["noise", "rectangles"]))
    if kind == "noise":
        mask = draw(arrays(np.bool_, (height, width)))
    else:
        mask = np.zeros((height, width), bool)
        for _ in range(draw(st.integers(1, 4))):
            y0, x0 = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
            mask[y0 : draw(st.integers(y0 + 1, height)), x0 : draw(st.integers(x0 + 1, width))] = True
    return source, generated, mask


@settings(max_examples=300, deadline=None)
@given(frames(), st.integers(0, 6), st.booleans())
def test_inside_the_mask_the_output_is_the_source_byte_for_byte(frame, feather, with_alpha) -> None:
    source, generated, mask = frame
    alpha = (np.arange(mask.size).reshape(mask.shape) * 37 % 256).astype(np.uint8) if with_alpha else None
    output = paste_back(source, generated, mask, feather=feather, edge_alpha=alpha)
    assert output.dtype == np.uint8 and output.shape == source.shape
    assert np.array_equal(output[mask], source[mask])
    assert np.array_equal(output[erode(mask, 1)], source[erode(mask, 1)])
    if alpha is None:
        # Beyond the feathered rim the generated frame is untouched.
        rim, weights = source_weight(mask, feather)
        shows_source = np.zeros(mask.shape, bool)
        shows_source[rim] = weights > 0
        far = ~mask & ~shows_source
        assert np.array_equal(output[far], generated[far])


@settings(max_examples=100, deadline=None)
@given(frames(), st.integers(1, 6))
def test_the_feather_only_blends_between_source_and_generated(frame, feather) -> None:
    source, generated, mask = frame
    output = paste_back(source, generated, mask, feather=feather).astype(int)
    low = np.minimum(source, generated).astype(int)
    high = np.maximum(source, generated).astype(int)
    assert ((output >= low) & (output <= high)).all()


def test_feather_weight_falls_off_outside_the_mask() -> None:
    mask = np.zeros((1, 12), bool)
    mask[0, :3] = True
    rim, weights = source_weight(mask, 3)
    assert not rim[0, :3].any()  # inside the mask bytes are copied, never weighted
    by_column = dict(zip(np.flatnonzero(rim[0]).tolist(), weights.tolist(), strict=True))
    assert by_column[3] == pytest.approx(0.75) and by_column[4] == pytest.approx(0.5)
    assert by_column[5] == pytest.approx(0.25) and by_column.get(6, 0.0) == 0.0
    assert set(by_column) <= set(range(3, 8))


def test_cutout_alpha_weights_its_own_rim() -> None:
    mask = np.zeros((1, 6), bool)
    mask[0, :2] = True
    alpha = np.array([[255, 255, 128, 51, 0, 0]], np.uint8)
    rim, weights = source_weight(mask, 0, alpha)
    assert np.flatnonzero(rim[0]).tolist() == [2, 3]
    assert weights.tolist() == pytest.approx([128 / 255, 51 / 255])


def test_mismatched_shapes_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="equal shapes"):
        paste_back(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8), np.zeros((4, 4), bool))
