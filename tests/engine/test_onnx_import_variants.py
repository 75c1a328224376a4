"""The forms the new operators take across opsets and exporters, in small hand-written graphs,
each checked against onnxruntime to 1e-5: Split (attribute, input, num_outputs), Slice, Softmax
over N×K×1×1, Clip, PRelu slopes, a broadcasting channel scale, AveragePool variants, an
unbatched input normalised before its Unsqueeze, a Concat of one input, a flat Gather in order,
and constant arithmetic folded at import (standardised weights, computed pads)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

from engine.onnx_import import Refused, import_onnx
from tests.engine.onnx_check import const, graph_bytes
from tests.engine.onnx_images import relative_error

RNG = np.random.default_rng(7)
C = 6


def graph(nodes, inits, opset=13, shape=("N", C, 8, 8)):
    return graph_bytes(nodes, inits, opset, shape)


def head(x_name, inits, features):
    """GlobalAveragePool → Flatten → Gemm to 5 scores, so every graph ends in K scores."""
    inits += [const("G", RNG.normal(size=(5, features))), const("bias", RNG.normal(size=5))]
    return [
        helper.make_node("GlobalAveragePool", [x_name], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "G", "bias"], ["y"], transB=1),
    ]


def agree(data, x, types=()):
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    model = import_onnx(data)
    batched = x if x.ndim == 4 else x[None]
    assert relative_error(model.forward(batched), want) <= 1e-5
    found = {ly.type for ly in model.layers}
    assert set(types) <= found, found
    return model


def images(n=3, shape=(C, 8, 8)):
    return RNG.normal(size=(n, *shape)).astype(np.float32) * 2


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_split_in_every_form_then_joined_the_other_way_round(opset):
    inits = []
    if opset == 11:
        split = helper.make_node("Split", ["x"], ["a", "b"], axis=1, split=[4, 2])
    elif opset == 13:
        split = helper.make_node("Split", ["x", "sizes"], ["a", "b"], axis=1)
        inits.append(const("sizes", [4, 2], np.int64))
    else:  # num_outputs: equal parts, the last one smaller
        split = helper.make_node("Split", ["x"], ["a", "b"], axis=-3, num_outputs=2)
    nodes = [split, helper.make_node("Concat", ["b", "a"], ["cat"], axis=1)]
    nodes += head("cat", inits, C)
    agree(graph(nodes, inits, opset), images(), {"narrow", "concat"})


def test_a_concat_of_one_input_is_that_input():
    """torchvision's DenseNet exports ``torch.cat([x], 1)`` before its first dense layer."""
    nodes = [
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("Concat", ["r"], ["one"], axis=1),
        helper.make_node("Concat", ["one", "x"], ["two"], axis=1),
        *head("two", inits := [], 2 * C),
    ]
    model = agree(graph(nodes, inits), images(), {"relu", "concat"})
    assert [ly.type for ly in model.layers].count("concat") == 1


@pytest.mark.parametrize("in_order", [True, False])
def test_a_flat_gather_in_order_is_a_reshape_and_any_other_is_refused(in_order):
    """PyTorch's dynamo exporter writes torchvision ConvNeXt's ``as_strided`` view of the
    pooled features as Reshape to [-1] then Gather by ``arange`` in the features' shape."""
    index = np.arange(C, dtype=np.int64).reshape(1, C, 1, 1)
    inits = [const("axes", [2, 3], np.int64), const("to_line", [-1], np.int64)]
    inits.append(const("index", index if in_order else index[:, ::-1], np.int64))
    nodes = [
        helper.make_node("ReduceMean", ["x", "axes"], ["mean"], keepdims=1),
        helper.make_node("Reshape", ["mean", "to_line"], ["line"]),
        helper.make_node("Gather", ["line", "index"], ["view"], axis=0),
        helper.make_node("Relu", ["view"], ["r"]),
        *head("r", inits, C),
    ]
    data = graph(nodes, inits, 18, shape=(1, C, 8, 8))
    if not in_order:
        with pytest.raises(Refused, match="Reshape"):
            import_onnx(data)
        return
    model = agree(data, images(n=1))
    assert "relu" in [ly.type for ly in model.layers]


@pytest.mark.parametrize("opset", [13, 18])
def test_weights_standardised_in_the_graph_are_folded_at_import(opset):
    """timm's NF-ResNet convolutions normalise their weights every forward: ReduceMean, Sub,
    Pow, Add, Sqrt, Div on the constant weight; the import evaluates them once."""
    w = RNG.normal(size=(4, C, 3, 3)).astype(np.float32) * 3 + 1
    inits = [const("w", w), const("b", RNG.normal(size=4)), const("two", 2.0), const("eps", 1e-5)]
    axes = {}
    if opset >= 18:
        inits.append(const("axes", [1, 2, 3], np.int64))
    else:
        axes = {"axes": [1, 2, 3]}
    with_axes = ["axes"] if opset >= 18 else []
    nodes = [
        helper.make_node("ReduceMean", ["w", *with_axes], ["mean"], keepdims=1, **axes),
        helper.make_node("Sub", ["w", "mean"], ["centred"]),
        helper.make_node("Pow", ["centred", "two"], ["squares"]),
        helper.make_node("ReduceMean", ["squares", *with_axes], ["var"], keepdims=1, **axes),
        helper.make_node("Add", ["var", "eps"], ["var_eps"]),
        helper.make_node("Sqrt", ["var_eps"], ["sd"]),
        helper.make_node("Div", ["centred", "sd"], ["w_std"]),
        helper.make_node("Conv", ["x", "w_std", "b"], ["conv"], pads=[1, 1, 1, 1]),
        *head("conv", inits, 4),
    ]
    model = agree(graph(nodes, inits, opset), images(), {"conv2d"})
    assert [ly.type for ly in model.layers][0] == "conv2d"


def test_weights_standardised_by_a_training_mode_batch_norm_are_folded():
    """timm's BiT and NF-ResNets as TorchScript writes them: the weight, viewed (1, F, -1), goes
    through BatchNormalization with ``training_mode = 1`` (scaled by a gain) every forward."""
    w = RNG.normal(size=(4, C, 3, 3)).astype(np.float32) * 2 - 1
    inits = [
        const("w", w),
        const("as_rows", [1, 4, -1], np.int64),
        const("as_w", [4, C, 3, 3], np.int64),
        const("gain", RNG.uniform(0.5, 2, size=4)),
        const("zeros", np.zeros(4)),
        const("ones", np.ones(4)),
    ]
    bn = ["rows", "gain", "zeros", "zeros", "ones"]
    nodes = [
        helper.make_node("Reshape", ["w", "as_rows"], ["rows"]),
        helper.make_node(
            "BatchNormalization", bn, ["normed", "mean", "var"], training_mode=1, epsilon=1e-6
        ),
        helper.make_node("Reshape", ["normed", "as_w"], ["w_std"]),
        helper.make_node("Conv", ["x", "w_std"], ["conv"], pads=[1, 1, 1, 1]),
        *head("conv", inits, 4),
    ]
    model = agree(graph(nodes, inits, 15), images(), {"conv2d"})
    assert "batchnorm2d" not in {ly.type for ly in model.layers}


def test_a_positional_encoding_computed_from_constants_is_folded():
    """EdgeNeXt's Fourier positional encoding: running sums of a mask of ones (CumSum, one
    exclusive and reversed), their sines and cosines, projected by a 1×1 Conv — all constant,
    evaluated at import, and added to the map."""
    inits = [
        const("mask", np.ones((1, 1, 8, 8))),
        const("two", np.int64(2), np.int64),
        const("three", np.int64(3), np.int64),
        const("proj", RNG.normal(size=(C, 2, 1, 1))),
        const("proj_b", RNG.normal(size=C)),
    ]
    nodes = [
        helper.make_node("CumSum", ["mask", "two"], ["rows"]),
        helper.make_node("CumSum", ["mask", "three"], ["cols"], exclusive=1, reverse=1),
        helper.make_node("Sin", ["rows"], ["sin"]),
        helper.make_node("Cos", ["cols"], ["cos"]),
        helper.make_node("Concat", ["sin", "cos"], ["enc"], axis=1),
        helper.make_node("Conv", ["enc", "proj", "proj_b"], ["pos"], pads=[0, 0, 0, 0]),
        helper.make_node("Add", ["x", "pos"], ["with_pos"]),
        *head("with_pos", inits, C),
    ]
    model = agree(graph(nodes, inits), images(), {"add"})
    assert "conv2d" not in {ly.type for ly in model.layers}  # the encoding is a constant


def test_tensorflow_same_padding_computed_with_clip_is_folded():
    """tf_efficientnet's stems pad by max(need, 0), written as Clip on constant pads."""
    inits = [const("need", [0, 0, -1, 1, 0, 0, 2, 1], np.int64), const("zero", 0, np.int64)]
    nodes = [
        helper.make_node("Clip", ["need", "zero"], ["pads"]),
        helper.make_node("Pad", ["x", "pads"], ["padded"]),
        *head("padded", inits, C),
    ]
    agree(graph(nodes, inits), images(), {"pad"})


@pytest.mark.parametrize("opset", [9, 13])
def test_slice_with_negative_and_open_bounds(opset):
    big = np.iinfo(np.int64).max
    if opset == 9:
        node = helper.make_node("Slice", ["x"], ["s"], starts=[1, -6], ends=[big, -1], axes=[2, 3])
        inits = []
    else:
        node = helper.make_node("Slice", ["x", "st", "en", "ax"], ["s"])
        inits = [const(k, v, np.int64) for k, v in (("st", [1, -6]), ("en", [big, -1]))]
        inits.append(const("ax", [-2, -1], np.int64))
    model = agree(graph([node, *head("s", inits, C)], inits, opset), images(), {"narrow"})
    cuts = [ly.config() for ly in model.layers if ly.type == "narrow"]
    assert cuts == [{"dim": 2, "start": 1, "length": 7}, {"dim": 3, "start": 2, "length": 5}]


@pytest.mark.parametrize("op, opset", [("Softmax", 11), ("LogSoftmax", 13), ("Softmax", 13)])
def test_softmax_over_classes_kept_as_k_by_1_by_1(op, opset):
    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["gap"]),
        helper.make_node(op, ["gap"], ["y"], axis=1),
    ]
    model = agree(graph(nodes, [], opset), images())
    assert [ly.type for ly in model.layers] == ["globalavgpool", op.lower()]


@pytest.mark.parametrize(
    "attrs, bounds",
    [({"min": 0.0, "max": 6.0}, (0.0, 6.0)), ({"min": -1.0}, (-1.0, None)), ({}, (None, None))],
)
def test_clip_by_attributes(attrs, bounds):
    nodes = [helper.make_node("Clip", ["x"], ["c"], **attrs)]
    inits = []
    model = agree(graph([*nodes, *head("c", inits, C)], inits, opset=7), images() * 3)
    clamp = next(ly for ly in model.layers if ly.type == "hardtanh")
    assert (clamp.min_val, clamp.max_val) == bounds


@pytest.mark.parametrize("shape", [(C, 1, 1), (1, C, 1, 1), (1,)])
def test_prelu_slopes(shape):
    inits = [const("slope", RNG.uniform(-0.5, 0.5, size=shape))]
    nodes = [helper.make_node("PRelu", ["x", "slope"], ["p"])]
    agree(graph([*nodes, *head("p", inits, C)], inits), images(), {"prelu"})


def test_prelu_per_pixel_slopes_refused():
    inits = [const("slope", np.ones((C, 8, 8)))]
    nodes = [helper.make_node("PRelu", ["x", "slope"], ["p"], name="/act/PRelu")]
    data = graph([*nodes, *head("p", inits, C)], inits)
    with pytest.raises(ValueError, match=r'"/act/PRelu" \(PRelu\): a slope of shape \[6, 8, 8\]'):
        import_onnx(data)


def test_channel_scale_from_reduce_max_broadcasts_over_height_and_width():
    nodes = [
        helper.make_node("ReduceMax", ["x"], ["m"], axes=[2, 3], keepdims=1),
        helper.make_node("HardSigmoid", ["m"], ["g"]),  # ONNX's default alpha = 0.2
        helper.make_node("Mul", ["g", "x"], ["s"]),  # the gate first
    ]
    inits = []
    agree(graph([*nodes, *head("s", inits, C)], inits), images(), {"globalmaxpool", "mul"})


@pytest.mark.parametrize(
    "pads, ceil, include",
    [
        ([1, 1, 1, 1], 1, 1),
        ([0, 1, 1, 0], 0, 1),
        ([1, 1, 1, 1], 1, 0),
        ([0, 0, 0, 0], 1, 0),
        ([0, 1, 1, 0], 0, 0),  # asymmetric, the padding left out: pad, pool, rescale
        ([1, 0, 2, 1], 1, 0),
        ("SAME_UPPER", 0, 0),  # Keras's AveragePooling2D(padding="same")
    ],
)
def test_average_pool_variants(pads, ceil, include):
    where = {"auto_pad": pads} if isinstance(pads, str) else {"pads": pads}
    node = helper.make_node(
        "AveragePool",
        ["x"],
        ["p"],
        kernel_shape=[3, 3],
        strides=[2, 2],
        ceil_mode=ceil,
        count_include_pad=include,
        **where,
    )
    inits = []
    model = agree(graph([node, *head("p", inits, C)], inits), images() + 1.0)
    asymmetric = isinstance(pads, str) or pads[:2] != pads[2:]
    if asymmetric and not include:
        assert [ly.type for ly in model.layers][:3] == ["pad", "avgpool2d", "mul"]


def test_an_unbatched_input_normalised_before_its_unsqueeze():
    inits = [const("mean", RNG.normal(size=(C, 1, 1))), const("zero", [0], np.int64)]
    nodes = [
        helper.make_node("Sub", ["x", "mean"], ["centred"]),
        helper.make_node("Unsqueeze", ["centred", "zero"], ["batch"]),
        helper.make_node("Relu", ["batch"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["gap"]),
        helper.make_node("Squeeze", ["gap"], ["y"]),  # (C,): no batch axis
    ]
    data = graph(nodes, inits, shape=(C, 8, 8))
    x = images(1)[0]
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    model = import_onnx(data)
    assert relative_error(model.forward(x[None])[0], want) <= 1e-5


def test_a_deep_chain_of_shape_computed_channel_shuffles():
    """torchvision's ShuffleNetV2 reshapes with sizes read from ``x.size()`` in every unit:
    each Reshape's shape is known only once the one before is folded, 24 levels deep."""
    nodes, inits = [], [const("groups", [2], np.int64), const("minus1", [-1], np.int64)]
    inits += [const(f"i{k}", [k], np.int64) for k in range(4)]
    x = "x"
    for u in range(12):
        p = f"u{u}_"
        nodes += [helper.make_node("Shape", [x], [p + "shape"])]
        for k in range(4):
            nodes += [helper.make_node("Gather", [p + "shape", f"i{k}"], [p + f"d{k}"], axis=0)]
        nodes += [
            helper.make_node(
                "Concat", [p + "d0", "groups", "minus1", p + "d2", p + "d3"], [p + "5d"], axis=0
            ),
            helper.make_node("Reshape", [x, p + "5d"], [p + "grouped"]),
            helper.make_node("Transpose", [p + "grouped"], [p + "t"], perm=[0, 2, 1, 3, 4]),
            helper.make_node("Shape", [p + "t"], [p + "tshape"]),
            helper.make_node("Gather", [p + "tshape", "i0"], [p + "n"], axis=0),
            helper.make_node("Concat", [p + "n", "minus1", p + "d2", p + "d3"], [p + "4d"], axis=0),
            helper.make_node("Reshape", [p + "t", p + "4d"], [p + "out"]),
        ]
        x = p + "out"
    agree(graph([*nodes, *head(x, inits, C)], inits), images(), {"transpose"})


@pytest.mark.parametrize("n", [1, 3])
def test_sum_of_one_or_several_branches(n):
    inits = [const(f"W{i}", RNG.normal(size=(C, C, 1, 1))) for i in range(n)]
    nodes = [helper.make_node("Conv", ["x", f"W{i}"], [f"b{i}"]) for i in range(n)]
    nodes += [helper.make_node("Sum", [f"b{i}" for i in range(n)], ["s"])]
    model = agree(graph([*nodes, *head("s", inits, C)], inits), images())
    assert [ly.type for ly in model.layers].count("add") == n - 1
