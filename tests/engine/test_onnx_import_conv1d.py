"""A 1-D Conv over N×C×L and an Expand before an elementwise operator
(engine/onnx_import/ops_layers.py and
ops_simple.py): ECA-Net's channel attention as timm exports it, and the
1-D convolution's other forms, each checked against onnxruntime; an Expand read otherwise is
refused by name."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

from engine.onnx_import import Refused, import_onnx
from tests.engine.onnx_check import const, graph_bytes
from tests.engine.onnx_images import relative_error

RNG = np.random.default_rng(5)
C = 8


def _agree(data: bytes, shape=(3, C, 6, 6)):
    x = RNG.standard_normal(shape).astype(np.float32)
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    model = import_onnx(data)
    assert relative_error(model.forward(x), want) <= 1e-5
    return model


def _eca(conv_attrs: dict, w: np.ndarray, bias: bool, expand_to: str = "x"):
    """x → mean over H, W → (N, 1, C) → Conv 1-D → sigmoid → (N, C, 1, 1) → Expand → x · gate
    → Flatten: timm's EcaModule, node for node."""
    inits = [
        const("hw", [2, 3], np.int64),
        const("seq", [-1, 1, C], np.int64),
        const("gate_shape", [-1, C, 1, 1], np.int64),
        const("w", w),
    ]
    conv_in = ["seq_x", "w"]
    if bias:
        inits.append(const("b", RNG.normal(size=w.shape[0])))
        conv_in.append("b")
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["pooled"], axes=[2, 3], keepdims=0),
        helper.make_node("Reshape", ["pooled", "seq"], ["seq_x"]),
        helper.make_node("Conv", conv_in, ["conv"], **conv_attrs),
        helper.make_node("Sigmoid", ["conv"], ["sig"]),
        helper.make_node("Reshape", ["sig", "gate_shape"], ["gate"]),
        helper.make_node("Shape", [expand_to], ["x_shape"]),
        helper.make_node("Expand", ["gate", "x_shape"], ["wide"]),
        helper.make_node("Mul", ["x", "wide"], ["scaled"]),
        helper.make_node("Flatten", ["scaled"], ["y"]),
    ]
    return graph_bytes(nodes, inits, 13, ("N", C, 6, 6))


@pytest.mark.parametrize(
    "attrs, bias",
    [
        ({"kernel_shape": [3], "pads": [1, 1]}, False),  # timm's ECA, k = 3
        ({"kernel_shape": [5], "pads": [2, 2], "dilations": [1]}, True),
        ({"pads": [1, 2], "strides": [1]}, False),  # asymmetric: a pad layer first
    ],
)
def test_ecas_attention_agrees_with_onnxruntime(attrs, bias):
    k = attrs.get("kernel_shape", [4])[0]
    model = _agree(_eca(attrs, RNG.normal(size=(1, 1, k)), bias))
    types = [ly.type for ly in model.layers]
    assert "conv2d" in types and types.count("mul") == 1


def test_a_strided_grouped_1d_convolution_over_channels_as_a_sequence():
    """(N, C) → (N, 2, C/2): two channels of a sequence, stride 2, two groups, with a bias."""
    inits = [const("seq", [-1, 2, C // 2], np.int64), const("w", RNG.normal(size=(4, 1, 3)))]
    inits.append(const("b", RNG.normal(size=4)))
    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
        helper.make_node("Reshape", ["pooled", "seq"], ["seq_x"]),
        helper.make_node("Conv", ["seq_x", "w", "b"], ["conv"], strides=[2], pads=[1, 1], group=2),
        helper.make_node("Flatten", ["conv"], ["y"]),
    ]
    _agree(graph_bytes(nodes, inits, 13, ("N", C, 6, 6)))


def test_an_expand_not_read_by_an_elementwise_operator_is_refused():
    inits = [const("big", [1, C, 6, 6], np.int64), const("hw", [2, 3], np.int64)]
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["pooled"], axes=[2, 3], keepdims=1),
        helper.make_node("Expand", ["pooled", "big"], ["wide"]),
        helper.make_node("Relu", ["wide"], ["r"]),
        helper.make_node("Flatten", ["r"], ["y"]),
    ]
    with pytest.raises(Refused, match="Expand"):
        import_onnx(graph_bytes(nodes, inits, 13, (1, C, 6, 6)))
