"""Helpers for the ONNX tests: real MNIST digits, run under onnxruntime, compare; and small
hand-written graphs for the importer (``graph_bytes``, ``model_bytes``) with their constants."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from engine import data
from engine.onnx_export import to_onnx
from engine.onnx_import import import_onnx
from engine.train import to_input

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-5  # the bar: the same outputs to 1e-5
F = TensorProto.FLOAT


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


# -- hand-written graphs for the importer -----------------------------------------------------


def graph_bytes(nodes, inits=(), opset=13, shape=("N", 1, 12, 12), out="y", functions=()) -> bytes:
    """A serialised model of ``nodes`` from input ``x`` (``shape``) to output ``out``."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", F, list(shape))],
        [helper.make_tensor_value_info(out, F, None)],
        list(inits),
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], functions=list(functions)
    )
    model.ir_version = 8
    return model.SerializeToString()


def model_bytes(nodes, inits=(), shape=(1, 1, 8, 8), **kwargs) -> bytes:
    """:func:`graph_bytes` on one 8×8 image: the refusal tests' graphs."""
    return graph_bytes(nodes, inits, shape=shape, **kwargs)


def const(name, a, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(a, dtype=dtype), name)


def ints(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.int64), name)


def w(name, shape, seed=0):
    """A float32 initializer ``name`` of normal noise."""
    return const(name, np.random.default_rng(seed).normal(size=shape))


def agree(data, x):
    """Import ``data``; its forward on ``x`` agrees with onnxruntime's to 1e-4 of the scale."""
    ref = session(data).run(None, {"x": x})[0]
    model = import_onnx(data)
    out = model.forward(x)
    scale = max(float(np.abs(ref).max()), 1e-6)
    assert float(np.abs(out - ref).max()) / scale <= 1e-4
    return model


# a 3×3 conv on the 8×8 image, flattened into a Gemm: the graph the refusals bend one piece of
CONV = [helper.make_node("Conv", ["x", "W"], ["c"], name="/conv3/Conv", kernel_shape=[3, 3])]
TAIL = [
    helper.make_node("Flatten", ["c"], ["f"], name="/Flatten"),
    helper.make_node("Gemm", ["f", "G"], ["y"], name="/fc/Gemm", transB=1),
]


def with_external_weights(location: str, length=72) -> bytes:
    """:data:`CONV` + :data:`TAIL` whose conv weights are external data at ``location``."""
    t = TensorProto(name="W", data_type=F, dims=[2, 1, 3, 3], data_location=TensorProto.EXTERNAL)
    for k, v in (("location", location), ("offset", "0"), ("length", str(length))):
        t.external_data.add(key=k, value=v)
    return model_bytes([*CONV, *TAIL], [t, w("G", (10, 72))])
