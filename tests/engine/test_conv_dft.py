"""The convolution through the discrete Fourier transform (engine/ops/conv_dft.py) against its
plain twin, the loops of engine/ops/conv_naive.py (themselves checked by centred differences
in float64, tests/engine/test_layers.py): forward, input, weight and bias gradients, with odd
and even periods, uneven padding, non-square kernels; and where the engine uses it."""

from __future__ import annotations

import numpy as np
import pytest

from engine.ops import conv, conv_dft
from engine.ops.conv_naive import conv2d_backward_naive, conv2d_naive
from engine.ops.epilogue import epilogue

CASES = [  # N, C, F, H, W, kh, kw, ph, pw
    (2, 3, 4, 9, 7, 5, 5, 2, 2),  # periods 13 × 11: odd, the Hermitian half has no middle bin
    (3, 2, 3, 10, 10, 5, 5, 0, 0),  # no padding: 6 × 6 outputs
    (2, 1, 5, 12, 11, 7, 3, 3, 1),  # non-square kernel, padding per side
    (1, 4, 2, 6, 8, 5, 7, 1, 3),  # kernel wider than the unpadded input
]


def _relative(a, b) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("batch_last", [True, False])
def test_dft_convolution_is_the_loops(case, batch_last):
    N, C, F, H, W, kh, kw, ph, pw = case
    rng = np.random.default_rng(sum(case))
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    if batch_last:  # as the engine's layers hand their outputs on
        x = x.transpose(1, 2, 3, 0).copy().transpose(3, 0, 1, 2)
    w = rng.standard_normal((F, C, kh, kw)).astype(np.float32)
    b = rng.standard_normal(F).astype(np.float32)
    out, cache = conv_dft.conv_forward(x, w, b, (ph, pw))
    want = conv2d_naive(x.astype(np.float64), w.astype(np.float64), b, padding=(ph, pw))
    assert out.shape == want.shape and out.dtype == np.float32
    assert _relative(out, want) < 2e-6
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx, dw, db = conv_dft.conv_backward(dout, cache, need_dx=True)
    want_dx, want_dw, want_db = conv2d_backward_naive(
        x.astype(np.float64), w.astype(np.float64), dout.astype(np.float64), padding=(ph, pw)
    )
    assert _relative(dx, want_dx) < 2e-6
    assert _relative(dw, want_dw) < 2e-6
    assert _relative(db, want_db) < 1e-6
    assert dx.transpose(1, 2, 3, 0).flags.c_contiguous  # batch-last, as im2col's
    _, dw2, _ = conv_dft.conv_backward(dout, cache, need_dx=False)
    np.testing.assert_array_equal(dw2, dw)


def test_the_engine_uses_it_where_it_pays():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 8, 14, 14)).astype(np.float32)
    w = rng.standard_normal((16, 8, 5, 5)).astype(np.float32)
    hyper = ((1, 1), (2, 2), (1, 1))
    _, cache = conv.conv2d_forward(x, w, None, *hyper)
    assert isinstance(cache, conv_dft.DftCache)
    others = [
        (x, w[:, :, :3, :3], hyper),  # 3×3: the transforms cost more than they save
        (x, w, ((2, 2), (2, 2), (1, 1))),  # stride 2
        (x, w, ((1, 1), (4, 4), (2, 2))),  # dilation 2
        (x[:4], w, hyper),  # a few images
        (x[:, :1], w[:, :1], hyper),  # one input channel: the transforms cost more (cost_ratio)
        (x.astype(np.float64), w.astype(np.float64), hyper),  # float64: gradient checks
    ]
    for xi, wi, hy in others:
        assert not isinstance(conv.conv2d_forward(xi, wi, None, *hy)[1], conv_dft.DftCache)


def test_dispatched_forward_backward_and_epilogue_agree_with_im2col():
    """Through conv2d_forward/backward, as a layer calls them; with an inference epilogue."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 12, 11, 13)).astype(np.float32)
    w = rng.standard_normal((7, 12, 5, 5)).astype(np.float32)
    b = rng.standard_normal(7).astype(np.float32)
    out, cache = conv.conv2d_forward(x, w, b, (1, 1), (2, 2))
    assert isinstance(cache, conv_dft.DftCache)
    want = conv2d_naive(x.astype(np.float64), w.astype(np.float64), b, padding=(2, 2))
    assert _relative(out, want) < 2e-6
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx, _, _ = conv.conv2d_backward(dout, cache)
    want_dx = conv2d_backward_naive(
        x.astype(np.float64), w.astype(np.float64), dout.astype(np.float64), padding=(2, 2)
    )[0]
    assert _relative(dx, want_dx) < 2e-6
    assert conv.scratch(cache) is None
    ep = epilogue(np.float32, clamp=(0.0, 2.0))
    clamped, _ = conv.conv2d_forward(x, w, b, (1, 1), (2, 2), epilogue=ep)
    np.testing.assert_array_equal(clamped, np.clip(out, 0, 2))
