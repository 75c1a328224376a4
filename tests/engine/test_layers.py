"""Every layer: forward against a plain reference, backward against finite differences."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from engine import layers as L
from engine.ops.activation import softmax
from engine.ops.conv_naive import conv2d_naive
from engine.ops.pool import pool2d_naive
from tests.engine.gradcheck import check_layer

rng = np.random.default_rng(1234)


def randn(*shape):
    return rng.standard_normal(shape)


CONV_CASES = [
    # (N, C, H, W), F, kernel, stride, padding, dilation
    ((2, 1, 6, 6), 2, 3, 1, 0, 1),
    ((2, 3, 7, 8), 4, (2, 3), 1, 1, 1),
    ((1, 2, 9, 7), 3, 3, 2, 1, 1),
    ((2, 2, 9, 10), 2, (3, 2), (2, 1), (0, 2), (2, 1)),
    ((1, 3, 5, 5), 2, 1, 1, 0, 1),
    ((1, 2, 6, 6), 2, 3, 1, "same", 1),
    ((1, 1, 8, 8), 1, 3, 3, 2, 2),
]


@pytest.mark.parametrize("shape, F, k, s, p, d", CONV_CASES)
def test_conv2d(shape, F, k, s, p, d):
    layer = L.Conv2D(shape[1], F, k, s, p, d, rng=rng)
    layer.params["bias"] = randn(F)

    def ref(x, ps):
        return conv2d_naive(
            x, ps["weight"], ps["bias"], layer.stride, layer.padding, layer.dilation
        )

    check_layer(layer, randn(*shape), ref)


def test_conv2d_without_bias():
    check_layer(L.Conv2D(2, 3, 3, bias=False, rng=rng), randn(2, 2, 5, 5))


@pytest.mark.parametrize("seed", range(6))
def test_conv2d_matches_scipy_correlate2d(seed):
    r = np.random.default_rng(seed)
    C, F, H, W = r.integers(1, 4), r.integers(1, 4), r.integers(5, 12), r.integers(5, 12)
    kh, kw = r.integers(1, 5), r.integers(1, 5)
    x, layer = r.standard_normal((2, C, H, W)), L.Conv2D(int(C), int(F), (int(kh), int(kw)), rng=r)
    layer.params["bias"] = r.standard_normal(F)
    w, b = layer.params["weight"], layer.params["bias"]
    out = layer.forward(x)
    for n in range(2):
        for f in range(F):
            want = sum(correlate2d(x[n, c], w[f, c], mode="valid") for c in range(C)) + b[f]
            np.testing.assert_allclose(out[n, f], want, rtol=1e-5, atol=1e-5)


POOL_CASES = [
    ((2, 2, 6, 6), 2, None, 0),
    ((1, 3, 7, 5), 3, 2, 1),
    ((2, 1, 8, 9), (2, 3), (1, 2), (1, 0)),
]


@pytest.mark.parametrize("cls", [L.MaxPool2D, L.AvgPool2D, L.MinPool2D])
@pytest.mark.parametrize("shape, k, s, p", POOL_CASES)
def test_pool2d(cls, shape, k, s, p):
    layer = cls(k, s, p)
    ref = lambda x, _: pool2d_naive(x, layer.mode, layer.kernel_size, layer.stride, layer.padding)
    check_layer(layer, randn(*shape), ref)


@pytest.mark.parametrize("cls, reduce", [(L.GlobalAvgPool, np.mean), (L.GlobalMaxPool, np.max)])
def test_global_pool(cls, reduce):
    check_layer(cls(), randn(3, 4, 5, 6), lambda x, _: reduce(x, axis=(2, 3)))


def test_global_avg_pool_gradient_is_batch_last_like_the_activations():
    """The layers below a global pool (batch norm, ReLU) read its gradient beside their own
    batch-last arrays: in the other memory order cifar10-bn's bn5 backward took 17 ms, not 2."""
    x = randn(3, 4, 5, 6).astype(np.float32).transpose(1, 2, 3, 0).copy().transpose(3, 0, 1, 2)
    layer = L.GlobalAvgPool()
    layer.forward(x, train=True)
    dout = randn(3, 4).astype(np.float32)
    dx = layer.backward(dout)
    assert dx.transpose(1, 2, 3, 0).flags.c_contiguous  # (C, H, W, N) memory
    np.testing.assert_array_equal(dx, np.broadcast_to(dout[:, :, None, None] / 30, x.shape))


def test_relu():
    x = randn(3, 2, 4, 5)
    x[np.abs(x) < 1e-3] = 0.5  # keep finite differences away from the kink
    check_layer(L.ReLU(), x, lambda x, _: np.where(x > 0, x, 0))


def test_flatten():
    check_layer(L.Flatten(), randn(2, 3, 4, 5), lambda x, _: x.reshape(2, 60))


def test_dense():
    layer = L.Dense(7, 4, rng=rng)
    layer.params["bias"] = randn(4)
    check_layer(layer, randn(5, 7), lambda x, ps: x @ ps["weight"].T + ps["bias"])


def test_softmax():
    check_layer(
        L.Softmax(), randn(4, 6) * 3, lambda x, _: np.exp(x) / np.exp(x).sum(1, keepdims=True)
    )


def test_softmax_is_stable_for_huge_logits():
    p = softmax(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.isfinite(p).all() and p[0, 0] == pytest.approx(1.0)
