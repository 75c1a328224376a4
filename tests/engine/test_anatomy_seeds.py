"""The seed texts' worked examples, exactly, and the presets the playground serves."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine.anatomy import (
    POOL_PRESETS,
    PRESETS,
    SOURCES,
    cite,
    convolve,
    dense_view,
    equation,
    get_preset,
    pool_steps,
    steps,
    weight_matrix,
)

ABC = np.arange(1.0, 10.0).reshape(1, 3, 3)  # seed 000's pixels A..I
ALPHA_DELTA = np.array([[[1.0, 2.0], [3.0, 4.0]]])  # seed 000's filter α β γ δ
SEED002_X = np.array([[[4, 5, 1, 2], [9, 2, 7, 2], [3, 8, 6, 1], [0, 4, 2, 5]]], dtype=float)
SEED002_W = np.array([[[1, -5], [-3, 7]]], dtype=float)


def hyper(p):
    """``p``'s hyperparameters as keyword arguments."""
    return {"stride": p["stride"], "padding": p["padding"], "dilation": p["dilation"]}


# --- seed 000: CNNs from different viewpoints -------------------------------------------------


def test_seed000_filter_fits_four_times():
    assert convolve(ABC, ALPHA_DELTA, 1.0).shape == (2, 2)


def test_seed000_weight_matrix_is_4x9_with_16_shared_non_zeros():
    wm = weight_matrix(ALPHA_DELTA, 1.0, (1, 3, 3))
    assert (wm.rows, wm.cols) == (4, 9)
    assert len(wm.entries) == 16 and np.count_nonzero(wm.dense()) == 16
    for row in range(4):
        assert sorted(wm.entries[wm.entries[:, 0] == row, 2]) == [0, 1, 2, 3]  # α β γ δ once each
    assert_array_equal(np.bincount(wm.entries[:, 2]), [4, 4, 4, 4])  # every weight shared 4×
    a, b, c, d = 1.0, 2.0, 3.0, 4.0
    assert_array_equal(
        wm.dense(),
        [
            [a, b, 0, c, d, 0, 0, 0, 0],
            [0, a, b, 0, c, d, 0, 0, 0],
            [0, 0, 0, a, b, 0, c, d, 0],
            [0, 0, 0, 0, a, b, 0, c, d],
        ],
    )
    assert dense_view(wm)["num_structural_zeros"] == 36 - 16


def test_seed000_equation_view_shares_the_bias():
    # first result: αA + βB + γD + δE + b
    step = equation(ABC, ALPHA_DELTA, 1.0, 0, 0)
    assert [t.input for t in step.terms] == [(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1)]
    assert [t.product for t in step.terms] == [1 * 1, 2 * 2, 3 * 4, 4 * 5]
    assert step.sum == 1 + 4 + 12 + 20 + 1
    assert {s.bias for s in steps(ABC, ALPHA_DELTA, 1.0)} == {1.0}


def test_seed000_zero_padding_keeps_a_3x3_image_3x3():
    w = np.ones((1, 3, 3))
    assert convolve(ABC, w, padding=1).shape == (3, 3)
    assert convolve(ABC, w).shape == (1, 1)  # without padding only pixel E is a centre


# --- seed 002: the dot product with worked numbers ----------------------------------------------


def test_seed002_first_two_dot_products_are_minus_34_and_minus_16():
    out = convolve(SEED002_X, SEED002_W, stride=2)
    assert out.shape == (2, 2)
    assert out[0].tolist() == [-34.0, -16.0]
    assert out[1].tolist() == [1 * 3 - 5 * 8 - 3 * 0 + 7 * 4, 1 * 6 - 5 * 1 - 3 * 2 + 7 * 5]


def test_seed002_terms_of_the_first_two_windows():
    first = equation(SEED002_X, SEED002_W, 0, 0, 0, stride=2)
    second = equation(SEED002_X, SEED002_W, 0, 0, 1, stride=2)
    assert [t.product for t in first.terms] == [1 * 4, -5 * 5, -3 * 9, 7 * 2]
    assert [t.product for t in second.terms] == [1 * 1, -5 * 2, -3 * 7, 7 * 2]
    assert (first.sum, second.sum) == (-34.0, -16.0)


def test_seed002_max_pooling_with_a_2x2_window():
    result = pool_steps(SEED002_X[0], "max", 2)
    assert result.output.tolist() == [[9.0, 7.0], [8.0, 6.0]]
    assert result.steps[0].source == (1, 0)


# --- the presets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, shape_out",
    [
        ("filter-2x2-on-3x3", (2, 2)),
        ("two-dot-products", (2, 2)),
        ("same-padding", (3, 3)),
        ("stride-2", (3, 3)),
        ("1x1-across-channels", (4, 4)),
        ("5x5x3-on-32x32x3", (28, 28)),
    ],
)
def test_preset_runs_through_every_view(name, shape_out):
    p = PRESETS[name]
    assert set(p) == {
        *("name", "title", "description", "source"),
        *("input", "kernel", "bias", "stride", "padding", "dilation"),
    }
    assert json.loads(json.dumps(p)) == p
    assert p["name"] == name and "\n" not in p["description"]
    assert p["source"]["citation"] == cite(p["source"]["key"])
    assert not re.search(r"seed\s*\d", p["title"] + p["description"], re.IGNORECASE)
    x = np.asarray(p["input"])  # x: (C, H, W)
    assert x.ndim == 3 and np.asarray(p["kernel"]).ndim == 3
    wm = weight_matrix(p["kernel"], p["bias"], x.shape, **hyper(p))
    out = convolve(x, p["kernel"], p["bias"], **hyper(p))
    assert wm.shape_out == out.shape == shape_out
    assert_allclose(wm.dense() @ x.reshape(-1) + p["bias"], out.reshape(-1), atol=1e-9)
    assert len(steps(x, p["kernel"], p["bias"], **hyper(p))) == out.size


def test_presets_reproduce_the_seeds():
    p = PRESETS["two-dot-products"]
    assert convolve(p["input"], p["kernel"], p["bias"], **hyper(p))[0].tolist() == [-34, -16]
    p = PRESETS["filter-2x2-on-3x3"]
    assert len(weight_matrix(p["kernel"], p["bias"], (1, 3, 3)).entries) == 16
    p = PRESETS["1x1-across-channels"]
    x = np.asarray(p["input"])
    assert_array_equal(convolve(x, p["kernel"]), x[0] - x[1] + 2 * x[2])
    p = PRESETS["5x5x3-on-32x32x3"]
    x, w = np.asarray(p["input"]), np.asarray(p["kernel"])
    assert x.shape == (3, 32, 32) and w.shape == (3, 5, 5)
    assert_array_equal(np.round(x, 1), x) and len(np.unique(w)) > 5
    assert not np.signbit(x[x == 0]).any() and not np.signbit(w[w == 0]).any()  # no "-0.0"


def test_get_preset_returns_a_copy_and_names_the_choices():
    p = get_preset("filter-2x2-on-3x3")
    p["input"][0][0][0] = 99.0
    assert PRESETS["filter-2x2-on-3x3"]["input"][0][0][0] == 1.0
    with pytest.raises(ValueError, match=r"unknown preset 'seed9'; choose one of \["):
        get_preset("seed9")


def test_presets_are_named_by_what_they_show_and_cite_their_source():
    titles = [p["title"] for p in PRESETS.values()]
    assert titles == [
        "2×2 filter on a 3×3 image",
        "two dot products: −34 and −16",
        "same padding",
        "stride 2",
        "1×1 across channels",
        "5×5×3 on 32×32×3",
    ]
    for p in [*PRESETS.values(), *POOL_PRESETS]:
        assert p["source"]["key"] in SOURCES
        assert p["source"]["author"] in p["source"]["citation"]
        assert not re.search(r"seed\s*\d", json.dumps(p), re.IGNORECASE)
    assert cite("rathi") == (
        'Mukul Rathi, "Demystifying Deep Learning, Part 8: Convolutional Neural Networks" (2018)'
    )
