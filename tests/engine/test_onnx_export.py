"""ONNX export: onnxruntime runs the exported model and gives the engine's outputs (≤ 1e-5)."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from engine.cli import main
from engine.layers import LAYER_TYPES
from engine.model import Model
from engine.onnx_export import OPSET, save_onnx, to_onnx
from engine.optim import Adam
from tests.engine.onnx_check import ROOT, assert_same, mnist_test, run_onnx, session
from tests.engine.onnx_nets import BRANCHES, FEATURES, randomised
from tests.specs import RESIDUAL

SHIPPED = ROOT / "models" / "mnist-cnn.npz"


@pytest.fixture(scope="module")
def shipped():
    return Model.load(SHIPPED)


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
    model = Model.from_spec(
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


# -- every layer type ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=["features", "branches"])
def net(request):
    specs = {"features": FEATURES, "branches": BRANCHES}[request.param]
    return randomised(specs, seed=3)


def test_the_test_nets_hold_every_layer_type():
    types = {ly.type for specs in (FEATURES, BRANCHES) for ly in Model.from_spec(specs).layers}
    assert types == set(LAYER_TYPES)


def test_every_layer_type_gives_onnxruntime_the_engines_outputs(net):
    x, _ = mnist_test(32)
    assert_same(net, x)


def test_every_layers_output_matches_its_onnx_node(net):
    """Each layer's output tensor (named as the layer) agrees, not only the last one."""
    proto = to_onnx(net)
    names = [ly.name for ly in net.layers[:-1]]
    shapes = {n: info["output_shape"] for n, info in zip(names, net.layer_info(), strict=False)}
    for name in names:
        proto.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["N", *shapes[name]])
        )
    x, _ = mnist_test(8)
    got = dict(zip(["output", *names], session(proto).run(None, {"input": x}), strict=True))
    for name, want in zip(names, net.forward(x, return_all=True), strict=False):
        scale = max(1.0, float(np.abs(want).max()))
        assert np.abs(got[name] - want).max() <= 1e-5 * scale, name


def test_a_trained_graph_model_with_batch_norm_statistics(tmp_path):
    """A residual block with batch norm and a concat branch, trained a few steps (so the
    running statistics are far from 0 and 1), saved and loaded, then exported."""
    model = Model.from_spec(RESIDUAL, seed=0, classes=[str(i) for i in range(10)])
    x, y = mnist_test(256)
    opt = Adam(model.params(), lr=3e-3)
    losses = []
    for step in range(6):
        batch = slice(step * 32 % 256, step * 32 % 256 + 32)
        loss, _ = model.train_step(x[batch], y[batch])
        opt.step(model.grads())
        losses.append(loss)
    mean = model.state()["bn1.running_mean"]
    assert np.abs(mean).max() > 0.05  # the statistics moved
    model.save(tmp_path / "res.npz")
    loaded = Model.load(tmp_path / "res.npz")
    assert_same(loaded, x[:64])
