"""Grouped convolution and pooling with ``ceil_mode`` against their plain-loop twins, and
global pooling with ``keepdims`` feeding a 1×1 convolution."""

import numpy as np
import pytest

from engine import layers as L
from engine.ops.conv_naive import conv2d_naive
from engine.ops.depthwise import DepthwiseCache, depthwise_forward
from engine.ops.pool import pool2d_backward_naive, pool2d_naive
from tests.engine.gradcheck import assert_close, check_layer

rng = np.random.default_rng(99)


def randn(*shape):
    return rng.standard_normal(shape)


# -- grouped convolution, pooling with ceil_mode --------------------------------------------


@pytest.mark.parametrize(
    "C, F, groups, k, s, p, d",
    [
        (4, 6, 2, 3, 1, 1, 1),
        (3, 3, 3, 3, 2, 1, 1),
        (2, 4, 2, (2, 3), 1, (1, 0), (1, 2)),
        (3, 2, 1, 3, 1, 0, 1),
        (4, 4, 4, 3, 1, 1, 1),  # depthwise (engine/ops/depthwise.py) from here on
        (3, 3, 3, (3, 2), (2, 1), (1, 0), (2, 1)),
        (2, 2, 2, 5, 2, 2, 1),
        (2, 4, 2, 3, 1, 1, 1),  # two filters per channel: the grouped im2col path again
    ],
)
def test_grouped_conv_against_its_loop_twin(C, F, groups, k, s, p, d):
    layer = L.Conv2D(C, F, k, s, p, d, groups=groups, rng=rng)
    layer.params["bias"] = randn(F)

    def ref(x, ps):
        return conv2d_naive(
            x, ps["weight"], ps["bias"], layer.stride, layer.padding, layer.dilation, groups
        )

    check_layer(layer, randn(2, C, 7, 6), ref)
    assert layer.forward(randn(1, C, 7, 6)).shape[1] == F


POOL_CASES = [  # (N, C, H, W), kernel, stride, padding, ceil_mode, count_include_pad
    ((2, 2, 5, 5), 2, 2, 0, True, True),
    ((1, 2, 6, 7), 3, 2, 1, True, True),
    ((1, 2, 6, 7), 3, 2, 1, True, False),
    ((2, 1, 5, 5), 3, 3, 1, True, True),
    ((1, 3, 7, 6), (3, 2), (2, 1), (1, 1), False, False),
]


@pytest.mark.parametrize("mode", ["max", "avg", "min"])
@pytest.mark.parametrize("shape, k, s, p, ceil, cip", POOL_CASES)
def test_pooling_ceil_mode_against_its_loop_twin(mode, shape, k, s, p, ceil, cip):
    cls = {"max": L.MaxPool2D, "avg": L.AvgPool2D, "min": L.MinPool2D}[mode]
    kwargs = {"count_include_pad": cip} if mode == "avg" else {}
    layer = cls(k, s, p, ceil_mode=ceil, **kwargs)
    ref_args = (mode, layer.kernel_size, layer.stride, layer.padding, ceil, layer.count_include_pad)
    x = randn(*shape)
    check_layer(layer, x, lambda x, _: pool2d_naive(x, *ref_args))
    out = layer.forward(x, backprop=True)
    dout = randn(*out.shape)
    assert_close(
        "pool dx twin",
        layer.backward(dout),
        pool2d_backward_naive(x, dout, *ref_args),
        1e-12,
        1e-12,
    )


def test_global_pooling_with_keepdims_feeds_a_one_by_one_conv():
    layer = L.GlobalAvgPool(keepdims=True)
    assert layer.output_shape((3, 5, 4)) == (3, 1, 1)
    check_layer(layer, randn(2, 3, 5, 4), lambda x, _: x.mean(axis=(2, 3), keepdims=True))


def test_depthwise_takes_its_own_path_and_stays_float32():
    layer = L.Conv2D(4, 4, 3, padding=1, groups=4, rng=rng)
    x = randn(2, 4, 6, 6).astype(np.float32)
    out = layer.forward(x, train=True)
    assert isinstance(layer.cache, DepthwiseCache) and out.dtype == np.float32
    dx = layer.backward(np.ones_like(out))
    assert dx.dtype == layer.grads["weight"].dtype == layer.grads["bias"].dtype == np.float32


@pytest.mark.parametrize("budget", [1, 12_000, None])
@pytest.mark.parametrize(
    "k, s, p, d", [(3, 1, 1, 1), ((3, 2), (2, 1), (1, 0), (2, 1)), (1, 1, 0, 1)]
)
def test_depthwise_forward_in_blocks_of_rows_against_the_loops(budget, k, s, p, d):
    """One output row per block (budget 1 byte), a few rows with a shorter last block, and one
    block: the same values as the loops, for a batch-last and an NCHW input."""
    k, s, p, d = (v if isinstance(v, tuple) else (v, v) for v in (k, s, p, d))
    x, w, b = randn(3, 4, 7, 6), randn(4, 1, *k), randn(4)
    want = conv2d_naive(x, w, b, s, p, d, groups=4)
    for x_in in (x, np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)):
        out, _ = depthwise_forward(x_in, w, b, s, p, d, budget=budget)
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
