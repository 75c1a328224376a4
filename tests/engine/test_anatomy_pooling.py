"""Pooling steps against a plain-loop twin with PyTorch's padding and tie rules."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine.anatomy import pool_steps


def pool_reference(x, mode, k, stride, padding):
    """Plain loops over ``x: (H, W)``: ``(out, windows, sources)``, row-major per output."""
    H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = k, stride, padding
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    out, windows, sources = np.zeros((H_out, W_out)), [], []
    for i in range(H_out):
        for j in range(W_out):
            window = [
                (r, s)
                for r in range(i * sh - ph, i * sh - ph + kh)
                for s in range(j * sw - pw, j * sw - pw + kw)
                if 0 <= r < H and 0 <= s < W
            ]
            values = [x[rs] for rs in window]
            if mode == "avg":
                out[i, j], source = sum(values) / (kh * kw), None  # count_include_pad=True
            else:
                best = max(values) if mode == "max" else min(values)
                source = window[values.index(best)]  # the first in row-major order wins
                out[i, j] = best
            windows.append(tuple(window))
            sources.append(source)
    return out, windows, sources


def check_pool(x, mode, k, stride, padding):
    result = pool_steps(x, mode, k, stride, padding)
    out, windows, sources = pool_reference(x, mode, k, stride, padding)
    assert result.output_shape == out.shape, f"{mode} {k} {stride} {padding}"
    assert_allclose(result.output, out, atol=1e-12, err_msg=f"{mode} output")
    assert [s.window for s in result.steps] == windows, f"{mode} windows"
    assert [s.source for s in result.steps] == sources, f"{mode} sources"
    assert_array_equal([s.value for s in result.steps], result.output.reshape(-1))


@pytest.mark.parametrize("mode", ["max", "avg", "min"])
@pytest.mark.parametrize(
    "H, W, k, stride, padding",
    [
        (4, 4, (2, 2), (2, 2), (0, 0)),
        (5, 7, (3, 2), (1, 2), (1, 1)),
        (6, 5, (3, 3), (2, 1), (1, 0)),
        (7, 7, (4, 2), (3, 1), (2, 1)),
    ],
)
def test_pooling_matches_the_loops(mode, H, W, k, stride, padding):
    for seed in range(3):
        x = np.random.default_rng(seed).normal(size=(H, W))
        check_pool(x, mode, k, stride, padding)


def test_padding_never_wins_max_or_min():
    x = -np.ones((2, 2))  # all negative: a zero pad would win max if it counted
    top_left = pool_steps(x, "max", 2, 1, 1).steps[0]
    assert top_left.value == -1.0 and top_left.window == ((0, 0),) and top_left.source == (0, 0)
    assert pool_steps(-x, "min", 2, 1, 1).output[0, 0] == 1.0
    assert pool_steps(x, "avg", 2, 1, 1).output[0, 0] == -0.25  # divides by kh*kw = 4


def test_ties_go_to_the_first_position():
    step = pool_steps(np.full((2, 2), 3.0), "max", 2).steps[0]
    assert step.source == (0, 0)


def test_global_pooling_is_one_window():
    x = np.arange(12.0).reshape(3, 4)
    for mode, value, source in [("max", 11.0, (2, 3)), ("min", 0.0, (0, 0)), ("avg", 5.5, None)]:
        result = pool_steps(x, mode, global_=True)
        assert result.output_shape == (1, 1) and result.output[0, 0] == value
        (step,) = result.steps
        assert len(step.window) == 12 and step.source == source
    assert "one 3×4 window" in result.formula


def test_stride_defaults_to_kernel_size_and_formula_shows_it():
    x = np.random.default_rng(0).normal(size=(6, 6))
    result = pool_steps(x, "max", 3)
    assert result.output_shape == (2, 2)
    assert result.formula.splitlines()[0] == "H_out = ⌊(6 + 2·0 − 3) / 3⌋ + 1 = 2"


def test_to_dict_is_the_api_pool_response():
    d = pool_steps([[1.0, 2.0], [4.0, 3.0]], "max", 2).to_dict()
    assert set(d) == {"output", "output_shape", "formula", "steps"}
    assert d["output"] == [[4.0]] and d["output_shape"] == [1, 1]
    assert d["steps"] == [
        {
            "output": [0, 0],
            "window": [[0, 0], [0, 1], [1, 0], [1, 1]],
            "value": 4.0,
            "source": [1, 0],
        }
    ]
    assert pool_steps([[1.0, 2.0], [4.0, 3.0]], "avg", 2).to_dict()["steps"][0]["source"] is None
    assert json.loads(json.dumps(d)) == d


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"mode": "median"}, r"mode must be one of .* got 'median'"),
        ({"stride": 0}, r"stride must be >= 1, got \(0, 0\)"),
        ({"padding": 2}, r"padding must be at most half the kernel size \(2, 2\), got \(2, 2\)"),
        ({"kernel_size": 5}, r"kernel spans 5"),
    ],
)
def test_bad_pooling_arguments_name_the_value(kwargs, match):
    args = {"mode": "max", "kernel_size": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        pool_steps(np.ones((4, 4)), **args)


def test_pooling_input_must_be_two_dimensional():
    with pytest.raises(ValueError, match=r"got shape \(2, 3, 3\)"):
        pool_steps(np.ones((2, 3, 3)), "max")


@pytest.mark.parametrize("mode", ["max", "avg", "min"])
def test_pooling_matches_the_engine_pool(mode):
    """The explained output agrees with ``engine.ops.pool.pool2d_forward``."""
    from engine.ops.pool import pool2d_forward

    x = np.random.default_rng(5).normal(size=(7, 6))
    for k, stride, padding in [((2, 2), (2, 2), (0, 0)), ((3, 2), (2, 1), (1, 1))]:
        out, _ = pool2d_forward(x[None, None], mode, k, stride, padding)  # out: (1, 1, Ho, Wo)
        assert_allclose(pool_steps(x, mode, k, stride, padding).output, out[0, 0], atol=1e-12)
