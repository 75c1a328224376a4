"""ONNX operators with weights or windows → engine layers: Conv, Gemm, MatMul (+ Add),
BatchNormalization, MaxPool, AveragePool (and Neg → MaxPool → Neg, a min pool; a lone Neg is a
``mul`` by −1), GlobalAveragePool/GlobalMaxPool, ReduceMean/ReduceMax.

Weights keep PyTorch's layout: conv ``(F, C/groups, kh, kw)``, dense ``(out, in)``. A bias that
an exporter wrote as a separate broadcasting ``Add`` (CNTK, tf2onnx) is folded into the layer.
Padding the engine cannot express in its symmetric ``padding`` becomes a ``pad`` layer first.
"""

from __future__ import annotations

import math

import numpy as np

from engine.layers import AvgPool2D
from engine.onnx_import.builder import Builder
from engine.shapes import output_shape

CONV_ATTRS = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}
POOL_ATTRS = {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides"}
MAX_NEG = -3.4e38  # padding value that never wins a max (JSON has no -inf)


def spatial_pads(b: Builder, node, attrs, in_hw, kernel, strides, dilations) -> list[int]:
    """``[top, left, bottom, right]`` from ``pads`` or ``auto_pad``."""
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        pads = list(attrs.get("pads", [0, 0, 0, 0]))
        if len(pads) != 4:
            b.fail(node, f"pads = {pads} is not supported (2-D only)")
        return pads
    if auto == "VALID":
        return [0, 0, 0, 0]
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        b.fail(node, f"auto_pad = {auto!r} is not supported")
    begin, end = [], []
    for n, k, s, d in zip(in_hw, kernel, strides, dilations, strict=True):
        total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
        small = total // 2
        begin.append(small if auto == "SAME_UPPER" else total - small)
        end.append(total - small if auto == "SAME_UPPER" else small)
    return [begin[0], begin[1], end[0], end[1]]


def _pad_first(b: Builder, node, act, pads, value):
    """Symmetric ``(ph, pw)`` for the layer, inserting a ``pad`` layer when they are not."""
    top, left, bottom, right = pads
    if any(p < 0 for p in pads):
        b.fail(node, f"pads = {pads} is not supported (negative)")
    if top == bottom and left == right:
        return act, [top, left]
    C, H, W = act.shape
    shape = (C, H + top + bottom, W + left + right)
    act = b.emit(node, "pad", {"pads": list(pads), "value": value}, [act], None, shape=shape)
    b.padded[act.ref] = ((H, W), [(top, bottom), (left, right)])
    return act, [0, 0]


def _pair(b, node, attrs, key, default):
    value = list(attrs.get(key, default))
    if len(value) != 2:
        b.fail(node, f"{key} = {value} is not supported (2-D only)")
    return value


def conv(b: Builder, node) -> None:
    attrs = b.attrs(node, CONV_ATTRS)
    x = b.act(node.input[0], node)
    w = b.const(node.input[1])
    if w is None:
        b.fail(node, "the weights must be a constant (an initializer)")
    if w.ndim == 3 and len(x.shape) == 2:  # over N×C×L: ECA's channel attention
        _conv1d(b, node, attrs, x, w)
        return
    if w.ndim != 4 or len(x.shape) != 3:
        b.fail(
            node, f"only 1-D and 2-D convolution is supported (weights of shape {list(w.shape)})"
        )
    _conv2d(b, node, attrs, x, w, node.output[0])


def _conv1d(b: Builder, node, attrs: dict, x, w) -> None:
    """A 1-D Conv over (C, L) as the 2-D one over (C, 1, L): every attribute gains a leading
    1 (the pads a leading 0), the weights (F, C/groups, 1, k); reshapes around it."""
    lifted = dict(attrs)
    for key in ("kernel_shape", "strides", "dilations"):
        if key in attrs:
            lifted[key] = [1, *attrs[key]]
    if "pads" in attrs:
        lifted["pads"] = [0, attrs["pads"][0], 0, attrs["pads"][-1]]
    C, L = x.shape
    row = b.emit(node, "reshape", {"shape": [C, 1, L]}, [x], None, shape=(C, 1, L))
    made = _conv2d(b, node, lifted, row, w[:, :, None, :], None)
    F_, _, length = made.shape
    b.emit(node, "reshape", {"shape": [F_, length]}, [made], node.output[0], shape=(F_, length))


def _conv2d(b: Builder, node, attrs: dict, x, w, out: str | None):
    """The conv2d layer of a 2-D Conv on ``x`` (C, H, W), writing ONNX tensor ``out`` (None:
    an inner step, its shape computed here and no bias Add read after it)."""
    F_, Cg, kh, kw = (int(d) for d in w.shape)
    groups = int(attrs.get("group", 1))
    C = x.shape[0]
    if groups < 1 or Cg * groups != C or F_ % groups:
        b.fail(node, f"group = {groups} does not fit {C} channels and weights {list(w.shape)}")
    kernel = _pair(b, node, attrs, "kernel_shape", [kh, kw])
    if kernel != [kh, kw]:
        b.fail(node, f"kernel_shape = {kernel} does not match the weights {list(w.shape)}")
    strides = _pair(b, node, attrs, "strides", [1, 1])
    dilations = _pair(b, node, attrs, "dilations", [1, 1])
    pads = spatial_pads(b, node, attrs, x.shape[1:], kernel, strides, dilations)
    x, padding = _pad_first(b, node, x, pads, 0.0)
    bias = b.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if len(node.input) > 2 and node.input[2] and bias is None:
        b.fail(node, "the bias must be a constant (an initializer)")
    bias = None if bias is None else bias.reshape(F_)
    add = None if out is None else constant_reader(b, out, F_, per_channel=True)
    if add is not None:
        bias = add[1] if bias is None else bias + add[1]
        b.skip(add[0])
    config = {
        "in_channels": C,
        "out_channels": F_,
        "kernel_size": [kh, kw],
        "stride": strides,
        "padding": padding,
        "dilation": dilations,
        "groups": groups,
        "bias": bias is not None,  # none in the file: none here, as PyTorch's bias=False
    }
    params = {"weight": w} if bias is None else {"weight": w, "bias": bias}
    shape = None
    if out is None:
        shape = (F_, *output_shape(x.shape[1:], kernel, strides, padding, dilations))
    act = b.emit(node, "conv2d", config, [x], out, params, shape=shape)
    if add is not None:
        b.retarget(act, add[0].output[0])
    return act


def constant_reader(b: Builder, out: str, n: int, per_channel: bool, op: str = "Add"):
    """``(node, constant (n,))`` when ``out``'s only reader is an ``op`` (a bias's Add, a
    scale's Mul) of it and a constant of n values: per channel ((n, 1, 1) or (1, n, 1, 1)) or
    per feature ((n,) or (1, n))."""
    user = b.single_consumer(out)
    if user is None or user.op_type != op:
        return None
    c = b.const_beside(user, out)
    if c is None or c.size != n or not np.issubdtype(c.dtype, np.floating):
        return None
    ok = [(n, 1, 1), (1, n, 1, 1)] if per_channel else [(n,), (1, n)]
    if tuple(c.shape) not in ok:
        return None
    return user, c.reshape(n).astype(np.float32)


def _dense(b: Builder, node, x, weight, bias, out):
    config = {"in_features": int(weight.shape[1]), "out_features": int(weight.shape[0])}
    params = {"weight": weight, "bias": bias}
    return b.emit(node, "dense", config, [x], out, params, shape=(config["out_features"],))


def gemm(b: Builder, node) -> None:
    attrs = b.attrs(node, {"alpha", "beta", "transA", "transB", "broadcast"})
    if attrs.get("transA", 0):
        b.fail(node, "transA = 1 is not supported")
    x = b.act(node.input[0], node)
    w = b.const(node.input[1])
    if w is None or w.ndim != 2:
        b.fail(node, "B must be a constant matrix (the weights)")
    if len(x.shape) != 1:
        b.fail(node, f"A must be a batch of vectors, got per-example shape {list(x.shape)}")
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    weight = w if attrs.get("transB", 0) else w.T
    weight = weight if alpha == 1.0 else alpha * weight  # no copy of a large matrix for nothing
    n_out = weight.shape[0]
    c = b.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if len(node.input) > 2 and node.input[2] and c is None:
        b.fail(node, "C must be a constant (the bias)")
    bias = np.zeros(n_out, np.float32)
    if c is not None:
        try:
            bias = beta * np.broadcast_to(c, (1, n_out))[0]
        except ValueError:
            b.fail(node, f"C of shape {list(c.shape)} is not a bias for {n_out} outputs")
    _dense(b, node, x, weight, bias, node.output[0])


def matmul(b: Builder, node) -> None:
    b.attrs(node, set())
    if b.const(node.input[0]) is None and b.const(node.input[1]) is None:
        _two_activations(b, node)
        return
    x = b.act(node.input[0], node)
    w = b.const(node.input[1])
    if w is None or w.ndim != 2:
        b.fail(node, "only activation × constant matrix is supported (the weights second)")
    if len(x.shape) != 1 or x.shape[0] != w.shape[0]:
        b.fail(node, f"A must be a batch of {w.shape[0]}-vectors, got {list(x.shape)}")
    n_out = int(w.shape[1])
    bias, out = np.zeros(n_out, np.float32), node.output[0]
    add = constant_reader(b, out, n_out, per_channel=False)
    if add is not None:
        bias = add[1]
        b.skip(add[0])
    act = _dense(b, node, x, w.T, bias, out)
    if add is not None:
        b.retarget(act, add[0].output[0])


def _two_activations(b: Builder, node) -> None:
    """The product of two activations (GCNet's context: the positions weighted by a softmax
    over them): a ``matmul`` layer, their leading per-example axes equal."""
    x, y = (b.act(n, node) for n in node.input)
    if len(x.shape) < 2 or len(x.shape) != len(y.shape) or x.shape[:-2] != y.shape[:-2]:
        b.fail(node, f"operands of shapes {list(x.shape)} and {list(y.shape)} are not supported "
               "(per example, the same leading axes)")  # fmt: skip
    if x.shape[-1] != y.shape[-2]:
        b.fail(node, f"cannot multiply {list(x.shape)} by {list(y.shape)}")
    b.emit(node, "matmul", {}, [x, y], node.output[0], shape=(*x.shape[:-1], y.shape[-1]))


def batchnorm(b: Builder, node) -> None:
    attrs = b.attrs(node, {"epsilon", "momentum", "spatial", "training_mode", "is_test"})
    if not attrs.get("spatial", 1):
        b.fail(node, "spatial = 0 is not supported")
    if attrs.get("training_mode", 0):
        b.fail(node, "training_mode = 1 is not supported (export the model in eval mode)")
    if any(o and b.consumers.get(o) for o in node.output[1:]):
        b.fail(node, "its running-statistics outputs are used (a training graph)")
    x = b.act(node.input[0], node)
    arrays = [b.const(n) for n in node.input[1:5]]
    if len(arrays) != 4 or any(a is None for a in arrays):
        b.fail(node, "scale, B, mean and var must be constants")
    C = x.shape[0]
    if any(a.size != C for a in arrays):
        b.fail(node, f"its parameters do not have {C} entries (one per channel)")
    kind = {3: "batchnorm2d", 2: "batchnorm1d", 1: "batchnorm1d"}.get(len(x.shape))  # (C, L): 1-D
    if kind is None:
        b.fail(node, f"an input of per-example shape {list(x.shape)} is not supported")
    config = {
        "num_features": C,
        "eps": float(attrs.get("epsilon", 1e-5)),
        "momentum": round(1.0 - float(attrs.get("momentum", 0.9)), 6),
    }
    names = ("weight", "bias", "running_mean", "running_var")
    params = {k: a.reshape(C) for k, a in zip(names, arrays, strict=True)}
    b.emit(node, kind, config, [x], node.output[0], params)


def pool(b: Builder, node) -> None:
    is_max = node.op_type == "MaxPool"
    x = b.act(node.input[0], node)
    x, config = pool_config(b, node, x, MAX_NEG if is_max else 0.0)
    if is_max or config["count_include_pad"] or x.ref not in b.padded:
        b.emit(node, "maxpool2d" if is_max else "avgpool2d", config, [x], node.output[0])
        return
    # asymmetric pads left out of the average (Keras's SAME): the pad layer's zeros are averaged
    # in, then each output is scaled by (its window's size) / (the real values in it)
    config["count_include_pad"] = True
    shape = b.onnx_per_example(node.output[0], node)
    pooled = b.emit(node, "avgpool2d", config, [x], None, shape=shape)
    real = np.pad(
        np.ones((1, 1, *b.padded[x.ref][0]), np.float32), [(0, 0), (0, 0)] + b.padded[x.ref][1]
    )
    share = AvgPool2D(**config).forward(real)[0]  # (1, Ho, Wo): the real values' share
    rescale = {"constant": 1.0 / share}
    b.emit(
        node, "mul", {"constant_shape": list(share.shape)}, [pooled], node.output[0], rescale, shape
    )


def pool_config(b: Builder, node, x, pad_value: float):
    """A MaxPool/AveragePool node's engine config, and its input (after a ``pad`` layer when
    the padding is asymmetric, filled with ``pad_value``)."""
    is_max = node.op_type == "MaxPool"
    known = POOL_ATTRS | ({"storage_order"} if is_max else {"count_include_pad"})
    attrs = b.attrs(node, known)
    if len(node.output) > 1 and node.output[1] and b.consumers.get(node.output[1]):
        b.fail(node, "its Indices output is not supported")
    if len(x.shape) != 3:
        b.fail(node, f"only 2-D pooling is supported (input {list(x.shape)})")
    kernel = _pair(b, node, attrs, "kernel_shape", [])
    strides = _pair(b, node, attrs, "strides", [1, 1])
    dilations = _pair(b, node, attrs, "dilations", [1, 1])
    if dilations != [1, 1]:
        b.fail(node, f"dilations = {dilations} is not supported")
    pads = spatial_pads(b, node, attrs, x.shape[1:], kernel, strides, dilations)
    include = bool(attrs.get("count_include_pad", 0))
    x, padding = _pad_first(b, node, x, pads, pad_value)
    config = {
        "kernel_size": kernel,
        "stride": strides,
        "padding": padding,
        "ceil_mode": bool(attrs.get("ceil_mode", 0)),
    }
    if not is_max:
        config["count_include_pad"] = include
    return x, config


def neg(b: Builder, node) -> None:
    """``-x`` is a ``mul`` by the constant −1 — except ``Neg → MaxPool → Neg``, each read only
    by the next, which is ``-maxpool(-x)``: one ``minpool2d`` (how ONNX writes a min pool)."""
    b.attrs(node, set())
    x = b.act(node.input[0], node)
    pooled = b.single_consumer(node.output[0])
    outer = None
    if pooled is not None and pooled.op_type == "MaxPool" and pooled.input[0] == node.output[0]:
        outer = b.single_consumer(pooled.output[0])
    if outer is None or outer.op_type != "Neg":
        minus_one = {"constant": np.full(1, -1.0, np.float32)}
        b.emit(node, "mul", {"constant_shape": [1]}, [x], node.output[0], minus_one, x.shape)
        return
    b.attrs(outer, set())
    b.skip(pooled)
    b.skip(outer)
    x, config = pool_config(b, pooled, x, -MAX_NEG)  # -inf padding of -x is +inf padding of x
    act = b.emit(pooled, "minpool2d", config, [x], outer.output[0])  # the outer Neg's output
    b.layer_meta[act.ref].update(node=outer.name, op="Neg(MaxPool(Neg))")


def global_pool(b: Builder, node, kind: str | None = None) -> None:
    if kind is None:
        b.attrs(node, set())
        kind = "globalavgpool" if node.op_type == "GlobalAveragePool" else "globalmaxpool"
    x = b.act(node.input[0], node)
    if len(x.shape) != 3:
        b.fail(node, f"only 2-D global pooling is supported (input {list(x.shape)})")
    b.emit(node, kind, {}, [x], node.output[0], shape=(x.shape[0],))


def reduce(b: Builder, node) -> None:
    """ReduceMean / ReduceMax over the two spatial axes = global pooling; ReduceSum over one
    axis = a ``sum`` layer (ResNeSt's and SKNet's branches added up)."""
    attrs = b.attrs(node, {"axes", "keepdims", "noop_with_empty_axes"})
    axes = b.operand(node, 1, "axes", attrs)
    x = b.act(node.input[0], node)
    rank = len(x.shape) + 1
    if node.op_type == "ReduceSum":
        dims = sorted({int(a) % rank for a in axes or []})
        if len(dims) != 1 or dims[0] == 0:
            b.fail(node, f"axes = {axes} is not supported (one axis, not the batch axis)")
        config = {"dim": dims[0], "keepdim": bool(attrs.get("keepdims", 1))}
        b.emit(node, "sum", config, [x], node.output[0])
        return
    if axes is None or sorted(int(a) % rank for a in axes) != [2, 3] or rank != 4:
        b.fail(node, f"axes = {axes} is not supported (only the two spatial axes of N×C×H×W)")
    global_pool(b, node, "globalavgpool" if node.op_type == "ReduceMean" else "globalmaxpool")
