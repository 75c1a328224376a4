"""ONNX ``Neg``: a lone one is a ``mul`` by −1; ``Neg → MaxPool → Neg`` (how ONNX, and our own
exporter, writes a min pool) is one ``minpool2d`` — unless a tensor inside the pattern is read
elsewhere, when each node maps on its own. Each graph is checked against onnxruntime.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from tests.engine.onnx_check import agree, const, graph_bytes

RNG = np.random.default_rng(11)


def head(src: str, features: int) -> tuple[list, list]:
    """Flatten + Gemm to 3 scores: the importer wants class scores out."""
    nodes = [
        helper.make_node("Flatten", [src], ["f"], name="/flatten/Flatten"),
        helper.make_node("Gemm", ["f", "G", "C"], ["y"], transB=1, name="/fc/Gemm"),
    ]
    inits = [const("G", RNG.normal(size=(3, features))), const("C", [0.1, -0.2, 0.3])]
    return nodes, inits


def types(model) -> list[str]:
    return [layer.type for layer in model.layers]


def test_a_lone_neg_is_a_mul_by_minus_one():
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], name="/conv/Conv"),
        helper.make_node("Neg", ["c"], ["n"], name="/Neg"),
        helper.make_node("Relu", ["n"], ["r"], name="/Relu"),
    ]
    tail, inits = head("r", 2 * 10 * 10)
    inits.append(const("W", RNG.normal(size=(2, 1, 3, 3))))
    x = RNG.normal(size=(4, 1, 12, 12)).astype(np.float32)
    model = agree(graph_bytes(nodes + tail, inits), x)
    assert types(model) == ["conv2d", "mul", "relu", "flatten", "dense"]
    mul = model.layers[1]
    assert mul.config() == {"constant_shape": [1]}
    assert mul.buffers["constant"].tolist() == [-1.0]


@pytest.mark.parametrize(
    "pool, out_hw, first",
    [
        ({"kernel_shape": [2, 2], "strides": [2, 2]}, 6, []),
        ({"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}, 7, []),
        # asymmetric padding: a pad layer first, filled with +huge so it never wins a min
        ({"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}, 7, ["pad"]),
    ],
    ids=["plain", "padded-ceil", "same-upper"],
)
def test_neg_maxpool_neg_is_one_min_pool(pool, out_hw, first):
    nodes = [
        helper.make_node("Neg", ["x"], ["n"], name="/pool/Neg"),
        helper.make_node("MaxPool", ["n"], ["p"], name="/pool/MaxPool", **pool),
        helper.make_node("Neg", ["p"], ["m"], name="/pool/Neg_1"),
    ]
    tail, inits = head("m", out_hw * out_hw)
    side = 13 if "auto_pad" in pool else 12
    # all positive: a pad that took part in the min (0, or -huge) would change the answer
    x = RNG.uniform(0.5, 1.5, size=(3, 1, side, side)).astype(np.float32)
    model = agree(graph_bytes(nodes + tail, inits, shape=("N", 1, side, side)), x)
    assert types(model) == [*first, "minpool2d", "flatten", "dense"]
    if first:
        assert model.layers[0].config()["value"] > 1e38
    pool_layer = next(ly for ly in model.layers if ly.type == "minpool2d")
    assert pool_layer.name == ("pool_maxpool" if first else "pool")  # the pad layer took "pool"
    assert model.meta["onnx"]["layers"][pool_layer.name]["tensor"] == "m"


@pytest.mark.parametrize("reader", ["inner", "outer_input"])
def test_neg_maxpool_neg_read_elsewhere_is_not_fused(reader):
    """The pooled ``-x`` (``p``) or the negated input (``n``) also feeds a Sigmoid: no fusion,
    and every node still computes what onnxruntime does."""
    side_input = "p" if reader == "inner" else "n"
    nodes = [
        helper.make_node("Neg", ["x"], ["n"], name="/pool/Neg"),
        helper.make_node("MaxPool", ["n"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Neg", ["p"], ["m"], name="/pool/Neg_1"),
        helper.make_node("Sigmoid", [side_input], ["s"], name="/Sigmoid"),
    ]
    if reader == "inner":
        nodes.append(helper.make_node("Add", ["m", "s"], ["t"], name="/Add"))
    else:
        avg = helper.make_node("AveragePool", ["s"], ["g"], kernel_shape=[2, 2], strides=[2, 2])
        nodes += [avg, helper.make_node("Add", ["m", "g"], ["t"], name="/Add")]
    tail, inits = head("t", 36)
    x = RNG.normal(size=(3, 1, 12, 12)).astype(np.float32)
    model = agree(graph_bytes(nodes + tail, inits), x)
    got = types(model)
    assert "minpool2d" not in got
    assert got.count("mul") == 2 and got.count("maxpool2d") == 1
