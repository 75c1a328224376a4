"""The split training step with helper processes (engine/split_process.py, engine/split_helper.py):
the serial step's result, errors that say what happened, and no process left behind."""

from __future__ import annotations

import copy
import gc
import os
import pickle
import signal

import numpy as np
import pytest

from engine import split_process
from engine.model import Model

CNN = [
    {"type": "conv2d", "config": {"out_channels": 4, "kernel_size": 3, "padding": 1}},
    {"type": "relu"},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 5}},
]


def _batch(n: int):
    rng = np.random.default_rng(7)
    return rng.standard_normal((n, 2, 8, 8)).astype(np.float32), rng.integers(0, 5, n)


def _model() -> Model:
    return Model.from_spec(CNN, (2, 8, 8), seed=3)


def _helpers(model: Model) -> split_process.Helpers:
    helpers = getattr(model, "_helpers", None)
    assert helpers is not None, "the step did not use helper processes"
    return helpers


def test_the_helpers_step_is_the_serial_step_and_follows_the_weights():
    model = _model()
    x, y = _batch(70)
    for _ in range(2):  # the second time with changed weights: the helper must see them
        loss1, logits1 = model.train_step(x, y, workers=1)
        grads1 = {k: g.copy() for k, g in model.grads().items()}
        loss2, logits2 = model.train_step(x, y, workers=2)
        assert loss2 == pytest.approx(loss1, rel=1e-6)
        np.testing.assert_allclose(logits2, logits1, rtol=1e-5, atol=1e-6)
        for k, g in model.grads().items():
            np.testing.assert_allclose(g, grads1[k], rtol=1e-4, atol=1e-6, err_msg=k)
        for p in model.params().values():
            p *= 0.5
    assert all(proc.poll() is None for proc in _helpers(model).procs)


def test_a_helpers_error_is_raised_and_the_helper_goes_on():
    model = _model()
    x, y = _batch(64)
    bad = y.copy()
    bad[40] = 9  # in the helper's half: a class the model does not have
    with pytest.raises(IndexError, match="training helper process"):  # as the step raises it
        model.train_step(x, bad, workers=2)
    helpers = _helpers(model)
    loss, _ = model.train_step(x, y, workers=2)
    assert np.isfinite(loss) and _helpers(model) is helpers


def test_a_dead_helper_is_named_then_replaced():
    model = _model()
    x, y = _batch(64)
    model.train_step(x, y, workers=2)
    old = _helpers(model)
    os.kill(old.procs[0].pid, signal.SIGKILL)
    old.procs[0].wait()
    with pytest.raises(RuntimeError, match=r"training helper process \d+"):
        split_process.Helpers.step(old, model, x, y, [(0, 32), (32, 64)], 0.0, lambda: (0.0, None))
    loss, _ = model.train_step(x, y, workers=2)  # a new helper
    assert np.isfinite(loss) and _helpers(model) is not old


def test_helpers_are_made_again_for_a_larger_batch_and_stop_with_the_model():
    model = _model()
    x, y = _batch(64)
    model.train_step(x, y, workers=2)
    small = _helpers(model)
    small_proc = small.procs[0]
    x, y = _batch(100)
    model.train_step(x, y, workers=2)
    assert _helpers(model) is not small and _helpers(model).rows >= 50
    assert small_proc.wait(timeout=10) is not None  # the old one was stopped
    proc = _helpers(model).procs[0]
    del model, small
    gc.collect()
    assert proc.wait(timeout=10) is not None


def test_a_copy_of_a_model_starts_its_own_helpers():
    model = _model()
    x, y = _batch(64)
    model.train_step(x, y, workers=2)
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert twin._helpers is None
        loss, _ = twin.train_step(x, y, workers=2)
        assert np.isfinite(loss) and _helpers(twin) is not _helpers(model)


def test_threads_where_processes_do_not_apply(monkeypatch):
    x, y = _batch(64)
    bn = Model.from_spec([CNN[0], {"type": "batchnorm2d"}, *CNN[1:]], (2, 8, 8), seed=3)
    bn.train_step(x, y, workers=2)  # batch norm: its replicas meet between layers
    assert getattr(bn, "_helpers", None) is None
    monkeypatch.setenv(split_process.ENV_SWITCH, "threads")
    model = _model()
    model.train_step(x, y, workers=2)
    assert getattr(model, "_helpers", None) is None


def test_threads_when_a_helper_cannot_start(monkeypatch, caplog):
    monkeypatch.setattr(split_process.sys, "executable", "/nonexistent/python")
    model = _model()
    x, y = _batch(64)
    loss1, _ = model.train_step(x, y, workers=1)
    loss2, _ = model.train_step(x, y, workers=2)
    assert loss2 == pytest.approx(loss1, rel=1e-6)
    assert getattr(model, "_helpers", None) is None and model._helpers_failed
    assert "threads split the step" in caplog.text


def test_a_full_dev_shm_moves_the_shared_file_then_threads_take_over(monkeypatch, caplog):
    """Where /dev/shm has no room the file goes to the temporary directory (a mapped file on a
    full tmpfs would kill the process at its first write); with no room anywhere, threads."""
    reserve = os.posix_fallocate
    calls = []

    def no_room_first(fd, offset, size):
        calls.append(os.readlink(f"/proc/self/fd/{fd}"))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        reserve(fd, offset, size)

    monkeypatch.setattr(split_process.os, "posix_fallocate", no_room_first)
    model = _model()
    x, y = _batch(64)
    model.train_step(x, y, workers=2)
    assert _helpers(model) and len(calls) == 2 and not calls[1].startswith("/dev/shm")

    def no_room(fd, offset, size):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(split_process.os, "posix_fallocate", no_room)
    other = _model()
    loss, _ = other.train_step(x, y, workers=2)
    assert np.isfinite(loss) and getattr(other, "_helpers", None) is None
    assert "no room" in caplog.text
