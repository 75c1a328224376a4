"""Evaluating constant nodes with NumPy: the shape arithmetic exporters write.

PyTorch's ``x.view(x.size(0), -1)`` becomes Shape → Gather → Unsqueeze → Concat → Reshape;
CNTK reshapes weights with a constant shape; TensorFlow's "same" padding is computed with
Sub/Div/Clip; a weight-standardised convolution (timm's NF-ResNets and BiT ResNets) normalises
its weights every forward, with ReduceMean/Sub/Pow/Sqrt/Div or a training-mode
BatchNormalization. Such nodes, with every input known, are evaluated
here at import so only the network's real layers remain. Every result's size is checked *before*
it is allocated (``ConstantOfShape``, ``Expand``, ``Range``, ``Tile`` and broadcasting can be
asked for billions of elements by a few bytes).
"""

from __future__ import annotations

import math

import numpy as np
from onnx import helper, numpy_helper

from engine.onnx_import.limits import Limits
from engine.ops.conv import conv2d_forward

INT64_MAX = np.iinfo(np.int64).max
BINARY = {  # elementwise, NumPy's broadcasting: folded as NumPy computes them
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Equal": np.equal,
    "Less": np.less,
    "Greater": np.greater,
    "And": np.logical_and,
    "Or": np.logical_or,
    "Pow": lambda a, b: np.power(a, b).astype(a.dtype),  # ONNX: the base's type
}
UNARY = {  # elementwise on one input
    "Not": np.logical_not,
    "Neg": np.negative,
    "Abs": np.abs,
    "Sqrt": np.sqrt,
    "Floor": np.floor,
    "Ceil": np.ceil,
    "Reciprocal": np.reciprocal,
    "Exp": np.exp,
    "Log": np.log,
    "Sin": np.sin,  # positional encodings computed from the input's shape (EdgeNeXt)
    "Cos": np.cos,
}
REDUCE = {  # over ``axes`` (all when none are given), keeping them by default
    "ReduceProd": np.prod,
    "ReduceSum": np.sum,
    "ReduceMean": np.mean,
    "ReduceMax": np.max,
    "ReduceMin": np.min,
}


class Folder:
    """Evaluates one constant node at a time; ``attrs`` are the node's attributes as Python."""

    def __init__(self, opset: int, limits: Limits):
        self.opset = opset
        self.limits = limits

    def can_fold(self, op_type: str) -> bool:
        known = op_type in BINARY or op_type in UNARY or op_type in REDUCE
        return known or hasattr(self, "op_" + op_type)

    def run(self, node, attrs: dict, inputs: list) -> list[np.ndarray]:
        if node.op_type in BINARY:
            out = self._binary(BINARY[node.op_type], *inputs)
        elif node.op_type in UNARY:
            out = self._unary(UNARY[node.op_type], *inputs)
        elif node.op_type in REDUCE:
            out = self._reduce(REDUCE[node.op_type], attrs, *inputs)
        else:
            out = getattr(self, "op_" + node.op_type)(attrs, *inputs)
        return out if isinstance(out, list) else [out]

    def _room(self, shape, node_desc: str = "") -> None:
        n = math.prod(int(d) for d in shape)
        if n > self.limits.max_tensor_elements or any(int(d) < 0 for d in shape):
            raise ValueError(
                f"{node_desc}a constant of shape {list(shape)} would exceed the limit of "
                f"{self.limits.max_tensor_elements:,} elements"
            )

    def _broadcast(self, *arrays) -> None:
        self._room(np.broadcast_shapes(*(np.shape(a) for a in arrays)))

    # -- the operators ---------------------------------------------------------------------

    def op_Constant(self, attrs):
        if "value" in attrs:
            return attrs["value"]
        for key, dtype in (("value_float", np.float32), ("value_int", np.int64)):
            if key in attrs:
                return np.array(attrs[key], dtype=dtype)
        for key, dtype in (("value_floats", np.float32), ("value_ints", np.int64)):
            if key in attrs:
                return np.array(attrs[key], dtype=dtype)
        raise ValueError(f"attribute {sorted(attrs)} of a Constant is not supported")

    def op_Identity(self, attrs, x):
        return x

    def op_Cast(self, attrs, x):
        return x.astype(helper.tensor_dtype_to_np_dtype(attrs["to"]))

    def op_CastLike(self, attrs, x, like):
        return x.astype(like.dtype)

    def op_Shape(self, attrs, x):
        shape = np.array(x.shape, dtype=np.int64)
        start, end = attrs.get("start", 0), attrs.get("end", None)
        return shape[start:end]

    def op_Size(self, attrs, x):
        return np.array(x.size, dtype=np.int64)

    def op_Gather(self, attrs, data, indices):
        self._room(np.shape(indices) + np.shape(data)[1:])
        return np.take(data, indices.astype(np.int64), axis=attrs.get("axis", 0))

    def op_Unsqueeze(self, attrs, x, axes=None):
        axes = attrs.get("axes") if axes is None else axes.tolist()
        rank = x.ndim + len(axes)
        for a in sorted(int(a) % rank for a in axes):
            x = np.expand_dims(x, a)
        return x

    def op_Squeeze(self, attrs, x, axes=None):
        axes = attrs.get("axes") if axes is None else axes.tolist()
        if axes is None:
            return np.squeeze(x)
        return np.squeeze(x, axis=tuple(int(a) % x.ndim for a in axes))

    def op_Concat(self, attrs, *xs):
        return np.concatenate(xs, axis=attrs["axis"])

    def op_Slice(self, attrs, x, starts=None, ends=None, axes=None, steps=None):
        if starts is None:  # opset < 10: attributes
            starts, ends, axes = attrs["starts"], attrs["ends"], attrs.get("axes")
        else:
            starts, ends = starts.tolist(), ends.tolist()
            axes = None if axes is None else axes.tolist()
            steps = None if steps is None else steps.tolist()
        axes = list(range(len(starts))) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        index = [slice(None)] * x.ndim
        for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
            e = None if (st < 0 and e < -x.shape[a]) else e
            index[int(a) % x.ndim] = slice(int(s), e if e is None else int(e), int(st))
        return x[tuple(index)]

    def op_Reshape(self, attrs, x, shape):
        shape = [int(d) for d in shape.tolist()]
        if not attrs.get("allowzero", 0):
            shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
        return x.reshape(shape)

    def op_Flatten(self, attrs, x):
        axis = attrs.get("axis", 1) % max(x.ndim, 1)
        return x.reshape(math.prod(x.shape[:axis]), -1)

    def op_Transpose(self, attrs, x):
        return np.transpose(x, attrs.get("perm"))

    def op_ConstantOfShape(self, attrs, shape):
        dims = [int(d) for d in shape.tolist()]
        self._room(dims)
        value = attrs.get("value", np.zeros(1, dtype=np.float32))
        return np.full(dims, value.reshape(-1)[0], dtype=value.dtype)

    def op_Expand(self, attrs, x, shape):
        target = np.broadcast_shapes(x.shape, tuple(int(d) for d in shape.tolist()))
        self._room(target)
        return np.broadcast_to(x, target).copy()

    def op_Tile(self, attrs, x, repeats):
        self._room([d * int(r) for d, r in zip(x.shape, repeats.tolist(), strict=True)])
        return np.tile(x, repeats.tolist())

    def op_Range(self, attrs, start, limit, delta):
        if float(delta) == 0:
            raise ValueError("a Range with delta 0 never ends")
        n = max(math.ceil((float(limit) - float(start)) / float(delta)), 0)
        self._room([n])
        return (start + np.arange(n) * delta).astype(start.dtype)

    def op_Where(self, attrs, cond, a, b):
        self._broadcast(cond, a, b)
        return np.where(cond, a, b)

    def _reduce(self, fn, attrs, x, axes=None):
        """A Reduce* node: ``axes`` an attribute (older opsets) or an input; none, or an empty
        list, reduce everything — unless ``noop_with_empty_axes``, which leaves x as it is."""
        axes = attrs.get("axes") if axes is None else axes.tolist()
        if not axes and attrs.get("noop_with_empty_axes", 0):
            return x
        keep = bool(attrs.get("keepdims", 1))
        axis = tuple(int(a) % max(x.ndim, 1) for a in axes) if axes else None
        return np.asarray(fn(x, axis=axis, keepdims=keep)).astype(x.dtype)

    def op_BatchNormalization(self, attrs, x, scale, bias, mean, var):
        """Batch norm of a constant — timm's weight-standardised convolutions (``F.batch_norm``
        of the weights, ``training=True``) — by the batch's statistics in training mode (then
        also the updated running ones), else by ``mean`` and ``var``. x: (N, C, ...)."""
        shape = (1, -1) + (1,) * (x.ndim - 2)  # per channel, broadcast against x
        eps = float(attrs.get("epsilon", 1e-5))
        out = []
        if attrs.get("training_mode", 0):
            axes = (0, *range(2, x.ndim))
            batch_mean = x.mean(axis=axes, dtype=np.float64)
            batch_var = x.var(axis=axes, dtype=np.float64)  # ONNX's ReduceVar: population
            momentum = float(attrs.get("momentum", 0.9))
            out = [  # the running statistics' outputs, as the operator defines them
                (mean * momentum + batch_mean * (1 - momentum)).astype(mean.dtype),
                (var * momentum + batch_var * (1 - momentum)).astype(var.dtype),
            ]
            mean, var = batch_mean, batch_var
        inv = np.asarray(scale, np.float64) / np.sqrt(np.asarray(var, np.float64) + eps)
        y = (x - np.reshape(mean, shape)) * inv.reshape(shape) + np.reshape(bias, shape)
        return [y.astype(x.dtype), *out]

    def op_Conv(self, attrs, x, w, b=None):
        """A 2-D convolution of constants (EdgeNeXt projects its positional encoding with one),
        by the engine's own convolution; asymmetric pads are applied first."""
        if x.ndim != 4 or w.ndim != 4 or str(attrs.get("auto_pad", "NOTSET")) != "NOTSET":
            raise ValueError("only a 2-D Conv with explicit pads can be folded")
        top, left, bottom, right = attrs.get("pads", [0, 0, 0, 0])
        self._room((x.shape[0], w.shape[0], x.shape[2] + top + bottom, x.shape[3] + left + right))
        x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
        out, _ = conv2d_forward(
            x.astype(np.float32),
            w.astype(np.float32),
            None if b is None else b.astype(np.float32),
            stride=tuple(attrs.get("strides", [1, 1])),
            dilation=tuple(attrs.get("dilations", [1, 1])),
            groups=int(attrs.get("group", 1)),
            need_cache=False,
        )
        return out.astype(x.dtype)

    def op_CumSum(self, attrs, x, axis):
        """Running sums along ``axis``; ``exclusive`` leaves each entry out of its own sum,
        ``reverse`` runs from the end."""
        a = int(np.asarray(axis).reshape(-1)[0]) % max(x.ndim, 1)
        y = np.flip(x, a) if attrs.get("reverse", 0) else x
        out = np.cumsum(y, axis=a, dtype=x.dtype)
        if attrs.get("exclusive", 0):
            out = out - y
        return np.flip(out, a) if attrs.get("reverse", 0) else out

    def op_Clip(self, attrs, x, low=None, high=None):
        """Clip; before opset 11 its bounds are the ``min`` and ``max`` attributes. Integer
        tensors too (TensorFlow's padding arithmetic), so not ``clip_values``, whose open
        bounds are infinities."""
        low = attrs.get("min") if low is None else low
        high = attrs.get("max") if high is None else high
        if low is not None:
            x = np.maximum(x, np.asarray(low, dtype=x.dtype))
        if high is not None:
            x = np.minimum(x, np.asarray(high, dtype=x.dtype))
        return x

    def _unary(self, fn, x):
        return fn(x)

    def _binary(self, fn, a, b):
        self._broadcast(a, b)
        return fn(a, b)

    def op_Div(self, attrs, a, b):
        if np.issubdtype(a.dtype, np.integer):
            if np.any(b == 0):
                raise ValueError("an integer division by zero")
            return self._binary(lambda p, q: np.trunc(p / q).astype(p.dtype), a, b)
        return self._binary(np.divide, a, b)

    def op_Min(self, attrs, *xs):
        self._broadcast(*xs)
        return np.minimum.reduce(np.broadcast_arrays(*xs))

    def op_Max(self, attrs, *xs):
        self._broadcast(*xs)
        return np.maximum.reduce(np.broadcast_arrays(*xs))


def attributes(node) -> dict:
    """A node's attributes as Python values; tensors as NumPy arrays (already size-checked)."""
    out = {}
    for a in node.attribute:
        value = helper.get_attribute_value(a)
        if hasattr(value, "dims") and hasattr(value, "data_type"):
            value = numpy_helper.to_array(value)
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        out[a.name] = value
    return out
