"""Dynamic quantization as float nodes, for ``quantized.Rewriter``.

onnxruntime's ``quantize_dynamic`` writes, for each Conv and MatMul:

    x → DynamicQuantizeLinear → (x_q, x_scale, x_zero) → ConvInteger(x_q, w_q, x_zero, w_zero)
      → Cast(float) → Mul(·, Mul(x_scale, w_scale)) [→ Add(bias)]

``ConvInteger`` computes conv(x_q − x_zero, w_q − w_zero) ≈ conv(x, w_q − w_zero) / x_scale. In
the float graph x_q stands for x itself and x_scale for 1, so the integer op becomes a float
Conv (MatMul) with weights (w_q − w_zero), and the Mul by (1 · w_scale) that follows is folded
into them: one Conv with weights (w_q − w_zero) · w_scale, as the float model had.
"""

from __future__ import annotations

import numpy as np

from engine.onnx_import.builder import Refused, describe
from engine.onnx_import.fold import attributes


def dynamic_quantize_linear(rw, node) -> None:
    """y stands for x itself; its scale is the float graph's 1 and its zero point 0."""
    y, scale, zero = node.output
    rw.emit(node, "Identity", [node.input[0]], y)
    rw.new[scale] = np.float32(1.0)
    rw.new[zero] = np.uint8(0)
    rw.unit.add(scale)


def _integer(op: str, channel_axis: int):
    """ConvInteger (output channels on the weight's axis 0) or MatMulInteger (its last)."""

    def handler(rw, node) -> None:
        x, w, _, w_zero = (list(node.input) + ["", ""])[:4]
        q = rw.const(w)
        if q is None:
            raise Refused(f"{describe(node)}: the weights {w!r} must be a constant")
        rw.weight_types.add(str(q.dtype))
        axis = channel_axis % q.ndim
        z = rw.const(w_zero)
        z = np.zeros(1) if z is None else np.asarray(z, np.float64)
        weight = q.astype(np.float64) - (z.reshape(1) if z.size == 1 else per_axis(z, q.ndim, axis))
        spatial = q.ndim - 2 if op == "Conv" else 0
        out, scale = _scale_after(rw, node, q.shape[axis], spatial)
        if scale is not None:
            weight = weight * per_axis(scale, q.ndim, axis)
        name = rw.fresh(f"{w}_dequantized")
        rw.new[name] = weight.astype(np.float32)
        rw.emit(node, op, [x, name], out, **(attributes(node) if op == "Conv" else {}))

    return handler


def _scale_after(rw, node, channels: int, spatial: int) -> tuple[str, np.ndarray | None]:
    """The ``Cast`` → ``Mul`` by (input scale · weight scale) after an integer op: fold them
    (the output becomes the Mul's) when the scale is known here and is one number or one per
    output channel (shape ``(channels,)`` + ``spatial`` ones); else leave them in the graph."""
    out = node.output[0]
    cast = _only_user(rw, out, "Cast")
    mul = cast and _only_user(rw, cast.output[0], "Mul")
    if not mul:
        return out, None
    other = mul.input[1] if mul.input[0] == cast.output[0] else mul.input[0]
    scale = _scale_value(rw, other)
    if scale is None or not per_channel(scale, channels, spatial):
        return out, None
    rw.dropped.update((id(cast), id(mul)))
    return mul.output[0], np.broadcast_to(scale.reshape(-1), (channels,))


def _only_user(rw, name: str, op: str):
    users = rw.consumers.get(name, [])
    graph_out = any(o.name == name for o in rw.model.graph.output)
    return users[0] if len(users) == 1 and users[0].op_type == op and not graph_out else None


def _scale_value(rw, name: str) -> np.ndarray | None:
    """A constant, a dynamic scale (1 here), or a Mul of two of them."""
    if name in rw.unit:
        return np.ones(1)
    value = rw.const(name)
    if value is not None:
        return np.asarray(value, np.float64)
    producer = next((n for n in rw.model.graph.node if name in n.output), None)
    if producer is None or producer.op_type != "Mul":
        return None
    a, b = (_scale_value(rw, i) for i in producer.input)
    return None if a is None or b is None else a * b


def per_axis(v: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    """A 1-D per-channel vector shaped to broadcast along ``axis`` of an ``ndim``-D tensor."""
    shape = [1] * ndim
    shape[axis % ndim] = -1
    return np.asarray(v).reshape(shape)


def per_channel(scale: np.ndarray, channels: int, spatial: int) -> bool:
    """Whether ``scale`` broadcasts as one number, or one per channel on an output
    ``(N, channels, *spatial)``."""
    shape = list(scale.shape)
    while shape and shape[0] == 1:
        shape.pop(0)
    return scale.size == 1 or shape == [channels] + [1] * spatial


DYNAMIC_OPS = {
    "DynamicQuantizeLinear": dynamic_quantize_linear,
    "ConvInteger": _integer("Conv", 0),
    "MatMulInteger": _integer("MatMul", -1),
}
