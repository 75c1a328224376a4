"""Normalisation layers: batch norm (1d and 2d, training and evaluation, running statistics as
PyTorch keeps them) and mean-variance normalisation, forward against a plain reference and
backward against finite differences (tests/engine/gradcheck.py)."""

import numpy as np
import pytest

from engine import layers as L
from tests.engine.gradcheck import assert_close, check_layer

rng = np.random.default_rng(99)


def randn(*shape):
    return rng.standard_normal(shape)


# -- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize(
    "cls, shape",
    [(L.BatchNorm2d, (3, 2, 4, 5)), (L.BatchNorm1d, (5, 3)), (L.BatchNorm1d, (3, 2, 6))],
)
def test_batchnorm(cls, shape, train):
    layer = cls(shape[1], eps=1e-3)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, shape[1])
    layer.params["bias"][...] = rng.uniform(-1, 1, shape[1])
    layer.buffers["running_mean"][...] = rng.uniform(-1, 1, shape[1])
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2, shape[1])
    axes = (0, *range(2, len(shape)))
    bshape = (1, shape[1]) + (1,) * (len(shape) - 2)

    def ref(x, ps):
        if train:
            mu, var = x.mean(axis=axes), x.var(axis=axes)
        else:
            mu, var = layer.buffers["running_mean"], layer.buffers["running_var"]
        x_hat = (x - mu.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3)
        return ps["weight"].reshape(bshape) * x_hat + ps["bias"].reshape(bshape)

    before = layer.buffers["running_mean"].copy()
    x = randn(*shape) * 2 + 0.5
    if not train:  # evaluation: uses (and never changes) the running statistics
        check_layer(layer, x, ref)
        np.testing.assert_array_equal(layer.buffers["running_mean"], before)
        return
    ref_out = ref(x.astype(np.float64), {k: v.astype(np.float64) for k, v in layer.params.items()})
    check_layer(layer, x, train=True)
    assert_close("train forward", layer.forward(x, train=True), ref_out, 1e-9, 1e-9)


def test_batchnorm_running_statistics_follow_pytorch_momentum():
    layer = L.BatchNorm2d(2, momentum=0.25)
    x = randn(3, 2, 4, 4)
    layer.forward(x, train=True)
    m = 3 * 4 * 4
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) * m / (m - 1)  # unbiased
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.25 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.buffers["running_var"], 0.75 + 0.25 * var, rtol=1e-5)


def test_batchnorm_momentum_none_is_the_cumulative_average_and_survives_save(tmp_path):
    """PyTorch's ``momentum=None``: after n batches each running statistic is the plain mean
    of the n batches' statistics; the count is saved, so training resumed after a load goes
    on averaging."""
    from engine.model import Model

    batches = [randn(3, 2, 4, 4) for _ in range(4)]
    m = 3 * 4 * 4
    means = [x.mean(axis=(0, 2, 3)) for x in batches]
    variances = [x.var(axis=(0, 2, 3)) * m / (m - 1) for x in batches]  # unbiased
    model = Model([L.BatchNorm2d(2, momentum=None, name="bn")], input_shape=(2, 4, 4))
    for x in batches[:2]:
        model.layers[0].forward(x, train=True)
    model.save(tmp_path / "bn.npz")
    again = Model.load(tmp_path / "bn.npz")
    layer = again.layers[0]
    assert layer.momentum is None and int(layer.buffers["num_batches_tracked"]) == 2
    for x in batches[2:]:
        layer.forward(x, train=True)
    np.testing.assert_allclose(layer.buffers["running_mean"], np.mean(means, axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.buffers["running_var"], np.mean(variances, axis=0), rtol=1e-5)


def test_batchnorm_refuses_a_wrong_channel_count():
    with pytest.raises(ValueError, match=r"bn expects input \(C, H, W\) with C=3"):
        L.BatchNorm2d(3, name="bn").output_shape((4, 5, 5))


@pytest.mark.parametrize("axes", [(0, 2, 3), (2, 3), (1,)])
def test_mean_variance_normalization(axes):
    layer = L.MeanVarianceNormalization(list(axes))

    def ref(x, _):
        mu = x.mean(axis=axes, keepdims=True)
        return (x - mu) / (np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True)) + 1e-9)

    check_layer(layer, randn(2, 3, 4, 4), ref)
