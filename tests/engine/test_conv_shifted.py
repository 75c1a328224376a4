"""The inference path for one image over a large map (engine/ops/conv_shifted.py): kw shifted
copies and one stacked product give the loops' convolution — any kernel, padding on either
axis, with and without a bias, whole or in blocks of rows (the last one shorter), with an
epilogue — and the layer takes it only where no cache is needed."""

from __future__ import annotations

import numpy as np
import pytest

from engine.layers import Conv2D
from engine.ops import conv_naive, conv_shifted
from engine.ops.epilogue import epilogue

rng = np.random.default_rng(7)

CASES = [
    # C, F, (H, W), (kh, kw), (ph, pw)
    (3, 4, (9, 11), (3, 3), (1, 1)),
    (2, 3, (8, 7), (5, 5), (2, 2)),
    (2, 2, (6, 9), (3, 2), (0, 1)),  # an even kernel, padding on one axis
    (4, 2, (7, 5), (2, 1), (1, 0)),  # one kernel column
    (1, 3, (5, 6), (3, 3), (0, 0)),  # no padding: output smaller than the input
    (2, 2, (3, 4), (5, 3), (2, 1)),  # a kernel taller than the map
]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("budget", [None, 1, 600])  # whole; one row a block; a few rows
@pytest.mark.parametrize("C, F, hw, k, p", CASES)
def test_shifted_copies_and_one_product_are_the_loops(C, F, hw, k, p, budget, bias):
    x = rng.standard_normal((1, C, *hw))
    w = rng.standard_normal((F, C, *k))
    b = rng.standard_normal(F) if bias else None
    got = conv_shifted.conv_forward(x, w, b, p, budget=budget)
    want = conv_naive.conv2d_naive(x, w, np.zeros(F) if b is None else b, (1, 1), p, (1, 1))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_the_epilogue_is_done_to_every_block():
    x, w = rng.standard_normal((1, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3))
    got = conv_shifted.conv_forward(x, w, None, (1, 1), epilogue(np.float64, None, (0.0, 1.0)), 500)
    want = conv_naive.conv2d_naive(x, w, np.zeros(4), (1, 1), (1, 1), (1, 1))
    np.testing.assert_allclose(got, np.clip(want, 0.0, 1.0), rtol=1e-12, atol=1e-12)


def test_it_is_wanted_for_one_image_over_a_large_map_only():
    def wanted(n, c, hw, k=3, s=1):
        x, w = np.zeros((n, c, hw, hw), np.float32), np.zeros((64, c, k, k), np.float32)
        return conv_shifted.wanted(x, w, (s, s), (k // 2, k // 2), (1, 1))

    assert wanted(1, 64, 56) and wanted(1, 128, 112)  # ResNet's layer1, VGG's early layers
    assert not wanted(2, 64, 56)  # a batch: im2col's batch-last blocks
    assert not wanted(1, 64, 28) and not wanted(1, 3, 224)  # a small map; few channels
    assert not wanted(1, 64, 56, s=2) and not wanted(1, 64, 56, k=1)


def test_the_layer_takes_it_in_inference_and_im2col_in_training(monkeypatch):
    calls = []
    real = conv_shifted.conv_forward
    monkeypatch.setattr(conv_shifted, "conv_forward", lambda *a: calls.append(1) or real(*a))
    layer = Conv2D(32, 8, 3, padding=1)
    x = rng.standard_normal((1, 32, 56, 56)).astype(np.float32)
    inference = layer.forward(x)
    assert layer.cache is None and calls == [1]
    training = layer.forward(x, train=True)
    assert layer.cache is not None and calls == [1]
    np.testing.assert_allclose(inference, training, rtol=1e-5, atol=1e-5)
