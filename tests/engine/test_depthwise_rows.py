"""The depthwise forward (``engine/ops/depthwise.py``: kw shifted copies, one small product per
channel, kh - 1 adds) against its plain twins: the loops of ``conv2d_naive`` and one ungrouped
im2col convolution per channel. ``depthwise_rows`` fills the rows it is given and no others."""

import numpy as np
import pytest

from engine.ops import im2col
from engine.ops.conv_naive import conv2d_naive
from engine.ops.depthwise import depthwise_forward, depthwise_rows

rng = np.random.default_rng(23)

# (N, C, H, W), kernel, stride, padding, dilation
CASES = [
    ((1, 3, 7, 9), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((3, 2, 9, 7), (3, 3), (2, 2), (1, 1), (1, 1)),
    ((1, 4, 8, 6), (3, 3), (2, 2), (0, 0), (1, 1)),
    ((3, 3, 7, 7), (5, 5), (1, 1), (2, 2), (1, 1)),
    ((1, 2, 11, 9), (5, 5), (2, 2), (2, 2), (1, 1)),
    ((1, 3, 9, 9), (3, 3), (1, 1), (2, 2), (2, 2)),
    ((3, 2, 10, 7), (3, 3), (2, 1), (1, 2), (2, 1)),
    ((1, 3, 5, 8), (1, 3), (1, 1), (0, 1), (1, 1)),
    ((3, 2, 6, 5), (1, 3), (2, 2), (0, 2), (1, 2)),
    ((1, 2, 1, 1), (3, 3), (1, 1), (3, 3), (3, 3)),  # every tap but one in the padding
    ((1, 2, 1, 4), (2, 2), (3, 3), (3, 2), (2, 1)),  # output rows made of padding only
]


def inputs(shape, kernel, dtype, bias: bool):
    N, C, H, W = shape
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((C, 1, *kernel)).astype(dtype)
    b = rng.standard_normal(C).astype(dtype) if bias else None
    return x, w, b


def tolerance(dtype):
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape, k, s, p, d", CASES)
def test_depthwise_forward_against_the_loops(shape, k, s, p, d, bias, dtype):
    x, w, b = inputs(shape, k, dtype, bias)
    want = conv2d_naive(x.astype(np.float64), w, b, s, p, d, groups=shape[1])
    for budget in (None, 1):  # one block; one row and one channel per block
        out, cache = depthwise_forward(x, w, b, s, p, d, budget=budget)
        assert out.dtype == dtype and out.shape == want.shape
        assert out.transpose(1, 2, 3, 0).flags.c_contiguous  # batch-last memory
        np.testing.assert_allclose(out, want, **tolerance(dtype))
        assert cache.x is x  # the input itself: only the backward pads it


@pytest.mark.parametrize("shape, k, s, p, d", CASES[:7])
def test_depthwise_forward_against_one_im2col_convolution_per_channel(shape, k, s, p, d):
    x, w, b = inputs(shape, k, np.float64, True)
    want = np.concatenate(
        [
            im2col.conv_forward(x[:, c : c + 1], w[c : c + 1], b[c : c + 1], (s, p, d))[0]
            for c in range(shape[1])
        ],
        axis=1,
    )
    np.testing.assert_allclose(depthwise_forward(x, w, b, s, p, d)[0], want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("budget", [None, 1, 700])
@pytest.mark.parametrize("shape, k, s, p, d", [CASES[0], CASES[1], CASES[4], CASES[6]])
def test_rows_fill_their_rows_and_nothing_else(shape, k, s, p, d, budget):
    x, w, b = inputs(shape, k, np.float32, True)
    whole = depthwise_forward(x, w, b, s, p, d)[0].transpose(1, 2, 3, 0)  # (C, Ho, Wo, N)
    x_bl = np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (C, H, W, N)
    Ho = whole.shape[1]
    for rows in (slice(0, 1), slice(1, Ho - 1), slice(Ho // 2, Ho), slice(Ho - 1, Ho)):
        out = np.full_like(whole, np.nan)
        depthwise_rows(x_bl, w, b, (s, p, d), out, rows, budget)
        np.testing.assert_allclose(out[:, rows], whole[:, rows], rtol=1e-6, atol=1e-6)
        outside = np.ones(Ho, dtype=bool)
        outside[rows] = False
        assert np.isnan(out[:, outside]).all()
    halves = np.full_like(whole, np.nan)  # two disjoint ranges, as two threads would fill them
    depthwise_rows(x_bl, w, b, (s, p, d), halves, slice(Ho // 2, None), budget)
    depthwise_rows(x_bl, w, b, (s, p, d), halves, slice(0, Ho // 2), budget)
    np.testing.assert_allclose(halves, whole, rtol=1e-6, atol=1e-6)


def test_rows_read_an_input_that_is_not_batch_last_and_refuse_a_bad_out():
    x, w, b = inputs((2, 3, 6, 5), (3, 3), np.float64, True)
    hyper = ((1, 1), (1, 1), (1, 1))
    want = conv2d_naive(x, w, b, *hyper, groups=3).transpose(1, 2, 3, 0)
    out = np.empty(want.shape)
    depthwise_rows(x.transpose(1, 2, 3, 0), w, b, hyper, out, slice(None))  # a strided view
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="C-contiguous"):
        depthwise_rows(x.transpose(1, 2, 3, 0), w, b, hyper, out[:, :, ::-1], slice(None))
    with pytest.raises(ValueError, match="step 1"):
        depthwise_rows(x.transpose(1, 2, 3, 0), w, b, hyper, out, slice(0, 6, 2))
