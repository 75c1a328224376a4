"""Convolution anatomy (weight matrix, dense view, equation, steps) against plain-loop twins."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.signal import correlate2d

from engine.anatomy import (
    MAX_STEP_TERMS,
    convolve,
    dense_view,
    equation,
    matvec,
    steps,
    structural_zeros,
    weight_matrix,
)
from engine.ops.conv_naive import conv2d_naive

# (C, H, W, kh, kw, stride, padding, dilation)
CASES = [
    (1, 3, 3, 2, 2, (1, 1), (0, 0), (1, 1)),
    (1, 5, 5, 3, 3, (2, 2), (0, 0), (1, 1)),
    (2, 6, 7, 3, 2, (2, 1), (1, 0), (1, 1)),
    (3, 7, 5, 2, 3, (1, 2), (2, 1), (2, 1)),
    (3, 8, 9, 3, 3, (3, 2), (1, 2), (2, 2)),
    (4, 5, 6, 1, 1, (1, 1), (0, 0), (1, 1)),
    (2, 4, 4, 4, 4, (1, 1), (0, 0), (1, 1)),
    (1, 3, 3, 2, 2, (1, 1), (2, 2), (1, 1)),  # corner windows lie wholly in the padding
    (2, 9, 4, 2, 3, (2, 3), (0, 1), (3, 1)),
]


def conv_reference(x, w, b, stride, padding, dilation):
    """The engine's plain-loop convolution on one filter: ``x: (C, H, W)``, ``w: (C, kh, kw)``,
    scalar ``b`` → ``(H_out, W_out)``."""
    return conv2d_naive(x[None], w[None], np.array([b]), stride, padding, dilation)[0, 0]


def weight_matrix_reference(w, input_shape, stride, padding, dilation):
    """Plain loops: ``M: (H_out*W_out, C*H*W)`` with ``M[i*W_out + j, c*H*W + r*W + s] = w``."""
    C, H, W = input_shape
    _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    H_out = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    W_out = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    m = np.zeros((H_out * W_out, C * H * W))
    for i in range(H_out):
        for j in range(W_out):
            for c in range(C):
                for a in range(kh):
                    for bb in range(kw):
                        r, s = i * sh - ph + a * dh, j * sw - pw + bb * dw
                        if 0 <= r < H and 0 <= s < W:
                            m[i * W_out + j, (c * H + r) * W + s] = w[c, a, bb]
    return m


def random_case(seed, C, H, W, kh, kw):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(C, H, W)), rng.normal(size=(C, kh, kw)), float(rng.normal())


def check_conv_views(x, w, b, stride, padding, dilation):
    """Every view of one filter agrees with the loop twins; the message names the view."""
    hyper = {"stride": stride, "padding": padding, "dilation": dilation}
    ref = conv_reference(x, w, b, **hyper)  # ref: (H_out, W_out)
    wm = weight_matrix(w, b, x.shape, **hyper)
    m = wm.dense()  # m: (rows, cols)
    assert wm.shape_out == ref.shape, f"shape_out {wm.shape_out} != {ref.shape} for {hyper}"
    assert (wm.rows, wm.cols) == (ref.size, x.size) == m.shape
    assert_array_equal(m, weight_matrix_reference(w, x.shape, **hyper), err_msg="dense()")
    assert_allclose(m @ x.reshape(-1) + b, ref.reshape(-1), atol=1e-12, err_msg="M @ x + b")
    out = convolve(x, w, b, **hyper)
    assert_allclose(out, ref, atol=1e-12, err_msg="convolve")
    all_steps = steps(x, w, b, **hyper)
    assert [s.output for s in all_steps] == [divmod(r, ref.shape[1]) for r in range(ref.size)]
    assert_array_equal([s.sum for s in all_steps], out.reshape(-1), err_msg="Step.sum")
    for step in all_steps:
        assert len(step.terms) == w.size
        assert_allclose(sum(t.product for t in step.terms) + step.bias, step.sum, atol=1e-12)
        for t, wk in zip(step.terms, w.reshape(-1), strict=True):
            assert t.w == wk and t.product == t.x * t.w + 0.0
            assert t.x == (0.0 if t.input is None else x[t.input])
    i, j = ref.shape[0] - 1, ref.shape[1] - 1
    assert equation(x, w, b, i, j, **hyper) == all_steps[-1]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_view_matches_the_loops(case):
    C, H, W, kh, kw, stride, padding, dilation = case
    for seed in range(3):
        x, w, b = random_case(seed, C, H, W, kh, kw)
        check_conv_views(x, w, b, stride, padding, dilation)


@pytest.mark.parametrize("C, H, W, kh, kw", [(1, 6, 6, 3, 3), (3, 5, 8, 2, 4), (2, 7, 4, 1, 3)])
def test_matrix_matches_scipy_correlate2d(C, H, W, kh, kw):
    x, w, b = random_case(7, C, H, W, kh, kw)
    expected = sum(correlate2d(x[c], w[c], mode="valid") for c in range(C)) + b
    wm = weight_matrix(w, b, x.shape)
    assert_allclose(wm.dense() @ x.reshape(-1) + b, expected.reshape(-1), atol=1e-12)


def test_padding_adds_no_columns_and_no_entries():
    x, w, b = random_case(1, 2, 4, 5, 3, 3)
    wm = weight_matrix(w, b, x.shape, padding=1)
    assert wm.cols == 2 * 4 * 5 and wm.shape_out == (4, 5)
    # the corner output's window has 5 of its 9 positions per channel in the padding
    assert (wm.entries[:, 0] == 0).sum() == 2 * 4
    assert len(wm.entries) < wm.rows * w.size


def test_entries_are_sorted_unique_and_in_range():
    x, w, b = random_case(2, 3, 8, 9, 3, 3)
    wm = weight_matrix(w, b, x.shape, stride=(3, 2), padding=(1, 2), dilation=2)
    row, col, k = wm.entries.T
    assert wm.entries.dtype == np.int64
    assert np.all(np.diff(row * w.size + k) > 0)  # sorted by row, then k
    assert len({(r, c) for r, c in zip(row, col, strict=True)}) == len(row)
    assert row.max() < wm.rows and col.max() < wm.cols and k.max() < w.size
    index = wm.kernel_index()
    assert_array_equal(index[row, col], k)
    assert (index >= 0).sum() == len(wm.entries)


def test_same_padding_keeps_the_size():
    x, w, b = random_case(3, 2, 5, 6, 3, 3)
    wm = weight_matrix(w, b, x.shape, padding="same", dilation=2)
    assert wm.shape_out == (5, 6)
    ref = conv_reference(x, w, b, (1, 1), (2, 2), (2, 2))
    assert_allclose(wm.dense() @ x.reshape(-1) + b, ref.reshape(-1), atol=1e-12)


def test_two_dimensional_input_and_kernel_mean_one_channel():
    x, w, b = random_case(4, 1, 4, 4, 2, 2)
    assert_array_equal(convolve(x[0], w[0], b), convolve(x, w, b))
    assert weight_matrix(w[0], b, (4, 4)).shape_in == (1, 4, 4)


def test_to_dict_is_the_api_weight_matrix():
    x, w, b = random_case(5, 2, 3, 4, 2, 2)
    d = weight_matrix(w, b, x.shape).to_dict()
    assert set(d) == {
        *("shape_in", "shape_out", "rows", "cols", "kernel", "bias", "entries"),
        "num_structural_zeros",
    }
    assert d["shape_in"] == [2, 3, 4] and d["shape_out"] == [2, 3]
    assert d["num_structural_zeros"] == 6 * 24 - len(d["entries"])
    assert (d["rows"], d["cols"], len(d["kernel"])) == (6, 24, 8)
    assert d["kernel"] == w.reshape(-1).tolist() and d["bias"] == b
    assert all(isinstance(v, int) for e in d["entries"] for v in e)
    assert json.loads(json.dumps(d)) == d


def test_dense_view_edges_and_structural_zeros_partition_the_matrix():
    x, w, b = random_case(6, 2, 5, 5, 3, 2)
    wm = weight_matrix(w, b, x.shape, stride=2, padding=1)
    view = dense_view(wm, list_zeros=True)
    edges = {(r, c) for r, c, _ in view["edges"]}
    zeros = {(r, c) for r, c in view["structural_zeros"]}
    assert view["num_edges"] == len(edges) == len(wm.entries)
    assert view["num_structural_zeros"] == len(zeros) == wm.rows * wm.cols - len(edges)
    assert not edges & zeros
    assert_array_equal(structural_zeros(wm), np.argwhere(wm.dense() == 0))
    assert "structural_zeros" not in dense_view(wm)


def test_equation_of_a_padded_corner():
    x = np.arange(1.0, 10.0).reshape(1, 3, 3)
    step = equation(x, np.ones((1, 3, 3)), 0.5, 0, 0, padding=1)
    assert [t.input for t in step.terms] == [
        None, None, None, None, (0, 0, 0), (0, 0, 1), None, (0, 1, 0), (0, 1, 1)
    ]  # fmt: skip
    assert [t.x for t in step.terms] == [0, 0, 0, 0, 1, 2, 0, 4, 5]
    assert step.sum == 12.5
    assert step.to_dict()["terms"][0] == {"input": None, "x": 0.0, "w": 1.0, "product": 0.0}


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"stride": 0}, ["stride", "(0, 0)"]),
        ({"stride": (1, -2)}, ["stride", "(1, -2)"]),
        ({"padding": -1}, ["padding", "(-1, -1)"]),
        ({"dilation": 0}, ["dilation", "(0, 0)"]),
        ({"padding": "full"}, ["padding", "'full'"]),
        ({"dilation": 3}, ["kernel spans 7", "padded input is only 4"]),
    ],
)
def test_bad_hyperparameters_name_the_value(kwargs, words):
    with pytest.raises(ValueError) as err:
        weight_matrix(np.ones((1, 3, 3)), 0, (1, 4, 4), **kwargs)
    for word in words:
        assert word in str(err.value)


def test_bad_shapes_name_the_value():
    with pytest.raises(ValueError, match=r"kernel has 2 channels but the input has 3"):
        weight_matrix(np.ones((2, 3, 3)), 0, (3, 5, 5))
    with pytest.raises(ValueError, match=r"shape \(2, 2, 2, 2\)"):
        convolve(np.ones((2, 2, 2, 2)), np.ones((2, 1, 1)))
    with pytest.raises(ValueError, match="finite"):
        convolve([[1.0, float("nan")], [0.0, 0.0]], [[1.0]])
    with pytest.raises(ValueError, match=r"j must be an int in \[0, 2\), got 2"):
        equation(np.ones((3, 3)), np.ones((2, 2)), 0, 0, 2)


def test_steps_are_capped():
    x, w, b = random_case(8, 3, 50, 50, 5, 5)
    with pytest.raises(ValueError, match=f"limit of {MAX_STEP_TERMS}"):
        steps(x, w, b)
    assert weight_matrix(w, b, x.shape).rows == 46 * 46  # the matrix itself is not capped


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matrix_matches_the_engine_conv(case):
    """Each filter's matrix agrees with ``engine.ops.conv.conv2d_forward`` (im2col)."""
    from engine.ops.conv import conv2d_forward

    C, H, W, kh, kw, stride, padding, dilation = case
    rng = np.random.default_rng(11)
    x, w, b = rng.normal(size=(C, H, W)), rng.normal(size=(3, C, kh, kw)), rng.normal(size=3)
    out, _ = conv2d_forward(x[None], w, b, stride, padding, dilation)  # out: (1, 3, H_out, W_out)
    for f in range(3):
        wm = weight_matrix(w[f], b[f], x.shape, stride, padding, dilation)
        assert_allclose(wm.dense() @ x.reshape(-1) + b[f], out[0, f].reshape(-1), atol=1e-12)


@pytest.mark.parametrize("case", [(0, 1, 4, 4, 2, 2, 1, 0), (1, 2, 6, 5, 3, 2, 2, 1)])
def test_matvec_equals_the_dense_matrix_product(case):
    seed, C, H, W, kh, kw, s, p = case
    x, w, b = random_case(seed, C, H, W, kh, kw)
    wm = weight_matrix(w, b, x.shape, stride=s, padding=p)
    want = wm.dense() @ x.reshape(-1) + b  # the plain twin
    assert_allclose(wm.matvec(x), want, atol=1e-12)
    assert_allclose(matvec(wm.to_dict()["entries"], wm.kernel, b, x, wm.rows), want, atol=1e-12)
    assert_allclose(wm.matvec(x), convolve(x, w, b, stride=s, padding=p).reshape(-1), atol=1e-12)
