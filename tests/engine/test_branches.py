"""The split-attention and attention layers (engine/ops/branches.py, engine/ops/matmul.py):
a sum and a softmax along one axis and the product of two activations, against NumPy written
out per slice or per entry, gradients against centred differences in float64, and their
configuration's checks."""

from __future__ import annotations

import numpy as np
import pytest

from engine import layers as L
from tests.engine.gradcheck import check_layer

RNG = np.random.default_rng(8)


def _slices(x: np.ndarray, dim: int):
    """Every 1-D slice of x along ``dim``, with the index that places it."""
    moved = np.moveaxis(x, dim, -1)
    for index in np.ndindex(moved.shape[:-1]):
        yield index, moved[index]


@pytest.mark.parametrize("dim", [1, 2, 3, 4])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_along_an_axis(dim, keepdim):
    x = RNG.standard_normal((2, 3, 4, 5, 6))
    want = np.zeros(np.delete(np.array(x.shape), dim))
    for index, line in _slices(x, dim):
        want[index] = sum(line)  # one slice at a time
    if keepdim:
        want = np.expand_dims(want, dim)

    def reference(x64, params):
        return want

    check_layer(L.SumDim(dim, keepdim), x, reference)


@pytest.mark.parametrize("dim", [1, 2, 4])
def test_softmax_along_an_axis(dim):
    x = RNG.standard_normal((2, 3, 4, 5, 2)) * 3
    want = np.zeros_like(x)
    moved = np.moveaxis(want, dim, -1)  # a view: filling it fills want
    for index, line in _slices(x, dim):
        e = [np.exp(v - max(line)) for v in line]
        moved[index] = [v / sum(e) for v in e]

    def reference(x64, params):
        return want

    check_layer(L.SoftmaxDim(dim), x, reference)
    assert np.allclose(L.SoftmaxDim(dim).forward(x).sum(axis=dim), 1.0)


def test_shapes_and_bad_configurations():
    assert L.SumDim(1).output_shape((2, 8, 4, 4)) == (8, 4, 4)
    assert L.SumDim(2, keepdim=True).output_shape((2, 8, 4, 4)) == (2, 1, 4, 4)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="dim must be an int >= 1"):
            L.SumDim(bad)
    with pytest.raises(ValueError, match="keepdim"):
        L.SumDim(1, keepdim=1)
    with pytest.raises(ValueError, match="is not an axis"):
        L.SoftmaxDim(5).output_shape((2, 3, 4))


@pytest.mark.parametrize("a_shape, b_shape", [((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 1))])
def test_the_product_of_two_activations(a_shape, b_shape):
    a, b = RNG.standard_normal((2, *a_shape)), RNG.standard_normal((2, *b_shape))
    want = np.zeros((2, *a_shape[:-1], b_shape[-1]))
    for index in np.ndindex(want.shape):  # one entry at a time
        *lead, i, j = index
        want[index] = sum(a[(*lead, i, t)] * b[(*lead, t, j)] for t in range(a_shape[-1]))

    def reference(a64, b64, params):
        return want

    check_layer(L.MatMul(), (a, b), reference)
    with pytest.raises(ValueError, match="cannot multiply"):
        L.MatMul().output_shape(a_shape, a_shape)
