"""Operators the PyTorch fixtures do not exercise, in small hand-written graphs, each checked
against onnxruntime: in-graph normalisation (Sub/Div by constants, constant − x, constant / x),
asymmetric Conv pads and SAME_UPPER MaxPool (a pad layer first), MeanVarianceNormalization,
ReduceMean/GlobalMaxPool as global pools, Squeeze/Unsqueeze, Sum, Sigmoid, Gemm with alpha/beta.
"""

from __future__ import annotations

import numpy as np
import onnx
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


def _gelu_graph(body: list, inits: list, opset: int = 17) -> bytes:
    """x (N, 1, 12, 12) → Conv → ``body`` (from "c" to "g") → GlobalAveragePool → Flatten."""
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1], name="/conv/Conv"),
        *body,
        helper.make_node("GlobalAveragePool", ["g"], ["p"], name="/gap"),
        helper.make_node("Flatten", ["p"], ["y"], name="/flatten"),
    ]
    inits = [const("W", RNG.normal(size=(3, 1, 3, 3))), *inits]
    raw = graph_bytes(nodes, inits, opset=opset)
    if opset < 20:
        return raw
    model = onnx.load_from_string(raw)
    model.ir_version = 9  # opset 20 needs IR 9
    return model.SerializeToString()


def torchscript_gelu(x: str, out: str) -> list:
    """What torch.onnx.export(..., dynamo=False) writes for nn.GELU() from ``x`` to ``out``."""
    return [
        helper.make_node("Div", [x, "sqrt2"], [f"{x}_d"]),
        helper.make_node("Erf", [f"{x}_d"], [f"{x}_e"]),
        helper.make_node("Add", [f"{x}_e", "one"], [f"{x}_a"]),
        helper.make_node("Mul", [x, f"{x}_a"], [f"{x}_m"]),
        helper.make_node("Mul", [f"{x}_m", "half"], [out]),
    ]


TORCHSCRIPT_GELU = torchscript_gelu("c", "g")
TORCHSCRIPT_TANH_GELU = [  # ... and for nn.GELU(approximate="tanh")
    helper.make_node("Mul", ["c", "c"], ["sq"]),
    helper.make_node("Mul", ["c", "sq"], ["cube"]),
    helper.make_node("Mul", ["kappa", "cube"], ["kc"]),
    helper.make_node("Add", ["c", "kc"], ["inner"]),
    helper.make_node("Mul", ["beta", "inner"], ["s"]),
    helper.make_node("Tanh", ["s"], ["t"]),
    helper.make_node("Add", ["one", "t"], ["a"]),
    helper.make_node("Mul", ["c", "a"], ["m"]),
    helper.make_node("Mul", ["half", "m"], ["g"]),
]
GELU_CONSTANTS = [
    const("sqrt2", 2**0.5),
    const("one", 1.0),
    const("half", 0.5),
    const("kappa", 0.044715),
    const("beta", (2 / np.pi) ** 0.5),
]


@pytest.mark.parametrize(
    "body, opset, approximate",
    [
        ([helper.make_node("Gelu", ["c"], ["g"])], 20, "none"),
        ([helper.make_node("Gelu", ["c"], ["g"], approximate="tanh")], 20, "tanh"),
        (TORCHSCRIPT_GELU, 17, "none"),
        (TORCHSCRIPT_TANH_GELU, 17, "tanh"),
    ],
    ids=["Gelu", "Gelu-tanh", "torchscript", "torchscript-tanh"],
)
def test_gelu_in_every_form_is_one_gelu_layer(body, opset, approximate):
    x = RNG.standard_normal((2, 1, 12, 12)).astype(np.float32) * 3
    inits = GELU_CONSTANTS if opset < 20 else []
    model = agree(_gelu_graph(body, inits, opset), x)
    kinds = [ly.type for ly in model.layers]
    assert kinds == ["conv2d", "gelu", "globalavgpool"]  # the Flatten after it: nothing to do
    assert model.layers[1].config() == {"approximate": approximate}


def test_an_erf_outside_the_gelu_pattern_is_an_erf_layer():
    """Adding 2 instead of 1 is no GELU: the nodes import one by one, and still agree."""
    body = [
        *TORCHSCRIPT_GELU[:2],
        helper.make_node("Add", ["c_e", "two"], ["c_a"]),
        *TORCHSCRIPT_GELU[3:],
    ]
    x = RNG.standard_normal((2, 1, 12, 12)).astype(np.float32)
    model = agree(_gelu_graph(body, [*GELU_CONSTANTS, const("two", 2.0)]), x)
    assert [ly.type for ly in model.layers][1:6] == ["div", "erf", "add", "mul", "mul"]


def test_pytorchs_group_norm_pattern_is_one_groupnorm_layer():
    """Reshape(N, G, -1) → InstanceNormalization → Reshape back → Mul → Add, as both PyTorch
    exporters write ``nn.GroupNorm``: one layer whose weight and bias are the Mul's and Add's."""
    body = [
        helper.make_node("Reshape", ["c", "groups"], ["r"], name="/gn/Reshape"),
        helper.make_node("InstanceNormalization", ["r", "ones", "zeros"], ["i"], epsilon=1e-3),
        helper.make_node("Reshape", ["i", "back"], ["b"], name="/gn/Reshape_1"),
        helper.make_node("Mul", ["b", "gamma"], ["m"], name="/gn/Mul"),
        helper.make_node("Add", ["m", "beta"], ["g"], name="/gn/Add"),
    ]
    gamma, beta = RNG.uniform(0.5, 2, (3, 1, 1)), RNG.normal(size=(3, 1, 1))
    inits = [
        ints("groups", [0, 3, -1]),
        const("ones", np.ones(3)),
        const("zeros", np.zeros(3)),
        ints("back", [0, 3, 12, 12]),
        const("gamma", gamma),
        const("beta", beta),
    ]
    x = RNG.standard_normal((2, 1, 12, 12)).astype(np.float32) * 3
    model = agree(_gelu_graph(body, inits), x)
    layer = model.layers[1]
    assert [ly.type for ly in model.layers] == ["conv2d", "groupnorm", "globalavgpool"]
    assert layer.config() == {"num_groups": 3, "num_channels": 3, "eps": pytest.approx(1e-3)}
    np.testing.assert_allclose(layer.params["weight"], gamma.ravel(), rtol=1e-6)


def test_instance_normalization_alone_is_a_groupnorm_of_one_channel_a_group():
    scale, bias = RNG.uniform(0.5, 2, 3), RNG.normal(size=3)
    body = [helper.make_node("InstanceNormalization", ["c", "s", "b"], ["g"], name="/inorm")]
    x = RNG.standard_normal((2, 1, 12, 12)).astype(np.float32)
    model = agree(_gelu_graph(body, [const("s", scale), const("b", bias)]), x)
    assert model.layers[1].config()["num_groups"] == 3


def _convnext_block(middle: list, inits: list) -> bytes:
    """x (N, 1, 12, 12) → Conv (4 channels) → Transpose to channels-last → ``middle`` (from "t"
    to "u") → Transpose back → the residual Add → GlobalAveragePool → Flatten →
    LayerNormalization of the 4 features → Gemm to 3 classes."""
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1], name="/stem/Conv"),
        helper.make_node("Transpose", ["c"], ["t"], perm=[0, 2, 3, 1], name="/block/Transpose"),
        *middle,
        helper.make_node("Transpose", ["u"], ["v"], perm=[0, 3, 1, 2], name="/block/Transpose_1"),
        helper.make_node("Add", ["v", "c"], ["r"], name="/block/Add_res"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="/gap"),
        helper.make_node("Flatten", ["p"], ["f"], name="/flatten"),
        helper.make_node("LayerNormalization", ["f", "hs", "hb"], ["n"], epsilon=1e-6, name="/ln"),
        helper.make_node("Gemm", ["n", "G"], ["y"], transB=1, name="/fc/Gemm"),
    ]
    inits = [
        const("W", RNG.normal(size=(4, 1, 3, 3))),
        const("hs", RNG.uniform(0.5, 2, 4)),
        const("hb", RNG.normal(size=4)),
        const("G", RNG.normal(size=(3, 4))),
        *inits,
    ]
    return graph_bytes(nodes, inits, opset=17)


def test_a_convnext_block_in_channels_last_is_read_as_channel_first_layers():
    """LayerNormalization, MatMul + Add, GELU (as TorchScript writes it), MatMul + Add and the
    layer scale between the Transposes: a layernorm2d, 1×1 convolutions, a gelu and a mul,
    with no transpose left; the head's LayerNormalization of the pooled features too."""
    middle = [
        helper.make_node("LayerNormalization", ["t", "ls", "lb"], ["n1"], epsilon=1e-6),
        helper.make_node("MatMul", ["n1", "W1"], ["m1"]),
        helper.make_node("Add", ["b1", "m1"], ["a1"]),
        *torchscript_gelu("a1", "g"),
        helper.make_node("MatMul", ["g", "W2"], ["m2"]),
        helper.make_node("Add", ["m2", "b2"], ["a2"]),
        helper.make_node("Mul", ["a2", "gamma"], ["u"]),
    ]
    inits = [
        const("ls", RNG.uniform(0.5, 2, 4)),
        const("lb", RNG.normal(size=4)),
        const("W1", RNG.normal(size=(4, 16)) * 0.5),
        const("b1", RNG.normal(size=16)),
        const("W2", RNG.normal(size=(16, 4)) * 0.5),
        const("b2", RNG.normal(size=4)),
        const("gamma", RNG.uniform(0.5, 2, 4)),
        *GELU_CONSTANTS,
    ]
    x = RNG.standard_normal((2, 1, 12, 12)).astype(np.float32)
    model = agree(_convnext_block(middle, inits), x)
    kinds = [ly.type for ly in model.layers]
    assert kinds[:7] == ["conv2d", "layernorm2d", "conv2d", "gelu", "conv2d", "mul", "add"]
    assert "transpose" not in kinds and kinds[-2:] == ["layernorm2d", "dense"]


def test_a_channels_last_stretch_with_another_operator_keeps_its_transposes():
    middle = [helper.make_node("Neg", ["t"], ["u"])]
    x = RNG.standard_normal((2, 1, 12, 12)).astype(np.float32)
    kinds = [ly.type for ly in agree(_convnext_block(middle, []), x).layers]
    assert kinds.count("transpose") == 2
