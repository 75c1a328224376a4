"""ONNX operators without weights → engine layers: softmax heads, dropout, pad, element-wise
arithmetic (two activations broadcast, as a channel scale does), concat, Split and Slice
(``narrow`` layers), and the shape operators (Reshape, Flatten, Squeeze, Unsqueeze, Transpose),
which the engine reads as a per-example shape since its batch axis is implicit.
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from engine.onnx_import import ops_channels_last, ops_gates, ops_norm
from engine.onnx_import.builder import Act, Builder, per_example_constant, prod
from engine.onnx_import.fold import attributes

FLOAT_TYPES = {np.float16, np.float32, np.float64}
PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}  # the engine's


def softmax(b: Builder, node) -> None:
    """Softmax/LogSoftmax over the classes: the one axis of the per-example shape that is not
    1 — ``(N, K)``, or SqueezeNet's ``(N, K, 1, 1)`` — flattened to ``(K,)`` first if need be.
    Before opset 13 ``axis`` flattens everything from it on, so ``axis = 1`` always is."""
    attrs = b.attrs(node, {"axis"})
    x = b.raw_act(node.input[0], node)
    shape = b.onnx_per_example(node.input[0], node) if x.batched else x.shape
    rank = len(shape) + 1
    axis = int(attrs.get("axis", 1 if b.opset < 13 else -1))
    a = axis % rank if -rank <= axis < rank else -1
    ones = [d == 1 for d in shape]
    if b.opset < 13:
        ok = a >= 1 and all(ones[: a - 1])
    else:
        ok = a >= 1 and all(one for i, one in enumerate(ones) if i != a - 1)
    if not ok and x.batched and b.opset >= 13 and len(shape) >= 2 and a >= 1:
        # along one axis inside the network (split attention across its branches)
        b.emit(node, "softmaxdim", {"dim": a}, [x], node.output[0], shape=x.shape)
        return
    if not ok or not x.batched:
        b.fail(
            node,
            f"axis = {axis} on per-example shape {list(shape)} is not supported (only the "
            "class axis of N×K scores, or of N×K×1×1)",
        )
    if len(x.shape) != 1:
        K = prod(x.shape)
        x = b.emit(None, "flatten", {}, [x], None, shape=(K,), name=f"{x.ref}_flatten")
    kind, out = ("softmax" if node.op_type == "Softmax" else "logsoftmax"), node.output[0]
    user = b.single_consumer(out)
    if kind == "softmax" and user is not None and user.op_type == "Log":
        kind = "logsoftmax"  # Log(Softmax(x)): one layer, and a stable one
        b.skip(user)
        act = b.emit(node, kind, {}, [x], out, shape=x.shape)
        b.retarget(act, user.output[0])
        return
    b.emit(node, kind, {}, [x], out, shape=x.shape)


def dropout(b: Builder, node) -> None:
    attrs = b.attrs(node, {"ratio", "seed", "is_test"})
    value = b.const_input(node, 1, "ratio")
    ratio = float(attrs.get("ratio", 0.5) if value is None else value)
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
    if mode not in PAD_MODES:
        b.fail(node, f"mode = {mode!r} is not supported (constant, reflect or edge)")
    pads, value = attrs.get("pads"), float(attrs.get("value", 0.0))
    if len(node.input) > 1:
        pads = b.const(node.input[1])
        if pads is None:
            b.fail(node, "pads must be a constant")
        pads = [int(p) for p in pads.tolist()]
        v = b.const_input(node, 2, "constant_value")
        if v is not None:
            value = float(v)
        if len(node.input) > 3 and node.input[3]:
            b.fail(node, "axes is not supported")
    x = b.act(node.input[0], node)
    if len(x.shape) != 3 or pads is None or len(pads) != 8:
        b.fail(node, f"pads = {pads} is not supported (N×C×H×W only)")
    if pads[0] or pads[1] or pads[4] or pads[5] or any(p < 0 for p in pads):
        b.fail(node, f"pads = {pads} is not supported (spatial, non-negative only)")
    config = {"pads": [pads[2], pads[3], pads[6], pads[7]], "value": value}
    if mode != "constant":
        config["mode"] = PAD_MODES[mode]
    b.emit(node, "pad", config, [x], node.output[0])


BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Sum": "add"}


def binary(b: Builder, node) -> None:
    b.attrs(node, {"broadcast", "axis"} if b.opset < 7 else set())
    if node.op_type == "Sum" and len(node.input) != 2:
        _sum(b, node)
        return
    if len(node.input) != 2:
        b.fail(node, f"{len(node.input)} operands are not supported (two only)")
    if ops_gates.exact_gelu(b, node) or ops_gates.tanh_gelu(b, node):
        return
    kind = BINARY[node.op_type]
    a_const, c_const = (b.const(n) for n in node.input)
    if a_const is None and c_const is None:
        x, y = (b.act(n, node) for n in node.input)
        _two(b, node, kind, x, y, node.output[0])
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


def _two(b: Builder, node, kind: str, x: Act, y: Act, out: str | None) -> Act:
    try:  # per example: (C, H, W) × (C, 1, 1) is squeeze-and-excitation's channel scale
        shape = np.broadcast_shapes((1, *x.shape), (1, *y.shape))[1:]
    except ValueError:
        b.fail(node, f"operands of shapes {list(x.shape)} and {list(y.shape)} do not broadcast")
    return b.emit(node, kind, {}, [x, y], out, shape=shape)


def _sum(b: Builder, node) -> None:
    """Sum of one activation (the identity) or of three or more: a chain of ``add`` layers."""
    if any(b.const(n) is not None for n in node.input):
        b.fail(node, f"a sum of {len(node.input)} operands with constants is not supported")
    xs = [b.act(n, node) for n in node.input]
    total = xs[0]
    for i, x in enumerate(xs[1:], start=2):
        total = _two(b, node, "add", total, x, node.output[0] if i == len(xs) else None)
    b.alias(node.output[0], total)


def concat(b: Builder, node) -> None:
    attrs = b.attrs(node, {"axis"})
    if len(node.input) == 1:  # DenseNet's first layer joins a list of one: the input itself
        b.alias(node.output[0], b.raw_act(node.input[0], node))
        return
    xs = [b.act(n, node) for n in node.input]
    rank = len(xs[0].shape) + 1
    axis = int(attrs.get("axis", 1)) % rank
    if axis == 0:
        b.fail(node, "axis = 0 (the batch axis) is not supported")
    b.emit(node, "concat", {"dim": axis}, xs, node.output[0])


def expand(b: Builder, node) -> None:
    """Expand of an activation, when every reader is Add/Sub/Mul/Div/Sum whose other operand has
    the expanded per-example shape: those broadcast, so the Expand is its input (ECA-Net
    expands its channel gate before the Mul)."""
    b.attrs(node, set())
    x = b.raw_act(node.input[0], node)
    target = b.onnx_per_example(node.output[0], node)
    readers = b.consumers.get(node.output[0], [])
    for reader in readers:  # elementwise readers broadcast it themselves
        others = [b.prep.shapes.get(n) for n in reader.input if n != node.output[0]]
        fits = all(shape is not None and tuple(shape[1:]) == target for shape in others)
        if reader.op_type not in BINARY or not fits:
            b.fail(node, "an Expand of the data is supported only before an elementwise "
                   "Add/Sub/Mul/Div with an operand of the expanded shape")  # fmt: skip
    if not readers or node.output[0] == b.prep.output:
        b.fail(node, "an Expand of the data must be read by an elementwise operator")
    b.prep.shapes[node.output[0]] = (b.prep.form.batch, *x.shape)  # the readers broadcast it
    b.alias(node.output[0], x)


def reshape_like(b: Builder, node) -> None:
    """Reshape, Flatten, Squeeze, Unsqueeze: the engine layer is the per-example result.

    With an input declared without a batch axis, one of them adds it (a leading 1), and an
    unbatched export's Squeeze may drop it again: the result is then unbatched, its whole
    shape per example."""
    b.attrs(node, {"axis", "axes", "allowzero"})
    if ops_norm.group_norm(b, node):
        return
    gather = _gather_in_order(b, node)
    if gather is not None:
        b.skip(gather)
        _reshape(b, node, gather.output[0])
        return
    _reshape(b, node)


def _gather_in_order(b: Builder, node):
    """The Gather reading every value of ``node``'s flat output in order — indices
    ``arange(n)`` in any shape, as PyTorch's dynamo exporter writes an ``as_strided`` view of a
    tensor as itself (torchvision's ConvNeXt head, batch 1) — or None. Together the two are a
    reshape of ``node``'s input to the indices' shape."""
    gather = b.single_consumer(node.output[0]) if node.op_type == "Reshape" else None
    if gather is None or gather.op_type != "Gather" or gather.input[0] != node.output[0]:
        return None
    index, shape = b.const(gather.input[1]), b.prep.shapes.get(node.input[0])
    if index is None or not shape or None in shape or index.size != prod(shape):
        return None
    in_order = np.array_equal(index.ravel(), np.arange(index.size))
    return gather if in_order and int(attributes(gather).get("axis", 0)) == 0 else None


def _reshape(b: Builder, node, out: str | None = None) -> None:
    """Map ``node`` as a reshape of its first input to the ONNX shape of its output (or of
    tensor ``out``, which then stands for it)."""
    act = b.raw_act(node.input[0], node)
    out = out or node.output[0]
    shape = b.prep.shapes.get(out)
    if shape is None or None in shape:
        b.fail(node, f"the shape of {out!r} cannot be inferred")
    batched = True
    if act.batched and _drops_batch(b, node.input[0], shape):
        want, batched = tuple(shape), False
    elif act.batched:
        want = b.onnx_per_example(out, node)
    elif shape and shape[0] == 1 and prod(shape[1:]) == prod(act.shape):
        want = tuple(shape[1:])  # the input gets its batch axis
    else:
        want, batched = tuple(shape), False
    if prod(want) != prod(act.shape):
        b.fail(node, f"it maps per-example shape {list(act.shape)} onto {list(want)}")
    source = Act(act.ref, act.shape, True)
    vector = len(act.shape) == 1 and sum(d != 1 for d in want) <= 1  # (K,) as (1, 1, K)...
    if want == act.shape or vector:  # the same values in the same order: no layer needed
        b.alias(out, Act(act.ref, act.shape, batched))
        return
    kind, config = ("flatten", {}) if len(want) == 1 else ("reshape", {"shape": list(want)})
    made = b.emit(node, kind, config, [source], out, shape=want)
    b.alias(out, Act(made.ref, made.shape, batched))


def _drops_batch(b: Builder, name: str, out_shape) -> bool:
    """Whether a reshape of tensor ``name`` (batch axis of 1 first) to ``out_shape`` drops the
    batch axis, in a graph whose input came without one (an unbatched export): the shape
    without its first axis, or one that does not start with 1 (a Squeeze of every unit axis)."""
    if b.prep.form.kind != "chw":
        return False
    shape = b.prep.shapes.get(name)
    out = tuple(out_shape)
    return bool(shape) and shape[0] == 1 and (out == tuple(shape[1:]) or not out or out[0] != 1)


def transpose(b: Builder, node) -> None:
    """A permutation that keeps the batch axis first; one that moves only axes of size 1
    (back from channels-last around SqueezeNet's Softmax) is a reshape."""
    if ops_channels_last.channels_last(b, node):
        return
    attrs = b.attrs(node, {"perm"})
    full = (1, *b.onnx_per_example(node.input[0], node))
    perm = [int(p) for p in attrs.get("perm", list(range(len(full)))[::-1])]
    if perm[0] != 0:
        b.fail(node, f"perm = {perm} moves the batch axis, which is not supported")
    moved = [p for p in perm if full[p] != 1]
    if moved == sorted(moved):
        _reshape(b, node)
        return
    x = b.act(node.input[0], node)
    b.emit(node, "transpose", {"perm": perm}, [x], node.output[0])


def split(b: Builder, node) -> None:
    """Split along a non-batch axis: one ``narrow`` layer per output that is read."""
    attrs = b.attrs(node, {"axis", "split", "num_outputs"})
    x = b.act(node.input[0], node)
    axis = _axis(b, node, x, int(attrs.get("axis", 0)))
    n = x.shape[axis - 1]
    sizes = b.operand(node, 1, "split", attrs)
    count = len(node.output)
    if sizes is None:
        step = -(-n // count)  # ONNX: equal parts, the last one smaller if need be
        sizes = [min(step, n - i * step) for i in range(count)]
    sizes = [int(v) for v in sizes]
    if len(sizes) != count or sum(sizes) != n or min(sizes) < 1:
        b.fail(node, f"split = {sizes} does not divide {n} entries into {count} outputs")
    start = 0
    for out, size in zip(node.output, sizes, strict=True):
        if out and (b.consumers.get(out) or out == b.prep.output):
            config = {"dim": axis, "start": start, "length": size}
            shape = _narrowed(x.shape, axis, size)
            b.emit(node, "narrow", config, [x], out, shape=shape)
        start += size


def slice_(b: Builder, node) -> None:
    """Slice with constant bounds and step 1 along non-batch axes: ``narrow`` layers."""
    attrs = b.attrs(node, {"starts", "ends", "axes"})
    x = b.act(node.input[0], node)
    starts, ends, axes, steps = (
        b.operand(node, i, key, attrs)
        for i, key in enumerate(("starts", "ends", "axes", "steps"), 1)
    )
    if starts is None or ends is None:
        b.fail(node, "starts and ends are required")
    rank = len(x.shape) + 1
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    if any(int(s) != 1 for s in steps):
        b.fail(node, f"steps = {steps} is not supported (step 1 only)")
    cuts = []
    for start, end, axis in zip(starts, ends, axes, strict=True):
        a = int(axis) % rank
        n = b.prep.form.batch if a == 0 else x.shape[a - 1]
        lo, hi = (max(0, min(n, int(v) + n if int(v) < 0 else int(v))) for v in (start, end))
        if a == 0:
            if (lo, hi) != (0, n):
                b.fail(node, f"slicing the batch axis ({start}:{end}) is not supported")
            continue
        if hi <= lo:
            b.fail(node, f"axis {a}: {start}:{end} selects nothing")
        if (lo, hi) != (0, n):
            cuts.append((a, lo, hi - lo))
    if not cuts:
        b.alias(node.output[0], x)
        return
    for i, (a, start, length) in enumerate(cuts):
        out = node.output[0] if i == len(cuts) - 1 else None
        shape = _narrowed(x.shape, a, length)
        config = {"dim": a, "start": start, "length": length}
        x = b.emit(node, "narrow", config, [x], out, shape=shape)


def _axis(b: Builder, node, x: Act, axis: int) -> int:
    rank = len(x.shape) + 1
    if not -rank <= axis < rank or axis % rank == 0:
        b.fail(node, f"axis = {axis} is not supported (the batch axis, or out of range)")
    return axis % rank


def _narrowed(shape, axis: int, length: int) -> tuple[int, ...]:
    shape = list(shape)
    shape[axis - 1] = length
    return tuple(shape)


def mvn(b: Builder, node) -> None:
    attrs = b.attrs(node, {"axes"})
    axes = [int(a) for a in attrs.get("axes", [0, 2, 3])]
    x = b.act(node.input[0], node)
    b.emit(node, "meanvariancenormalization", {"axes": axes}, [x], node.output[0], shape=x.shape)
