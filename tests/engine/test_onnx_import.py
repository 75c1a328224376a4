"""Every committed ONNX fixture imports and computes what onnxruntime computes.

On 20 real MNIST test digits, under each model's own input convention, the engine's output —
and every layer output that corresponds to an ONNX tensor — agrees with onnxruntime to 1e-4
relative (to the tensor's largest magnitude).
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.model import Model
from engine.onnx_import.builder import common_scope
from tests.onnx_fixtures import (
    MANIFEST,
    NAMES,
    digits_for,
    imported,
    mnist_digits,
    network_input,
    run_onnxruntime,
)

RTOL = 1e-4


def close(actual, expected, what: str) -> None:
    scale = max(float(np.abs(expected).max()), 1e-6)
    err = float(np.abs(actual - expected).max()) / scale
    assert err <= RTOL, f"{what}: max relative error {err:.2e} > {RTOL}"


def test_at_least_eight_fixtures_small():
    assert len(NAMES) >= 8
    kinds = {MANIFEST[n]["declared_input"] for n in NAMES}
    assert {"1x1x28x28", "Nx1x28x28", "10x1x28x28", "1x28x28", "Nx784", "Nx28x28x1"} <= kinds
    opsets = {MANIFEST[n]["opset"] for n in NAMES}
    assert min(opsets) <= 9 and max(opsets) >= 17


@pytest.mark.parametrize("name", NAMES)
def test_output_matches_onnxruntime_on_mnist(name):
    model = imported(name)
    x = digits_for(name, 20)
    (ref,) = run_onnxruntime(name, x, model.meta["onnx"]["input_layout"])
    out = model.forward(x)
    assert out.shape == ref.shape
    close(out, ref, f"{name} output")


@pytest.mark.parametrize("name", NAMES)
def test_every_mapped_layer_matches_onnxruntime(name):
    model = imported(name)
    layers = model.meta["onnx"]["layers"]
    tensors = {n: m["tensor"] for n, m in layers.items() if m["tensor"]}
    x = digits_for(name, 10)
    names = sorted(set(tensors.values()))
    refs = run_onnxruntime(name, x, model.meta["onnx"]["input_layout"], names)[1:]
    by_tensor = dict(zip(names, refs, strict=True))
    outputs = model.forward(x, return_all=True)
    checked = 0
    for info, out in zip(model.layer_info(), outputs, strict=True):
        t = tensors.get(info["name"])
        if t is None:
            continue
        ref = by_tensor[t]
        if out.shape != ref.shape:  # a global pool gives (N, C) where ONNX keeps (N, C, 1, 1)
            assert np.squeeze(ref).shape == np.squeeze(out).shape, f"{info['name']} ↔ {t}"
            ref = ref.reshape(out.shape)
        close(out, ref, f"{name}: layer {info['name']} ↔ tensor {t}")
        checked += 1
    assert checked >= len(model.layers) // 2


@pytest.mark.parametrize("name", NAMES)
def test_imports_classify_digits(name):
    """The fixtures were trained: on these digits each gets most right (real weights, not noise)."""
    model = imported(name)
    ink, labels = mnist_digits(50)
    pred = model.predict_proba(network_input(name, ink)).argmax(axis=1)
    assert (pred == labels).mean() >= 0.6


def test_meta_records_source_convention_and_layout():
    model = imported("lenet.onnx", convention={"mean": [0.1307], "std": [0.3081]})
    assert model.meta["source"] == "onnx"
    assert model.meta["input"] == {
        "invert": False,
        "scale": 1.0,
        "mean": [0.1307],
        "std": [0.3081],
        "channels": "gray",
        "resize": {"mode": "digit"},
    }
    assert model.meta["onnx"]["declared_input"] == [1, 1, 28, 28]
    assert model.input_shape == (1, 28, 28)
    assert model.classes == [str(i) for i in range(10)]


def test_keras_nhwc_input_transpose_is_folded():
    model = imported("keras_nhwc.onnx")
    assert model.input_shape == (1, 28, 28)
    assert model.meta["onnx"]["input_layout"] == "nhwc"
    assert model.layers[0].type == "conv2d"  # no transpose layer before it
    assert [ly.type for ly in model.layers].count("transpose") == 1  # the NHWC flatten's
    assert model.ends_in_softmax


def test_a_real_tf2onnx_export_reads_as_its_keras_layers():
    """Keras 3 + tf2onnx (scripts/make_keras_fixture.py): its one-channel NHWC input becomes
    NCHW through a Reshape, not a Transpose — folded all the same — and the layer names are
    Keras's, without the StatefulPartitionedCall/functional_1/ scope around every one."""
    model = imported("keras_tf2onnx.onnx")
    assert model.meta["onnx"]["input_layout"] == "nhwc"
    assert [ly.type for ly in model.layers][:5] == ["conv2d", "relu", "conv2d", "relu", "concat"]
    assert model.inputs[0] == model.inputs[2] == [-1]  # both branches read the image
    names = [ly.name for ly in model.layers]
    assert "concatenate_1" in names and "dense_1" in names
    assert not any(n.startswith(("StatefulPartitionedCall", "functional")) for n in names)


def test_common_scope_is_only_what_every_scoped_name_shares():
    assert common_scope(["a/b/conv/Conv", "a/b/relu/Relu", "Transpose__6"]) == ["a", "b"]
    assert common_scope(["/conv1/Conv", "/conv2/Conv"]) == []  # PyTorch's: nothing shared
    assert common_scope(["a/conv/Conv", "a/Relu"]) == ["a"]  # the last part is never the scope
    assert common_scope(["a/b/Conv", "Relu"]) == []  # one scoped name is no pattern


def test_cntk_bias_add_fused_and_shape_arithmetic_folded():
    model = imported("cntk_mnist8.onnx")
    types = [ly.type for ly in model.layers]
    assert types == [
        "conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "flatten", "dense",
    ]  # fmt: skip
    assert model.layers[0].config()["padding"] == [2, 2]  # SAME_UPPER of a 5×5
    assert np.abs(model.layers[0].params["bias"]).sum() > 0  # the Add's bias, in the conv


def test_log_of_softmax_is_one_logsoftmax_layer():
    model = imported("flat784_log_softmax.onnx")
    assert model.layers[-1].type == "logsoftmax"
    assert model.layers[0].type == "pad"  # F.pad((1, 0, 1, 0)): asymmetric, its own layer
    assert model.input_shape == (1, 28, 28)  # N×784 rows are 28×28 images


def test_grouped_and_depthwise_convs_keep_groups():
    model = imported("depthwise_elu.onnx")
    groups = [ly.config().get("groups", 1) for ly in model.layers if ly.type == "conv2d"]
    assert groups == [1, 8, 2]


def test_bn_and_dropout_are_layers_with_running_statistics():
    model = imported("bn_dropout.onnx")
    types = [ly.type for ly in model.layers]
    assert types.count("batchnorm2d") == 2 and types.count("batchnorm1d") == 1
    assert types.count("dropout") == 2
    state = model.state()
    assert "bn1.running_var" in state or any(k.endswith(".running_var") for k in state)


def test_legacy_dynamo_and_functions_exports_agree():
    ink, _ = mnist_digits(8)
    outs = [imported(n).forward(ink) for n in ("twin_legacy.onnx", "dynamo/model.onnx",
                                                 "twin_functions.onnx")]  # fmt: skip
    close(outs[1], outs[0], "dynamo vs legacy")
    close(outs[2], outs[0], "functions vs legacy")


def test_save_and_load_round_trip(tmp_path):
    model = imported("residual.onnx")
    model.save(tmp_path / "m.npz")
    again = Model.load(tmp_path / "m.npz")
    ink, _ = mnist_digits(4)
    np.testing.assert_array_equal(again.forward(ink), model.forward(ink))
    assert again.meta["source"] == "onnx"


def test_classes_given_and_checked():
    model = imported("lenet.onnx", classes=list("abcdefghij"))
    assert model.classes[0] == "a"
    with pytest.raises(ValueError, match="3 labels for a model with 10 outputs"):
        imported("lenet.onnx", classes=["a", "b", "c"])
