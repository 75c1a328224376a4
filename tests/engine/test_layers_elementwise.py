"""Element-wise layers and merges: dropout, the activations, log-softmax, the binary ops (two
inputs or a per-channel constant, broadcast) and concat, forward against a plain reference and
backward against finite differences (tests/engine/gradcheck.py)."""

import numpy as np
import pytest
from scipy.special import expit, log_softmax

from engine import layers as L
from tests.engine.gradcheck import check_layer

rng = np.random.default_rng(99)


def randn(*shape):
    return rng.standard_normal(shape)


# -- dropout, activations ------------------------------------------------------------------


def test_dropout_is_the_identity_in_evaluation_and_a_seeded_mask_in_training():
    x = randn(50, 40)
    layer = L.Dropout(0.3, rng=np.random.default_rng(5))
    assert layer.forward(x) is x
    layer.forward(x, backprop=True)
    np.testing.assert_array_equal(layer.backward(x), x)
    out = layer.forward(x, train=True)
    kept = out != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], x[kept] / 0.7)
    dout = randn(50, 40)
    np.testing.assert_allclose(layer.backward(dout), np.where(kept, dout / 0.7, 0))
    twin = L.Dropout(0.3, rng=np.random.default_rng(5))  # the same seed, the same masks
    np.testing.assert_array_equal(twin.forward(x, train=True), out)


@pytest.mark.parametrize(
    "layer, ref",
    [
        (L.LeakyReLU(0.1), lambda x, _: np.where(x > 0, x, 0.1 * x)),
        (L.ELU(0.8), lambda x, _: np.where(x > 0, x, 0.8 * (np.exp(x) - 1))),
        (L.Sigmoid(), lambda x, _: expit(x)),
        (L.Tanh(), lambda x, _: np.tanh(x)),
    ],
)
def test_elementwise_activations(layer, ref):
    x = randn(2, 3, 4, 4)
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of the kinks
    check_layer(layer, x, ref)


def test_log_softmax():
    check_layer(L.LogSoftmax(), randn(4, 6) * 3, lambda x, _: log_softmax(x, axis=1))


def test_sigmoid_does_not_overflow():
    out = L.Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))
    np.testing.assert_array_equal(out, [[0.0, 0.5, 1.0]])


# -- merges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, op", [(L.Add, np.add), (L.Sub, np.subtract), (L.Mul, np.multiply), (L.Div, np.divide)]
)
@pytest.mark.parametrize("b_shape", [(2, 3, 4, 4), (2, 3, 1, 1), (2, 1, 4, 1)])
def test_binary_ops_with_two_inputs_broadcast_and_reduce_gradients(cls, op, b_shape):
    a, b = randn(2, 3, 4, 4), randn(*b_shape)
    if op is np.divide:
        b = np.sign(b) * (np.abs(b) + 0.5)  # away from zero
    check_layer(cls(), (a, b), lambda x, y, _: op(x, y))


@pytest.mark.parametrize(
    "cls, op", [(L.Add, np.add), (L.Sub, np.subtract), (L.Mul, np.multiply), (L.Div, np.divide)]
)
@pytest.mark.parametrize("first", [False, True])
def test_binary_ops_with_a_per_channel_constant(cls, op, first):
    layer = cls(constant_shape=[3, 1, 1], constant_first=first)
    assert layer.n_inputs == 1 and layer.num_params == 0
    layer.buffers["constant"][...] = rng.uniform(0.5, 2, (3, 1, 1))
    c = layer.buffers["constant"].astype(np.float64)[None]
    ref = (lambda x, _: op(c, x)) if first else (lambda x, _: op(x, c))
    x = randn(2, 3, 4, 5)
    if first and op is np.divide:
        x = np.sign(x) * (np.abs(x) + 0.5)
    check_layer(layer, x, ref)
    assert layer.config() == {
        "constant_shape": [3, 1, 1],
        **({"constant_first": True} if first else {}),
    }


def test_binary_shapes_must_broadcast():
    with pytest.raises(
        ValueError, match=r"add: shapes \(3, 4, 4\) and \(2, 4, 4\) do not broadcast"
    ):
        L.Add().output_shape((3, 4, 4), (2, 4, 4))


@pytest.mark.parametrize(
    "dim, shapes",
    [(1, [(2, 2, 3, 3), (2, 3, 3, 3)]), (1, [(2, 1, 3, 3)] * 3), (-1, [(2, 4, 2), (2, 4, 5)])],
)
def test_concat(dim, shapes):
    xs = tuple(randn(*s) for s in shapes)
    check_layer(L.Concat(dim), xs, lambda *a: np.concatenate(a[:-1], axis=dim))


def test_concat_refuses_mismatched_inputs():
    with pytest.raises(ValueError, match="differ on an axis other than dim 1"):
        L.Concat(1).output_shape((2, 4, 4), (2, 5, 4))
