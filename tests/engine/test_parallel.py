"""The data-parallel training step (engine/parallel.py) against its plain twin, the serial step."""

from __future__ import annotations

import numpy as np
import pytest

from engine import parallel
from engine.model import Model

CNN = [
    {"type": "conv2d", "config": {"out_channels": 4, "kernel_size": 3, "padding": 1}},
    {"type": "relu"},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "conv2d", "config": {"out_channels": 6, "kernel_size": 3}},
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 5}},
    {"type": "softmax"},
]


def _model(specs=CNN, dtype=np.float32) -> Model:
    model = Model.from_spec(specs, (2, 8, 8), seed=3)
    for p in model.params().values():
        p[...] = p.astype(dtype)
    return model


def _batch(n: int, dtype=np.float32):
    rng = np.random.default_rng(7)
    return rng.standard_normal((n, 2, 8, 8)).astype(dtype), rng.integers(0, 5, n)


def _step(model: Model, x, y, workers: int, label_smoothing: float = 0.0):
    loss, logits = model.train_step(x, y, workers=workers, label_smoothing=label_smoothing)
    return loss, logits, {k: g.copy() for k, g in model.grads().items()}


@pytest.mark.parametrize("n, workers, smoothing", [(64, 2, 0.0), (67, 2, 0.0), (67, 3, 0.1)])
def test_split_step_matches_the_serial_step(n, workers, smoothing):
    model = _model()
    x, y = _batch(n)
    loss1, logits1, grads1 = _step(model, x, y, 1, smoothing)
    loss2, logits2, grads2 = _step(model, x, y, workers, smoothing)
    assert loss2 == pytest.approx(loss1, rel=1e-6)
    np.testing.assert_allclose(logits2, logits1, rtol=1e-6, atol=1e-6)
    assert grads2.keys() == grads1.keys()
    for k in grads1:
        assert grads2[k].dtype == np.float32, k
        np.testing.assert_allclose(grads2[k], grads1[k], rtol=1e-4, atol=1e-6, err_msg=k)


def test_split_step_in_float64_agrees_to_rounding():
    """With float64 weights and input the two orders of summation agree to ~1e-12: the split
    computes the same gradient, not an approximation of it."""
    model = Model.from_spec(CNN, (2, 8, 8), seed=3)
    for layer in model.layers:
        for k, p in layer.params.items():
            layer.params[k] = p.astype(np.float64)
    x, y = _batch(66, np.float64)
    loss1, _, grads1 = _step(model, x, y, 1)
    loss2, _, grads2 = _step(model, x, y, 2)
    assert loss2 == pytest.approx(loss1, rel=1e-12)
    for k in grads1:
        np.testing.assert_allclose(grads2[k], grads1[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_replicas_follow_replaced_weight_dicts():
    model = _model()
    x, y = _batch(64)
    _step(model, x, y, 2)
    model.layers[0].params = {k: v * 2 for k, v in model.layers[0].params.items()}
    _, logits1, _ = _step(model, x, y, 1)
    _, logits2, _ = _step(model, x, y, 2)
    np.testing.assert_allclose(logits2, logits1, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "extra",
    [
        {"type": "dropout", "config": {"p": 0.5}},  # its masks: one generator, in order
        {"type": "mul", "config": {"constant_shape": [4, 1, 1]}},  # a buffer, not batch norm's
    ],
)
def test_models_coupling_the_batch_stay_serial(extra):
    """(Batch norm splits: its replicas meet, tests/engine/test_parallel_batchnorm.py.)"""
    specs = [CNN[0], extra, *CNN[1:]]
    assert not parallel.splittable(_model(specs))
    assert parallel.workers_for(_model(specs), 1024) == 1
    assert parallel.splittable(_model())


def test_small_batches_stay_serial():
    assert parallel.workers_for(_model(), parallel.MIN_PER_WORKER * 2 - 1) == 1
