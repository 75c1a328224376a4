"""Split attention as timm exports it (SKNet, ResNeSt): branches stacked on an axis, a softmax
across them, a ReduceSum adding them up; GCNet's global context, a MatMul of the map and a
softmax over its positions — each a layer (engine/onnx_import), the whole checked against
onnxruntime and written back by the exporter; what it cannot read is refused by name."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

from engine.onnx_export import to_onnx
from engine.onnx_import import Refused, import_onnx
from tests.engine.onnx_check import const, graph_bytes
from tests.engine.onnx_images import relative_error

RNG = np.random.default_rng(6)
C = 4


def _selective_kernel() -> bytes:
    """Two 3×3 convolutions (one dilated) → stacked (N, 2, C, H, W) → summed → pooled → a
    1×1 conv to 2C → (N, 2, C, 1, 1) → softmax across the branches → weights × stack → sum."""
    inits = [
        const("w1", RNG.normal(size=(C, 3, 3, 3)) * 0.3),
        const("w2", RNG.normal(size=(C, 3, 3, 3)) * 0.3),
        const("one", [1], np.int64),
        const("fc", RNG.normal(size=(2 * C, C, 1, 1))),
        const("branches", [-1, 2, C, 1, 1], np.int64),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["x", "w2"], ["b"], pads=[2, 2, 2, 2], dilations=[2, 2]),
        helper.make_node("Unsqueeze", ["a", "one"], ["a1"]),
        helper.make_node("Unsqueeze", ["b", "one"], ["b1"]),
        helper.make_node("Concat", ["a1", "b1"], ["stack"], axis=1),
        helper.make_node("ReduceSum", ["stack", "one"], ["both"], keepdims=0),
        helper.make_node("ReduceMean", ["both"], ["pooled"], axes=[2, 3], keepdims=1),
        helper.make_node("Conv", ["pooled", "fc"], ["logits"]),
        helper.make_node("Reshape", ["logits", "branches"], ["per_branch"]),
        helper.make_node("Softmax", ["per_branch"], ["weights"], axis=1),
        helper.make_node("Mul", ["stack", "weights"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "one"], ["mixed"], keepdims=0),
        helper.make_node("Flatten", ["mixed"], ["y"]),
    ]
    return graph_bytes(nodes, inits, 13, ("N", 3, 7, 7))


def test_selective_kernel_attention_agrees_with_onnxruntime_and_exports_back():
    data = _selective_kernel()
    x = RNG.standard_normal((3, 3, 7, 7)).astype(np.float32)
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    model = import_onnx(data)
    types = [ly.type for ly in model.layers]
    assert types.count("sum") == 2 and types.count("softmaxdim") == 1
    assert relative_error(model.forward(x), want) <= 1e-5
    exported = to_onnx(model).SerializeToString()
    session = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
    again = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert relative_error(again, want) <= 1e-5


@pytest.mark.parametrize(
    "node, message",
    [
        (helper.make_node("ReduceSum", ["x", "axes"], ["s"], keepdims=0), "one axis"),
        (helper.make_node("ReduceSum", ["x", "batch"], ["s"], keepdims=1), "not the batch axis"),
    ],
)
def test_a_sum_over_several_axes_or_the_batch_is_refused(node, message):
    inits = [const("axes", [2, 3], np.int64), const("batch", [0], np.int64)]
    data = graph_bytes([node, helper.make_node("Flatten", ["s"], ["y"])], inits, 13, ("N", 3, 7, 7))
    with pytest.raises(Refused, match=message):
        import_onnx(data)


def test_a_global_context_block_agrees_with_onnxruntime_and_exports_back():
    """GCNet: key = 1×1 conv to one channel, softmax over the H·W positions, the map (C, HW)
    times those weights (HW, 1) = a context vector per channel, added back to the map."""
    inits = [
        const("wk", RNG.normal(size=(1, C, 1, 1))),
        const("wv", RNG.normal(size=(C, C, 1, 1)) * 0.3),
        const("rows", [-1, C, 49], np.int64),
        const("column", [-1, 49, 1], np.int64),
        const("as_map", [-1, C, 1, 1], np.int64),
        const("w0", RNG.normal(size=(C, 3, 3, 3)) * 0.3),
    ]
    steps = [  # operator, inputs, output, attributes
        ("Conv", "x w0", "m", {"pads": [1, 1, 1, 1]}),
        ("Conv", "m wk", "key", {}),
        ("Reshape", "key column", "key_col", {}),
        ("Softmax", "key_col", "attn", {"axis": 1}),  # over the H·W positions
        ("Reshape", "m rows", "m_rows", {}),
        ("MatMul", "m_rows attn", "context", {}),  # (C, HW) @ (HW, 1)
        ("Reshape", "context as_map", "context_map", {}),
        ("Conv", "context_map wv", "transformed", {}),
        ("Add", "m transformed", "out", {}),
        ("Flatten", "out", "y", {}),
    ]
    nodes = [helper.make_node(op, ins.split(), [out], **a) for op, ins, out, a in steps]
    data = graph_bytes(nodes, inits, 13, ("N", 3, 7, 7))
    x = RNG.standard_normal((3, 3, 7, 7)).astype(np.float32)
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    model = import_onnx(data)
    assert "matmul" in {ly.type for ly in model.layers}  # the softmax: over the one long axis
    assert relative_error(model.forward(x), want) <= 1e-5
    exported = to_onnx(model).SerializeToString()
    session = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
    assert relative_error(session.run(None, {session.get_inputs()[0].name: x})[0], want) <= 1e-5
