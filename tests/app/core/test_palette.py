"""One palette: the page's generated module is the Python palette, and the PNGs use it."""

from __future__ import annotations

import numpy as np

from app.core import palette, render


def test_the_pages_palette_module_is_generated_from_the_python_palette():
    assert palette.JS_PATH.read_text(encoding="utf-8") == palette.javascript(), (
        "static/js/shared/palette.js is stale: run `python -m app.core.palette`"
    )


def test_the_pngs_colour_with_the_palettes_tables():
    values = np.linspace(-2.0, 3.0, 101)
    scale = render.ColourScale.for_values(values)
    lo, hi = palette.scale_range("diverging", -2.0, 3.0)
    assert (scale.lo, scale.hi) == (lo, hi) == (-3.0, 3.0)
    np.testing.assert_array_equal(
        scale.colour(values), palette.LUTS["diverging"][palette.lut_index(values, lo, hi)]
    )
    zero = palette.LUTS["diverging"][palette.lut_index(0.0, lo, hi)].astype(int)
    assert np.abs(zero - palette.rgb("#f7f7f7")).max() <= 2  # zero is (nearly) the neutral stop
    np.testing.assert_array_equal(render.kernel_colours(800), palette.weight_colours(800))


def test_weight_colours_are_distinct_and_never_grey():
    table = palette.weight_colours(palette.WEIGHT_COLOURS)
    assert len({tuple(c) for c in table.tolist()}) == palette.WEIGHT_COLOURS
    assert not any(r == g == b for r, g, b in table.tolist())
    assert [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in table[:12].tolist()] == (
        palette.FIRST_WEIGHT_COLOURS
    )


def test_scale_kinds_follow_the_layer_types_and_inherit_through_pooling():
    layers = [
        {"index": 0, "type": "conv2d"},
        {"index": 1, "type": "maxpool2d"},
        {"index": 2, "type": "relu"},
        {"index": 3, "type": "flatten"},
        {"index": 4, "type": "add", "inputs": [3, 1]},
        {"index": 5, "type": "maxpool2d", "inputs": [-1]},
    ]
    assert palette.scale_kinds(layers) == [
        "diverging", "diverging", "sequential", "sequential", "diverging", "sequential"
    ]  # fmt: skip
