"""ONNX export: onnxruntime runs the exported model and gives the engine's outputs (≤ 1e-5)."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from engine.cli import main
from engine.model import Sequential
from engine.onnx_export import OPSET, save_onnx, to_onnx
from tests.engine.onnx_check import ROOT, assert_same, mnist_test, run_onnx, session

SHIPPED = ROOT / "models" / "mnist-cnn.npz"


@pytest.fixture(scope="module")
def shipped():
    return Sequential.load(SHIPPED)


def test_shipped_model_runs_in_onnxruntime_with_the_same_outputs(shipped):
    x, y = mnist_test(64)
    probs = assert_same(shipped, x)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)  # it ends in softmax: probabilities
    assert (probs.argmax(axis=1) == y).mean() >= 0.95  # and they are right: real digits


def test_the_file_is_standard_onnx(shipped):
    proto = to_onnx(shipped)
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", OPSET)]
    (inp,) = proto.graph.input
    dims = inp.type.tensor_type.shape.dim
    assert inp.name == "input" and dims[0].dim_param == "N"  # a symbolic batch
    assert [d.dim_value for d in dims[1:]] == [1, 28, 28]
    (out,) = proto.graph.output
    assert out.name == "output"
    assert [d.dim_value for d in out.type.tensor_type.shape.dim[1:]] == [10]
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    params = shipped.params()
    assert set(params) <= set(inits)  # PyTorch-style names: conv1.weight, fc2.bias, ...
    for name, p in params.items():
        assert inits[name].dtype == np.float32 and np.array_equal(inits[name], p)
    ops = [n.op_type for n in proto.graph.node]
    assert ops == [
        "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm",
        "Softmax",
    ]  # fmt: skip
    assert [n.name for n in proto.graph.node] == [layer.name for layer in shipped.layers]


def test_metadata_carries_classes_and_input_convention(shipped):
    props = {p.key: json.loads(p.value) for p in to_onnx(shipped).metadata_props}
    assert props["classes"] == [str(i) for i in range(10)]
    assert props["input"] == {"invert": False, "scale": 1.0, "mean": [0.0], "std": [1.0]}
    model = Sequential.from_spec(
        [{"type": "flatten"}, {"type": "dense", "config": {"out_features": 3}}],
        classes=["cat", "dog", "emu"],
        meta={"input": {"invert": True, "scale": 255.0, "mean": [0.5], "std": [0.25]}},
    )
    props = {p.key: json.loads(p.value) for p in to_onnx(model).metadata_props}
    assert props["classes"] == ["cat", "dog", "emu"]
    assert props["input"] == {"invert": True, "scale": 255.0, "mean": [0.5], "std": [0.25]}


def test_batch_is_symbolic(shipped):
    sess = session(to_onnx(shipped))
    x, _ = mnist_test(64)
    for n in (1, 7):
        assert sess.run(None, {"input": x[:n]})[0].shape == (n, 10)


def test_cli_export_writes_a_file_onnxruntime_runs(tmp_path, capsys, shipped):
    out = tmp_path / "m.onnx"
    assert main(["export", str(SHIPPED), str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    x, _ = mnist_test(16)
    np.testing.assert_allclose(run_onnx(out.read_bytes(), x), shipped.forward(x), atol=1e-5)


def test_cli_export_refuses_a_missing_directory(tmp_path, capsys):
    assert main(["export", str(SHIPPED), str(tmp_path / "nope" / "m.onnx")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_save_is_atomic_and_replaces(tmp_path, shipped):
    out = tmp_path / "m.onnx"
    out.write_bytes(b"old")
    save_onnx(shipped, out)
    assert onnx.load(out).graph.node[0].op_type == "Conv"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no temporary left
