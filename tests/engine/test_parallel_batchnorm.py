"""Batch-norm models in the split training step (engine/parallel.py, engine/batch_sync.py): the
replicas normalise by the whole batch's statistics, so the step is the serial one's — loss,
logits, every gradient, the running statistics — and a failing thread stops the others."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from engine import parallel
from engine.batch_sync import SyncGroup
from engine.model import Model
from engine.ops.batchnorm import channel_moments


def _conv(out, name, **extra):
    config = {"out_channels": out, "kernel_size": 3, "padding": 1, "bias": False}
    return {"type": "conv2d", "name": name, "config": config, **extra}


def _bn(name, momentum=0.1, one_d=False, **extra):
    kind = "batchnorm1d" if one_d else "batchnorm2d"
    return {"type": kind, "name": name, "config": {"momentum": momentum}, **extra}


def _specs(momentum=0.1, residual=False):
    """conv-BN-ReLU, pool, conv-BN (added to the pool's output if ``residual``), ReLU, dense,
    1-D BN, dense, softmax: cifar10-bn in miniature."""
    body = [
        _conv(4, "conv1"),
        _bn("bn1", momentum),
        {"type": "relu", "name": "relu1"},
        {"type": "maxpool2d", "name": "pool1", "config": {"kernel_size": 2}},
        _conv(4, "conv2"),
        _bn("bn2", momentum),
    ]
    if residual:
        body.append({"type": "add", "name": "add", "inputs": ["bn2", "pool1"]})
    return [
        *body,
        {"type": "relu", "name": "relu2"},
        {"type": "flatten", "name": "flatten"},
        {"type": "dense", "name": "fc1", "config": {"out_features": 6}},
        _bn("bn3", momentum, one_d=True),
        {"type": "dense", "name": "fc2", "config": {"out_features": 5}},
        {"type": "softmax", "name": "softmax"},
    ]


def _model(specs, dtype=np.float32) -> Model:
    model = Model.from_spec(specs, (3, 8, 8), seed=11)
    for layer in model.layers:
        for store in (layer.params, layer.buffers):
            for k, a in store.items():
                if a.dtype.kind == "f":
                    store[k] = a.astype(dtype)
    return model


def _batch(n: int, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 3, 8, 8)) * 2 + 0.5).astype(dtype), rng.integers(0, 5, n)


def _steps(model: Model, workers: int, n: int, smoothing: float, dtype=np.float32):
    """Two training steps (SGD between them); the second step's loss, logits and grads, and
    every buffer after both."""
    for seed in (1, 2):
        x, y = _batch(n, dtype, seed)
        loss, logits = model.train_step(x, y, workers=workers, label_smoothing=smoothing)
        grads = {k: g.copy() for k, g in model.grads().items()}
        for k, p in model.params().items():
            p -= p.dtype.type(0.1) * grads[k]
    buffers = {k: b.copy() for k, b in model.buffers().items()}
    return loss, logits, grads, buffers


@pytest.mark.parametrize(
    "n, workers, momentum, residual, smoothing",
    [
        (64, 2, 0.1, False, 0.0),
        (67, 2, None, False, 0.1),  # uneven halves, the cumulative average, label smoothing
        (67, 3, 0.1, True, 0.1),
        (50, 3, None, True, 0.0),
    ],
)
def test_split_batchnorm_step_is_the_serial_step(n, workers, momentum, residual, smoothing):
    specs = _specs(momentum, residual)
    serial = _steps(_model(specs), 1, n, smoothing)
    split = _steps(_model(specs), workers, n, smoothing)
    assert split[0] == pytest.approx(serial[0], rel=1e-5)
    np.testing.assert_allclose(split[1], serial[1], rtol=1e-4, atol=1e-5)
    for want, got in ((serial[2], split[2]), (serial[3], split[3])):  # grads, then buffers
        assert got.keys() == want.keys()
        for k in want:
            assert got[k].dtype == want[k].dtype, k
            np.testing.assert_allclose(got[k], want[k], rtol=1e-4, atol=1e-5, err_msg=k)
    if momentum is None:
        assert int(split[3]["bn1.num_batches_tracked"]) == 2  # counted once per step


def test_split_batchnorm_step_in_float64_agrees_to_rounding():
    specs = _specs(0.1, residual=True)
    serial = _steps(_model(specs, np.float64), 1, 61, 0.1, np.float64)
    split = _steps(_model(specs, np.float64), 3, 61, 0.1, np.float64)
    assert split[0] == pytest.approx(serial[0], rel=1e-12)
    for want, got in ((serial[2], split[2]), (serial[3], split[3])):
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_batchnorm_models_split_and_dropout_still_does_not():
    bn = _model(_specs())
    assert parallel.splittable(bn)
    dropout = {"type": "dropout", "config": {"p": 0.5}}
    assert not parallel.splittable(_model([*_specs()[:3], dropout, *_specs()[3:]]))


def test_evaluation_after_a_split_step_is_the_serial_models():
    x, _ = _batch(40)
    models = [_model(_specs()) for _ in range(2)]
    for model, workers in zip(models, (1, 2), strict=True):
        model.train_step(*_batch(64), workers=workers)
    np.testing.assert_allclose(models[1].forward(x), models[0].forward(x), rtol=1e-4, atol=1e-6)
    assert all(ly.cache is None for rep in models[1]._replicas for ly in rep.layers)


@pytest.mark.parametrize("failing", [0, 1])
def test_a_failing_thread_stops_the_others_and_its_error_is_raised(failing):
    """Thread ``failing`` raises in its first convolution; the other, waiting at bn1, is
    released by the group's abort, and the step raises the first thread's error."""
    model = _model(_specs())
    reps = parallel.replicas(model, 2)

    def broken(*args, **kwargs):
        raise ValueError("conv1 broke")

    reps[failing].layers[0].forward = broken
    with pytest.raises(ValueError, match="conv1 broke"):
        model.train_step(*_batch(64), workers=2)
    assert all(ly.sync is None for rep in reps for ly in rep.layers if ly.type == "batchnorm2d")
    del reps[failing].layers[0].forward  # mended: the next split step runs
    loss, _ = model.train_step(*_batch(64), workers=2)
    assert np.isfinite(loss)


def test_a_seat_left_waiting_breaks_the_group_after_its_timeout():
    group = SyncGroup([0.5, 0.5], timeout=0.05)
    part = channel_moments(_batch(4)[0])[2]
    with pytest.raises(threading.BrokenBarrierError):
        group.seat(0).moments("bn1", part)  # seat 1 never comes


def test_seats_at_different_layers_are_refused():
    group = SyncGroup([0.5, 0.5])
    part = channel_moments(_batch(4)[0])[2]
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(group.seat(k).moments, f"bn{k}", part) for k in (0, 1)]
        errors = [f.exception() for f in futures]
    assert any(isinstance(e, RuntimeError) and "out of step" in str(e) for e in errors)
    assert all(isinstance(e, (RuntimeError, threading.BrokenBarrierError)) for e in errors)
