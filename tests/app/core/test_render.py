"""PNG rendering: colour maps, labelled grids, and the weight-matrix picture."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.core.render import (
    DIVERGING,
    SEQUENTIAL,
    STRUCTURAL_ZERO,
    ColourScale,
    grid_png,
    kernel_colours,
    weight_matrix_png,
)
from engine.anatomy import weight_matrix


def load(data: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG"
    return np.asarray(img.convert("RGB"))


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(float) @ [0.299, 0.587, 0.114]


# -- colour maps --------------------------------------------------------------------------


def test_diverging_is_white_at_zero_and_symmetric():
    assert DIVERGING.shape == SEQUENTIAL.shape == (256, 3)
    scale = ColourScale.for_values(np.array([-0.5, 2.0]))
    assert scale.kind == "diverging" and (scale.lo, scale.hi) == (-2.0, 2.0)
    assert (scale.vmin, scale.vmax) == (-0.5, 2.0)
    neg, zero, pos = scale.colour(np.array([-2.0, 0.0, 2.0]))
    assert zero.min() > 240  # nearly white
    assert neg[2] > neg[0] and pos[0] > pos[2]  # blue for negative, red for positive
    assert luminance(neg) == pytest.approx(luminance(pos), abs=40)


def test_sequential_for_non_negative_values_gets_darker_from_near_white_at_zero():
    scale = ColourScale.for_values(np.array([0.0, 3.0]))
    assert scale.kind == "sequential" and (scale.lo, scale.hi) == (0.0, 3.0)
    assert np.all(np.diff(luminance(SEQUENTIAL)) < 1)  # monotonic, allowing rounding
    assert luminance(SEQUENTIAL[0]) - luminance(SEQUENTIAL[-1]) > 150


def test_signed_can_be_forced_and_constant_maps_do_not_divide_by_zero():
    assert ColourScale.for_values(np.array([1.0, 2.0]), signed=True).kind == "diverging"
    for values in (np.zeros(4), np.full(4, 5.0)):
        rgb = ColourScale.for_values(values).colour(values)
        assert rgb.shape == (4, 3) and rgb.dtype == np.uint8


def test_kernel_colours_are_distinct_and_never_grey():
    colours = kernel_colours(32 * 5 * 5)  # conv2 of the shipped model: 800 kernel weights
    assert len({tuple(c) for c in colours}) == len(colours)
    assert (colours.max(axis=1).astype(int) - colours.min(axis=1)).min() > 40  # saturated
    assert not any(tuple(c) == STRUCTURAL_ZERO for c in colours)


# -- grids --------------------------------------------------------------------------------


def test_grid_draws_every_tile_enlarged_with_one_colour_per_value():
    tiles = np.zeros((3, 2, 2))
    tiles[1] = [[1, 0], [0, 1]]
    scale = ColourScale.for_values(tiles)
    rgb = load(grid_png(tiles, ["0", "1", "2"], "title", scale, ncols=3, cell=(10, 10)))
    assert rgb.shape[1] >= 3 * 20
    top = 8 + 14 + 4 + 14  # margin, title line, gap, label line
    x0 = 8 + 1 * (20 + 6)  # second tile
    hot, cold = tuple(scale.colour(np.array(1.0))), tuple(scale.colour(np.array(0.0)))
    assert tuple(rgb[top + 2, x0 + 2]) == hot  # tile 1, value [0, 0] = 1
    assert tuple(rgb[top + 2, x0 + 12]) == cold  # tile 1, value [0, 1] = 0
    assert tuple(rgb[top + 12, x0 + 12]) == hot  # tile 1, value [1, 1] = 1


def test_the_colour_bar_spans_the_scale():
    scale = ColourScale.for_values(np.array([-1.0, 1.0]))
    rgb = load(grid_png(np.zeros((1, 4, 4)), ["0"], "t", scale))
    blue, red = tuple(DIVERGING[0]), tuple(DIVERGING[-1])
    pixels = {tuple(p) for p in rgb.reshape(-1, 3)}
    assert blue in pixels and red in pixels


# -- weight matrix ------------------------------------------------------------------------


def test_weight_matrix_png_colours_each_kernel_index_and_greys_structural_zeros():
    kernel = np.arange(1.0, 19.0).reshape(2, 3, 3)
    wm = weight_matrix(kernel, 0.5, (2, 4, 5), stride=1, padding=1)
    rgb = load(weight_matrix_png(wm, (3, 3), max_side=400))
    cell = max(1, min(12, 400 // max(wm.rows, wm.cols)))
    top = 8 + 3 * 14 + 4  # margin and three lines of text
    index = wm.kernel_index()  # (rows, cols), -1 for a structural zero
    colours = kernel_colours(18)
    for row in range(wm.rows):
        for col in range(wm.cols):
            got = tuple(rgb[top + row * cell + cell // 2, 8 + col * cell + cell // 2])
            k = index[row, col]
            assert got == (STRUCTURAL_ZERO if k < 0 else tuple(colours[k])), (row, col)


def test_weight_matrix_png_checks_the_kernel_size():
    wm = weight_matrix(np.ones((3, 3)), 0.0, (1, 5, 5))
    with pytest.raises(ValueError, match="kernel has 9 weights"):
        weight_matrix_png(wm, (2, 2))
