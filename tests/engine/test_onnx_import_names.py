"""Imported layers keep PyTorch's module names: the exporter's node ``/block1/block1.0/conv1/Conv``
is the module ``block1.0.conv1`` (``model.named_modules()``), not ``block1_block1_0_conv1``; and
the names survive export, so onnxruntime runs the re-exported file with the same outputs."""

from __future__ import annotations

import numpy as np
from onnx import helper

from engine.onnx_export import to_onnx
from tests.engine.onnx_check import agree, assert_same, graph_bytes, w


def test_nested_module_names_are_pytorchs():
    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="/block1/block1.0/conv1/Conv"),
        helper.make_node("Relu", ["c1"], ["r1"], name="/block1/block1.0/relu/Relu"),
        helper.make_node("Conv", ["r1", "W2", "B2"], ["c2"], name="/block1/block1.1/conv1/Conv"),
        helper.make_node("Flatten", ["c2"], ["f"], name="/flatten/Flatten"),
        helper.make_node("Gemm", ["f", "W3", "B3"], ["y"], name="/head/Gemm", transB=1),
    ]
    inits = [
        w("W1", (2, 1, 3, 3), 1), w("B1", (2,), 2), w("W2", (3, 2, 3, 3), 3), w("B2", (3,), 4),
        w("W3", (4, 3 * 8 * 8), 5), w("B3", (4,), 6),
    ]  # fmt: skip
    data = graph_bytes(nodes, inits)
    x = np.random.default_rng(0).random((2, 1, 12, 12), dtype=np.float32)
    model = agree(data, x)
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["block1.0.conv1", "block1.0.relu", "block1.1.conv1"], names
    assert "block1.0.conv1.weight" in model.state()
    assert_same(model, x, to_onnx(model))
