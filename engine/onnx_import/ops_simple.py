"""ONNX operators without weights → engine layers: activations, softmax heads, dropout, pad,
element-wise arithmetic, concat, and the shape operators (Reshape, Flatten, Squeeze, Unsqueeze,
Transpose), which the engine reads as a per-example shape since its batch axis is implicit.
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from engine.onnx_import.builder import Act, Builder, per_example_constant, prod

FLOAT_TYPES = {np.float16, np.float32, np.float64}
HUGE = 3.0e38


def activation(b: Builder, node) -> None:
    op = node.op_type
    if op == "LeakyRelu":
        attrs = b.attrs(node, {"alpha"})
        kind, config = "leakyrelu", {"negative_slope": float(attrs.get("alpha", 0.01))}
    elif op == "Elu":
        attrs = b.attrs(node, {"alpha"})
        kind, config = "elu", {"alpha": float(attrs.get("alpha", 1.0))}
    else:
        b.attrs(node, set())
        kind, config = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}[op], {}
    x = b.act(node.input[0], node)
    b.emit(node, kind, config, [x], node.output[0], shape=x.shape)


def softmax(b: Builder, node) -> None:
    attrs = b.attrs(node, {"axis"})
    x = b.act(node.input[0], node)
    axis = int(attrs.get("axis", 1 if b.opset < 13 else -1))
    if len(x.shape) != 1 or axis not in (1, -1):
        b.fail(
            node,
            f"axis = {axis} on per-example shape {list(x.shape)} is not supported (only the "
            "class axis of N×K scores)",
        )
    kind, out = ("softmax" if node.op_type == "Softmax" else "logsoftmax"), node.output[0]
    user = b.single_consumer(out)
    if kind == "softmax" and user is not None and user.op_type == "Log":
        kind = "logsoftmax"  # Log(Softmax(x)): one layer, and a stable one
        b.skip(user)
        act = b.emit(node, kind, {}, [x], out, shape=x.shape)
        b.retarget(act, user.output[0])
        return
    b.emit(node, kind, {}, [x], out, shape=x.shape)


def clip(b: Builder, node) -> None:
    """Clip(min=0, max=∞) is a ReLU; other bounds are not supported."""
    attrs = b.attrs(node, {"min", "max"})
    lo, hi = attrs.get("min", -HUGE), attrs.get("max", HUGE)
    for i, key in ((1, "min"), (2, "max")):
        if len(node.input) > i and node.input[i]:
            value = b.const(node.input[i])
            if value is None:
                b.fail(node, f"{key} must be a constant")
            if key == "min":
                lo = float(value)
            else:
                hi = float(value)
    if lo != 0.0:
        b.fail(node, f"min = {lo:g} is not supported (only Clip(min=0), a ReLU)")
    if hi < HUGE:
        b.fail(node, f"max = {hi:g} is not supported (only Clip(min=0), a ReLU)")
    x = b.act(node.input[0], node)
    b.emit(node, "relu", {}, [x], node.output[0], shape=x.shape)


def dropout(b: Builder, node) -> None:
    attrs = b.attrs(node, {"ratio", "seed", "is_test"})
    ratio = float(attrs.get("ratio", 0.5))
    if len(node.input) > 1 and node.input[1]:
        value = b.const(node.input[1])
        if value is None:
            b.fail(node, "ratio must be a constant")
        ratio = float(value)
    if len(node.input) > 2 and node.input[2]:
        training = b.const(node.input[2])
        if training is None or bool(training):
            b.fail(node, "training_mode = true is not supported (export in eval mode)")
    if len(node.output) > 1 and node.output[1] and b.consumers.get(node.output[1]):
        b.fail(node, "its mask output is not supported")
    x = b.act(node.input[0], node)
    b.emit(node, "dropout", {"p": ratio}, [x], node.output[0], shape=x.shape)


def identity(b: Builder, node) -> None:
    attrs = b.attrs(node, {"to", "saturate"})
    if node.op_type == "Cast":
        dtype = helper.tensor_dtype_to_np_dtype(attrs["to"])
        if dtype.type not in FLOAT_TYPES:
            b.fail(node, f"to = {dtype} is not supported on activations (floats only)")
    b.alias(node.output[0], b.raw_act(node.input[0], node))


def pad(b: Builder, node) -> None:
    attrs = b.attrs(node, {"mode", "pads", "value"})
    mode = attrs.get("mode", "constant")
    if mode != "constant":
        b.fail(node, f"mode = {mode!r} is not supported (constant only)")
    pads, value = attrs.get("pads"), float(attrs.get("value", 0.0))
    if len(node.input) > 1:
        pads = b.const(node.input[1])
        if pads is None:
            b.fail(node, "pads must be a constant")
        pads = [int(p) for p in pads.tolist()]
        if len(node.input) > 2 and node.input[2]:
            v = b.const(node.input[2])
            if v is None:
                b.fail(node, "constant_value must be a constant")
            value = float(v)
        if len(node.input) > 3 and node.input[3]:
            b.fail(node, "axes is not supported")
    x = b.act(node.input[0], node)
    if len(x.shape) != 3 or pads is None or len(pads) != 8:
        b.fail(node, f"pads = {pads} is not supported (N×C×H×W only)")
    if pads[0] or pads[1] or pads[4] or pads[5] or any(p < 0 for p in pads):
        b.fail(node, f"pads = {pads} is not supported (spatial, non-negative only)")
    config = {"pads": [pads[2], pads[3], pads[6], pads[7]], "value": value}
    b.emit(node, "pad", config, [x], node.output[0])


BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Sum": "add"}


def binary(b: Builder, node) -> None:
    b.attrs(node, {"broadcast", "axis"} if b.opset < 7 else set())
    if len(node.input) != 2:
        b.fail(node, f"{len(node.input)} operands are not supported (two only)")
    kind = BINARY[node.op_type]
    a_const, c_const = (b.const(n) for n in node.input)
    if a_const is None and c_const is None:
        x, y = (b.act(n, node) for n in node.input)
        if x.shape != y.shape:
            b.fail(node, f"operands of shapes {list(x.shape)} and {list(y.shape)} must match")
        b.emit(node, kind, {}, [x, y], node.output[0], shape=x.shape)
        return
    if a_const is not None and c_const is not None:
        b.fail(node, "both operands are constants (it should have been folded)")
    swapped = a_const is not None
    x = b.act(node.input[1] if swapped else node.input[0], node)
    c = per_example_constant(b, node, a_const if swapped else c_const, x)
    config = {"constant_shape": list(c.shape)}
    if swapped and kind in ("sub", "div"):
        config["constant_first"] = True  # c − x, c / x
    b.emit(node, kind, config, [x], node.output[0], {"constant": c}, shape=x.shape)


def concat(b: Builder, node) -> None:
    attrs = b.attrs(node, {"axis"})
    xs = [b.act(n, node) for n in node.input]
    rank = len(xs[0].shape) + 1
    axis = int(attrs.get("axis", 1)) % rank
    if axis == 0:
        b.fail(node, "axis = 0 (the batch axis) is not supported")
    b.emit(node, "concat", {"dim": axis}, xs, node.output[0])


def reshape_like(b: Builder, node) -> None:
    """Reshape, Flatten, Squeeze, Unsqueeze: the engine layer is the per-example result."""
    b.attrs(node, {"axis", "axes", "allowzero"})
    act = b.raw_act(node.input[0], node)
    out = node.output[0]
    if act.batched:
        want = b.onnx_per_example(out, node)
    else:  # an input declared without a batch axis gets one here
        shape = b.prep.shapes.get(out)
        if shape is None or None in shape or not shape or shape[0] != 1:
            b.fail(node, f"it must give the input a batch axis of 1 first, got shape {shape}")
        want = tuple(shape[1:])
    if prod(want) != prod(act.shape):
        b.fail(node, f"it maps per-example shape {list(act.shape)} onto {list(want)}")
    if want == act.shape:
        b.alias(out, Act(act.ref, act.shape, True))
        return
    kind, config = ("flatten", {}) if len(want) == 1 else ("reshape", {"shape": list(want)})
    b.emit(node, kind, config, [Act(act.ref, act.shape, True)], out, shape=want)


def transpose(b: Builder, node) -> None:
    attrs = b.attrs(node, {"perm"})
    x = b.act(node.input[0], node)
    rank = len(x.shape) + 1
    perm = [int(p) for p in attrs.get("perm", list(range(rank))[::-1])]
    if perm[0] != 0:
        b.fail(node, f"perm = {perm} moves the batch axis, which is not supported")
    if perm == list(range(rank)):
        b.alias(node.output[0], x)
        return
    b.emit(node, "transpose", {"perm": perm}, [x], node.output[0])


def mvn(b: Builder, node) -> None:
    attrs = b.attrs(node, {"axes"})
    axes = [int(a) for a in attrs.get("axes", [0, 2, 3])]
    x = b.act(node.input[0], node)
    b.emit(node, "meanvariancenormalization", {"axes": axes}, [x], node.output[0], shape=x.shape)
