"""Helpers for the ONNX export tests: real MNIST digits, run under onnxruntime, compare."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from engine import data
from engine.onnx_export import to_onnx
from engine.train import to_input

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-5  # the bar: the same outputs to 1e-5


@cache
def mnist_test(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` real MNIST test digits as network input ``(n, 1, 28, 28)`` and labels."""
    images, labels = data.load_dataset("mnist", "test", ROOT / "data")
    return to_input(images[:n]), labels[:n].astype(np.int64)


def session(proto: onnx.ModelProto | bytes) -> ort.InferenceSession:
    raw = proto if isinstance(proto, bytes) else proto.SerializeToString()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # the machine is shared; one thread is plenty here
    return ort.InferenceSession(raw, opts, providers=["CPUExecutionProvider"])


def run_onnx(proto: onnx.ModelProto | bytes, x: np.ndarray) -> np.ndarray:
    return session(proto).run(["output"], {"input": np.ascontiguousarray(x, np.float32)})[0]


def assert_same(model, x: np.ndarray, proto: onnx.ModelProto | None = None) -> np.ndarray:
    """Export ``model`` (unless ``proto`` is given), run both; outputs agree to :data:`TOL`."""
    proto = to_onnx(model) if proto is None else proto
    got = run_onnx(proto, x)
    want = model.forward(x)
    assert got.shape == want.shape
    scale = max(1.0, float(np.abs(want).max()))  # absolute for probabilities, relative for logits
    err = float(np.abs(got - want).max())
    assert err <= TOL * scale, f"max |onnxruntime - engine| = {err:.3g} (scale {scale:.3g})"
    return got
