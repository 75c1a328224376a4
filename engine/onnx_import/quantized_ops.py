"""The QOperator nodes (``QLinear*``, ``QGemm``) as float nodes, for ``quantized.Rewriter``.

Each handler reads the node's quantized operands through ``rw.dequant`` (a constant — a weight —
becomes a float initializer; an activation is already float in the rewritten graph) and writes
the float operator with ``rw.requantized``, which adds the ReLU that quantizing the output to a
range starting at 0 stands for. Input orders follow the operators' definitions: ONNX's
``QLinearConv`` and ``QLinearMatMul``, and the ``com.microsoft`` contrib operators.
"""

from __future__ import annotations

import numpy as np

from engine.onnx_import.builder import Refused, describe
from engine.onnx_import.fold import attributes

CONV_ATTRS = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}
POOL_ATTRS = {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"}
POOL_ATTRS |= {"dilations"}


def _inputs(node, n: int) -> list[str]:
    """The first ``n`` input names, ``""`` for the optional ones left out."""
    return (list(node.input) + [""] * n)[:n]


def _attrs(node, known: set[str]) -> dict:
    """The node's attributes, refusing any but ``known`` (and a channels-last layout)."""
    found = attributes(node)
    if found.pop("channels_last", 0):
        raise Refused(f"{describe(node)}: channels_last = 1 is not supported")
    for key, value in found.items():
        if key not in known:
            raise Refused(f"{describe(node)}: {key} = {value!r} is not supported")
    return found


def _bias(rw, node, bias: str, a_scale: str, b_scale: str, channels: int) -> list[str]:
    """An int32 bias quantized with scale a_scale · b_scale and zero point 0, as a float
    initializer (one value per output channel); ``[]`` without one."""
    if not bias:
        return []
    q = rw.const(bias)
    if q is None:
        raise Refused(f"{describe(node)}: the bias {bias!r} must be a constant")
    a = rw.scalar(node, a_scale, "scale").astype(np.float64).reshape(-1)
    b = rw.scalar(node, b_scale, "scale").astype(np.float64).reshape(-1)
    scale = np.broadcast_to(a * b, (channels,))
    name = rw.fresh(f"{bias}_dequantized")
    rw.new[name] = (q.astype(np.float64).reshape(channels) * scale).astype(np.float32)
    return [name]


def qlinear_conv(rw, node) -> None:
    x, xs, xz, w, ws, wz, ys, yz, bias = _inputs(node, 9)
    attrs = _attrs(node, CONV_ATTRS)
    weight, shape = rw.weight(node, w, ws, wz, axis=0)
    channels = shape[0]
    inputs = [rw.dequant(node, x, xs, xz), weight, *_bias(rw, node, bias, xs, ws, channels)]
    rw.requantized(node, "Conv", inputs, node.output[0], ys, yz, **attrs)


def qlinear_matmul(rw, node) -> None:
    a, as_, az, b, bs, bz, ys, yz = _inputs(node, 8)
    _attrs(node, set())
    if rw.const(a) is None and rw.const(b) is None:
        raise Refused(f"{describe(node)}: one operand must be constant weights (got {a!r}, {b!r})")
    inputs = [rw.dequant(node, a, as_, az, axis=0), rw.dequant(node, b, bs, bz, axis=-1)]
    rw.requantized(node, "MatMul", inputs, node.output[0], ys, yz)


def qgemm(rw, node) -> None:
    """com.microsoft QGemm: Y = A'·B' + C, C an int32 bias with scale a_scale · b_scale."""
    a, as_, az, b, bs, bz, c, ys, yz = _inputs(node, 9)
    attrs = _attrs(node, {"alpha", "transA", "transB"})
    alpha = float(attrs.pop("alpha", 1.0))
    if alpha != 1.0:
        raise Refused(f"{describe(node)}: alpha = {alpha:g} is not supported")
    trans_b = int(attrs.get("transB", 0))
    weight, shape = rw.weight(node, b, bs, bz, axis=0 if trans_b else 1)
    channels = shape[0] if trans_b else shape[1]
    inputs = [rw.dequant(node, a, as_, az), weight, *_bias(rw, node, c, as_, bs, channels)]
    rw.requantized(node, "Gemm", inputs, node.output[0], ys, yz, **attrs)


def _binary(op: str):
    def handler(rw, node) -> None:
        a, as_, az, b, bs, bz, ys, yz = _inputs(node, 8)
        _attrs(node, set())
        inputs = [rw.dequant(node, a, as_, az), rw.dequant(node, b, bs, bz)]
        rw.requantized(node, op, inputs, node.output[0], ys, yz)

    return handler


def _unary(op: str, known: set[str]):
    def handler(rw, node) -> None:
        x, xs, xz, ys, yz = _inputs(node, 5)
        attrs = _attrs(node, known)
        rw.requantized(node, op, [rw.dequant(node, x, xs, xz)], node.output[0], ys, yz, **attrs)

    return handler


def qlinear_concat(rw, node) -> None:
    """com.microsoft QLinearConcat(Y_scale, Y_zero_point, X1, X1_scale, X1_zero_point, ...)."""
    attrs = _attrs(node, {"axis"})
    ys, yz, *rest = node.input
    if not rest or len(rest) % 3:
        raise Refused(f"{describe(node)}: expected (tensor, scale, zero point) triples")
    inputs = [rw.dequant(node, *rest[i : i + 3]) for i in range(0, len(rest), 3)]
    rw.requantized(node, "Concat", inputs, node.output[0], ys, yz, **attrs)


def qlinear_softmax(rw, node) -> None:
    x, xs, xz, ys, yz = _inputs(node, 5)
    attrs = _attrs(node, {"axis", "opset"})
    axis = int(attrs.get("axis", -1 if int(attrs.get("opset", 13)) >= 13 else 1))
    x = rw.dequant(node, x, xs, xz)
    rw.requantized(node, "Softmax", [x], node.output[0], ys, yz, axis=axis)


QLINEAR = {
    "QLinearConv": qlinear_conv,
    "QLinearMatMul": qlinear_matmul,
    "QGemm": qgemm,
    "QLinearAdd": _binary("Add"),
    "QLinearMul": _binary("Mul"),
    "QLinearGlobalAveragePool": _unary("GlobalAveragePool", set()),
    "QLinearAveragePool": _unary("AveragePool", POOL_ATTRS),
    "QLinearSigmoid": _unary("Sigmoid", set()),
    "QLinearLeakyRelu": _unary("LeakyRelu", {"alpha"}),
    "QLinearConcat": qlinear_concat,
    "QLinearSoftmax": qlinear_softmax,
}
