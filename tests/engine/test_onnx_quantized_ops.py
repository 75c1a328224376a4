"""The quantized operators one by one, and what the rewrite still refuses.

A small float graph that uses every operator onnxruntime's quantizer turns into a ``QLinear*``
one (Conv, Sigmoid, LeakyRelu, Mul of two activations, AveragePool, Concat, GlobalAveragePool,
Gemm) is quantized here with ``onnxruntime.quantization`` (QOperator and QDQ, per channel),
calibrated on random inputs; the engine's import of each must give onnxruntime's probabilities
to within the quantization noise.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from engine.onnx_import import Refused, import_onnx
from engine.ops.activation import softmax

F = TensorProto.FLOAT
RNG = np.random.default_rng(7)
X = RNG.normal(size=(48, 3, 8, 8)).astype(np.float32)  # 32 to calibrate on, 16 to test


def init(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def float_graph() -> onnx.ModelProto:
    """conv → sigmoid · leaky-relu → avg pool ‖ max pool → global pool → dense → softmax."""
    rng = np.random.default_rng(0)
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["c"], name="/conv/Conv", pads=[1] * 4),
        helper.make_node("Sigmoid", ["c"], ["s"], name="/sig/Sigmoid"),
        helper.make_node("LeakyRelu", ["c"], ["l"], name="/leaky/LeakyRelu", alpha=0.1),
        helper.make_node("Mul", ["s", "l"], ["m"], name="/gate/Mul"),
        helper.make_node(
            "AveragePool",
            ["m"],
            ["a"],
            name="/avg/AveragePool",
            kernel_shape=[2, 2],
            strides=[2, 2],
        ),  # fmt: skip
        helper.make_node(
            "MaxPool", ["c"], ["p"], name="/max/MaxPool", kernel_shape=[2, 2], strides=[2, 2]
        ),  # fmt: skip
        helper.make_node("Concat", ["a", "p"], ["k"], name="/cat/Concat", axis=1),
        helper.make_node("GlobalAveragePool", ["k"], ["g"], name="/gap/GlobalAveragePool"),
        helper.make_node("Flatten", ["g"], ["f"], name="/Flatten"),
        helper.make_node("Gemm", ["f", "G", "H"], ["z"], name="/fc/Gemm", transB=1),
        helper.make_node("Softmax", ["z"], ["y"], name="/Softmax", axis=1),
    ]
    inits = [
        init("W", rng.normal(0, 0.4, (6, 3, 3, 3)).astype(np.float32)),
        init("B", rng.normal(0, 0.1, 6).astype(np.float32)),
        init("G", rng.normal(0, 3.0, (5, 12)).astype(np.float32)),
        init("H", rng.normal(0, 0.1, 5).astype(np.float32)),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", F, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", F, ["N", 5])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


class Reader(CalibrationDataReader):
    def __init__(self):
        self.batches = iter([{"x": X[i : i + 1]} for i in range(32)])

    def get_next(self):
        return next(self.batches, None)


@cache
def quantized(fmt: str, tmp_dir: str) -> bytes:
    src, dst = f"{tmp_dir}/float.onnx", f"{tmp_dir}/{fmt}.onnx"
    onnx.save(float_graph(), src)
    quant_format = QuantFormat.QOperator if fmt == "qop" else QuantFormat.QDQ
    quantize_static(src, dst, Reader(), quant_format=quant_format, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)  # fmt: skip
    with open(dst, "rb") as f:
        return f.read()


def onnxruntime_probs(data: bytes, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_every_quantized_operator_matches_onnxruntime(fmt, tmp_path_factory):
    data = quantized(fmt, str(tmp_path_factory.getbasetemp()))
    ops = {n.op_type for n in onnx.load_model_from_string(data).graph.node}
    if fmt == "qop":
        assert {"QLinearConv", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearMul"} <= ops
        assert {"QLinearAveragePool", "QLinearConcat", "QLinearGlobalAveragePool", "QGemm"} <= ops
    model = import_onnx(data)
    types = [i["type"] for i in model.layer_info()]
    for kind in ("conv2d", "sigmoid", "leakyrelu", "mul", "avgpool2d", "concat", "dense"):
        assert kind in types
    x = X[32:]
    want = onnxruntime_probs(data, x)
    got = model.forward(x)
    got = got if np.allclose(got.sum(1), 1, atol=1e-4) else softmax(got)
    assert np.abs(got - want).max() < 0.08  # 8-bit rounding, about 1/256 of each range per op
    assert np.mean(got.argmax(1) == want.argmax(1)) >= 0.9


def test_the_float_graph_itself_is_what_the_rewrite_produces(tmp_path_factory):
    """Dequantized, the QOperator file computes the float graph with the quantized weights:
    its outputs stay close to the float graph's, more than to another graph's."""
    data = quantized("qop", str(tmp_path_factory.getbasetemp()))
    original = import_onnx(float_graph().SerializeToString())
    got = import_onnx(data).forward(X[32:])
    assert np.abs(got - original.forward(X[32:])).max() < 0.05


# -- refusals -----------------------------------------------------------------------------


def graph_bytes(nodes, inits, shape, opset: int = 13) -> bytes:
    """A model of ``nodes`` from input "x" (``shape``) to output "y", with onnxruntime's
    contrib domain declared too."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", F, list(shape))],
        [helper.make_tensor_value_info("y", F, None)],
        list(inits),
    )
    opsets = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 10 if opset >= 21 else 8
    return model.SerializeToString()


def qop_net(node, extra_inits=()) -> bytes:
    """x → QuantizeLinear → ``node`` (reading "q", writing "r") → Dequantize → flatten → y."""
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="/in/Quantize"),
        node,
        helper.make_node("DequantizeLinear", ["r", "s", "z"], ["d"], name="/out/Dequantize"),
        helper.make_node("Flatten", ["d"], ["y"], name="/Flatten"),
    ]
    inits = [init("s", np.float32(0.05)), init("z", np.uint8(128)), *extra_inits]
    return graph_bytes(nodes, inits, (1, 2, 4, 4))


def test_a_channels_last_quantized_pool_is_refused_naming_the_attribute():
    node = helper.make_node("QLinearGlobalAveragePool", ["q", "s", "z", "s", "z"], ["r"],
                            name="/gap", domain="com.microsoft", channels_last=1)  # fmt: skip
    with pytest.raises(Refused, match=r'node "/gap" \(QLinearGlobalAveragePool\): channels_last'):
        import_onnx(qop_net(node))


def test_a_microsoft_operator_that_is_not_a_quantized_one_is_still_refused():
    node = helper.make_node("FusedConv", ["q", "W"], ["r"], name="/fused", domain="com.microsoft")
    with pytest.raises(ValueError, match=r"FusedConv.*domain 'com.microsoft' is not supported"):
        import_onnx(qop_net(node, [init("W", np.ones((2, 2, 1, 1), np.float32))]))


def test_weights_computed_at_run_time_are_refused():
    node = helper.make_node("QLinearMatMul", ["q", "s", "z", "q", "s", "z", "s", "z"], ["r"],
                            name="/mm")  # fmt: skip
    with pytest.raises(Refused, match=r'node "/mm" \(QLinearMatMul\)'):
        import_onnx(qop_net(node))


def test_blocked_quantization_is_refused_naming_block_size():
    q = np.zeros((4, 2), np.int8)
    nodes = [
        helper.make_node(
            "DequantizeLinear", ["Wq", "Ws"], ["W"], name="/w/Dq", axis=0, block_size=2
        ),  # fmt: skip
        helper.make_node("MatMul", ["x", "W"], ["y"], name="/fc/MatMul"),
    ]
    inits = [init("Wq", q), init("Ws", np.ones((2, 2), np.float32))]
    with pytest.raises(Refused, match=r'node "/w/Dq" \(DequantizeLinear\): block_size = 2'):
        import_onnx(graph_bytes(nodes, inits, (1, 4), opset=21))


def test_fake_quantized_weights_and_a_signed_input_quantization():
    """PyTorch's QAT export style: Q → DQ of a float weight (quantized here exactly as
    onnxruntime does), and an input quantized to int8 by ``output_dtype`` with no zero point
    — symmetric, so no ReLU is implied."""
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.5, (4, 1, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node(
            "QuantizeLinear", ["x", "s"], ["xq"], name="/in/Q", output_dtype=TensorProto.INT8
        ),  # fmt: skip
        helper.make_node("DequantizeLinear", ["xq", "s"], ["xd"], name="/in/DQ"),
        helper.make_node("QuantizeLinear", ["W", "ws", "wz"], ["Wq"], name="/w/Q", axis=0),
        helper.make_node("DequantizeLinear", ["Wq", "ws", "wz"], ["Wd"], name="/w/DQ", axis=0),
        helper.make_node("Conv", ["xd", "Wd"], ["c"], name="/conv/Conv"),
        helper.make_node("Flatten", ["c"], ["y"], name="/Flatten"),
    ]
    inits = [init("s", np.float32(0.02)), init("W", w), init("ws", np.full(4, 0.01, np.float32))]
    inits.append(init("wz", np.zeros(4, np.int8)))
    data = graph_bytes(nodes, inits, (1, 1, 6, 6), opset=21)
    imported = import_onnx(data)
    assert [i["type"] for i in imported.layer_info()] == ["conv2d", "flatten"]  # no ReLU
    want_w = np.clip(np.rint(w / 0.01), -128, 127) * 0.01
    np.testing.assert_allclose(imported.state()["conv.weight"], want_w, rtol=1e-6, atol=1e-7)
    x = np.random.default_rng(4).normal(size=(1, 1, 6, 6)).astype(np.float32)
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    # the only difference is the input's rounding: ≤ 0.01 per pixel through 9 weights ≤ 1.28
    assert np.abs(imported.forward(x) - want).max() < 9 * 0.01 * 1.28
