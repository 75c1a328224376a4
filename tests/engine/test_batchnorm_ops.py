"""Batch norm's fast path (engine/ops/batchnorm.py) against its plain twin, on odd shapes, one
example, 1-D input and means far from zero; its moments combined over parts of a batch."""

from __future__ import annotations

import numpy as np
import pytest

from engine import layers as L
from engine.ops import batchnorm as bn
from tests.engine.gradcheck import assert_close, check_layer

SHAPES = [(4, 5, 3, 3), (1, 3, 5, 7), (3, 6, 1, 1), (7, 3), (1, 4), (5, 2, 9), (2, 3, 17, 13)]


def _case(shape, seed, loc=0.5, spread=2.0, dtype=np.float32):
    """x: shape, gamma (one channel's 0), beta, running mean and variance: (C,), dout: shape."""
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = (loc + spread * rng.standard_normal(shape)).astype(dtype)
    gamma = rng.uniform(0.5, 1.5, C).astype(dtype)
    gamma[0] = 0  # a switched-off channel (ResNet's zero-initialised last norms)
    beta = rng.uniform(-1, 1, C).astype(dtype)
    running = rng.uniform(-1, 1, C).astype(dtype), rng.uniform(0.5, 2, C).astype(dtype)
    return x, gamma, beta, running, rng.standard_normal(shape).astype(dtype)


def _both(x, gamma, beta, stats, dout, eps=1e-5):
    """(out, dx, dgamma, dbeta) of the fast path and of the plain twin."""
    out, cache = bn.batchnorm_forward(x, gamma, beta, *stats, eps)
    out_p, cache_p = bn.batchnorm_forward_plain(x, gamma, beta, *stats, eps)
    fast = (out, *bn.batchnorm_backward(dout, cache))
    return fast, (out_p, *bn.batchnorm_backward_plain(dout, cache_p))


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
def test_fast_path_matches_the_plain_twin_to_float32_rounding(shape, train):
    x, gamma, beta, running, dout = _case(shape, seed=sum(shape))
    fast, plain = _both(x, gamma, beta, (None, None) if train else running, dout)
    for name, got, want in zip(("out", "dx", "dgamma", "dbeta"), fast, plain, strict=True):
        assert got.dtype == np.float32 and got.shape == want.shape, name
        size = float(np.abs(want).max()) + 1.0
        assert_close(name, got, want, 1e-5, 1e-6 * size)


def _float64_reference(x, gamma, beta, stats, dout):
    """The plain twin in float64 on the same float32 numbers: the exact answer to compare with."""
    as64 = [None if a is None else a.astype(np.float64) for a in (x, gamma, beta, *stats, dout)]
    out, cache = bn.batchnorm_forward_plain(*as64[:5], 1e-5)
    return (out, *bn.batchnorm_backward_plain(as64[5], cache))


@pytest.mark.parametrize("train", [True, False])
def test_a_mean_far_from_zero_keeps_its_small_spread(train):
    """1e3 ± 1e-2 in float32: ``Σx²/m - mu²`` would leave nothing of the variance and
    ``x * a + b`` nothing of the output; centring first keeps both to float32 rounding."""
    x, gamma, beta, _, dout = _case((8, 3, 6, 6), seed=5, loc=1e3, spread=1e-2)
    running = (np.full(3, 1e3, np.float32), np.full(3, 1e-4, np.float32))
    stats = (None, None) if train else running
    out, cache = bn.batchnorm_forward(x, gamma, beta, *stats, 1e-5)
    fast = (out, *bn.batchnorm_backward(dout, cache))
    want = _float64_reference(x, gamma, beta, stats, dout)
    for name, got, ref in zip(("out", "dx", "dgamma", "dbeta"), fast, want, strict=True):
        assert_close(name, got, ref, 1e-4, 1e-4 * (float(np.abs(ref).max()) + 1.0))


@pytest.mark.parametrize("loc", [0.3, 40.0])  # the fast path, and x centred first
@pytest.mark.parametrize("shape", [(3, 2, 4, 5), (6, 3), (1, 2, 3, 3)])
def test_batchnorm_gradients_by_finite_differences(shape, loc):
    layer = L.BatchNorm2d(shape[1]) if len(shape) == 4 else L.BatchNorm1d(shape[1])
    x, gamma, beta, _, _ = _case(shape, seed=3, loc=loc, spread=1.5, dtype=np.float64)
    layer.params["weight"][...], layer.params["bias"][...] = gamma + 0.25, beta
    check_layer(layer, x, train=True)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_moments_combined_over_parts_are_the_whole_batchs(dtype, tol):
    x, *_ = _case((11, 4, 5, 3), seed=8, loc=3.0, dtype=dtype)
    _, _, whole = bn.channel_moments(x)
    parts = [bn.channel_moments(x[lo:hi])[2] for lo, hi in [(0, 4), (4, 5), (5, 11)]]
    m, mu, m2 = bn.combine_moments(parts)
    assert m == whole[0] == 11 * 5 * 3
    np.testing.assert_allclose(mu, whole[1], rtol=tol)
    np.testing.assert_allclose(m2, whole[2], rtol=tol)
    np.testing.assert_allclose(m2 / m, x.astype(np.float64).var(axis=(0, 2, 3)), rtol=tol)


def _batch_last(a: np.ndarray) -> np.ndarray:
    """a: (N, C, ...) with the engine's batch-last memory (C, ..., N), as convolutions return."""
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 0, -1)), -1, 0)


@pytest.mark.parametrize("dout_layout", [_batch_last, np.ascontiguousarray])
@pytest.mark.parametrize("shape", [(4, 5, 3, 7), (1, 3, 5, 7), (6, 2, 9)])
def test_batch_last_memory_gives_the_same_numbers(shape, dout_layout):
    x, gamma, beta, _, dout = _case(shape, seed=4)
    want, _ = _both(x, gamma, beta, (None, None), dout)
    got, _ = _both(_batch_last(x), gamma, beta, (None, None), dout_layout(dout))
    for name, g, w in zip(("out", "dx", "dgamma", "dbeta"), got, want, strict=True):
        assert_close(name, g, w, 1e-5, 1e-6 * (float(np.abs(w).max()) + 1.0))
