"""Operators the PyTorch fixtures do not exercise, in small hand-written graphs, each checked
against onnxruntime: in-graph normalisation (Sub/Div by constants, constant − x, constant / x),
asymmetric Conv pads and SAME_UPPER MaxPool (a pad layer first), MeanVarianceNormalization,
ReduceMean/GlobalMaxPool as global pools, Squeeze/Unsqueeze, Sum, Sigmoid, Gemm with alpha/beta.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from tests.engine.onnx_check import agree, const, graph_bytes, ints

RNG = np.random.default_rng(0)


def test_normalisation_padding_mvn_and_global_pools():
    nodes = [
        helper.make_node("Sub", ["x", "mean"], ["a"], name="/norm/Sub"),
        helper.make_node("Div", ["a", "std"], ["b"], name="/norm/Div"),
        helper.make_node("Conv", ["b", "W", "B"], ["c"], pads=[1, 0, 0, 1], name="/conv/Conv"),
        helper.make_node("MeanVarianceNormalization", ["c"], ["m"], axes=[0, 2, 3], name="/mvn"),
        helper.make_node("Sigmoid", ["m"], ["s"], name="/sig"),
        helper.make_node(
            "MaxPool", ["s"], ["p"], kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER"
        ),
        helper.make_node("ReduceMean", ["p"], ["r"], axes=[2, 3], keepdims=1, name="/gap"),
        helper.make_node("GlobalMaxPool", ["p"], ["g"], name="/gmp"),
        helper.make_node("Sum", ["r", "g"], ["t"], name="/sum"),
        helper.make_node("Squeeze", ["t", "axes23"], ["q"], name="/squeeze"),
        helper.make_node("Unsqueeze", ["q", "axes2"], ["u"], name="/unsqueeze"),
        helper.make_node("Flatten", ["u"], ["f"], name="/flatten"),
        helper.make_node("Sub", ["one", "f"], ["h"], name="/one_minus"),
        helper.make_node("Div", ["two", "h"], ["k"], name="/two_over"),
        helper.make_node("Gemm", ["k", "G", "C"], ["z"], alpha=0.5, beta=2.0, transB=1),
        helper.make_node("Softmax", ["z"], ["y"], axis=1, name="/softmax"),
    ]
    inits = [
        const("mean", [0.1307]),
        const("std", [0.3081]),
        const("W", RNG.normal(size=(4, 1, 3, 3))),
        const("B", RNG.normal(size=4)),
        ints("axes23", [2, 3]),
        ints("axes2", [2]),
        const("one", 1.0),
        const("two", 2.0),
        const("G", RNG.normal(size=(3, 4))),
        const("C", RNG.normal(size=(1, 3))),
    ]
    x = RNG.random((3, 1, 12, 12), dtype=np.float32)
    model = agree(graph_bytes(nodes, inits), x)
    types = [layer.type for layer in model.layers]
    assert types[:4] == ["sub", "div", "pad", "conv2d"]  # asymmetric conv pads: a pad layer
    assert "meanvariancenormalization" in types and types.count("pad") == 2
    assert {"globalavgpool", "globalmaxpool", "add"} <= set(types)
    consts = [ly.config() for ly in model.layers if ly.type in ("sub", "div")]
    assert consts[-2].get("constant_first") and consts[-1].get("constant_first")


@pytest.mark.parametrize("opset", [9, 11, 13])
def test_opset_specific_forms(opset):
    """Clip's bounds, Dropout's ratio, Squeeze's axes and Pad's pads moved from attributes to
    inputs across opsets; each form maps to the same layers."""
    if opset < 11:
        clip = helper.make_node("Clip", ["x"], ["c"], min=0.0)
        pad = helper.make_node("Pad", ["c"], ["p"], pads=[0, 0, 1, 2, 0, 0, 2, 1], value=0.5)
        extra = []
    else:
        clip = helper.make_node("Clip", ["x", "zero"], ["c"])
        pad = helper.make_node("Pad", ["c", "pads", "half"], ["p"])
        extra = [const("zero", 0.0), ints("pads", [0, 0, 1, 2, 0, 0, 2, 1]), const("half", 0.5)]
    nodes = [
        clip,
        pad,
        helper.make_node("Dropout", ["p"], ["d"], ratio=0.3)
        if opset < 12
        else helper.make_node("Dropout", ["p", "ratio"], ["d"]),
        helper.make_node("GlobalAveragePool", ["d"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "G", "C"], ["z"], transB=1),
        helper.make_node("LogSoftmax", ["z"], ["y"], axis=1),
    ]
    inits = [
        *extra,
        const("ratio", 0.3),
        const("G", RNG.normal(size=(5, 1))),
        const("C", [0.1] * 5),
    ]
    x = RNG.normal(size=(2, 1, 12, 12)).astype(np.float32)
    model = agree(graph_bytes(nodes, inits, opset=opset), x)
    types = [layer.type for layer in model.layers]
    assert types[:3] == ["relu", "pad", "dropout"] and types[-1] == "logsoftmax"
    assert model.layers[1].config()["pads"] == [1, 2, 2, 1]


def test_a_conv_without_bias_imports_without_one():
    """PyTorch's ``bias=False`` (every convolution before a batch norm): no zero bias to add
    over the whole output; an Add of a constant after it still becomes its bias."""
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1], name="/plain/Conv"),
        helper.make_node("Relu", ["c"], ["r"], name="/relu"),
        helper.make_node("Conv", ["r", "W2"], ["d"], name="/added/Conv"),
        helper.make_node("Add", ["d", "B2"], ["e"], name="/added/Add"),
        helper.make_node("GlobalAveragePool", ["e"], ["g"], name="/gap"),
        helper.make_node("Flatten", ["g"], ["y"], name="/flatten"),
    ]
    inits = [
        const("W", RNG.normal(size=(4, 2, 3, 3))),
        const("W2", RNG.normal(size=(3, 4, 1, 1))),
        const("B2", RNG.normal(size=(1, 3, 1, 1))),
    ]
    x = RNG.random((2, 2, 6, 6), dtype=np.float32)
    model = agree(graph_bytes(nodes, inits, shape=("N", 2, 6, 6)), x)
    plain, added = [ly for ly in model.layers if ly.type == "conv2d"]
    assert "bias" not in plain.params and plain.config()["bias"] is False
    assert added.config()["bias"] is True and np.abs(added.params["bias"]).min() > 0
