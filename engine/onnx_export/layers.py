"""One converter per engine layer type: the ONNX node(s) that compute what the layer computes.

A converter ``(em, layer, info, srcs)`` reads the layer's hyperparameters from ``info["config"]``
(its ``LayerInfo``) and its arrays from the model state, and emits nodes through the
:class:`Emitter`; ``srcs`` are the names of the tensors it reads, in the layer's input order.
Semantics follow PyTorch, as the engine does: ``(N, C, H, W)``, weights ``(F, C/groups, kh, kw)``,
cross-correlation, dense ``x @ W.T + b`` (``Gemm`` with ``transB=1``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from onnx import helper, numpy_helper

from engine.graph import fresh_name


class Emitter:
    """Collects nodes and initialisers for one graph; names stay unique.

    ``begin`` starts a layer: its final node writes ``out``; intermediate nodes write
    ``<layer>/<step>``. Parameters become initialisers under their state names
    (``conv1.weight``), each added once.
    """

    def __init__(self, state: dict[str, np.ndarray]):
        self.state = state
        self.nodes: list = []
        self.initializers: list = []
        self._used: set[str] = {"input", "output"}
        self.layer = self.out = ""

    def unique(self, name: str) -> str:
        """``name``, or ``name_2``, ``name_3``... if the graph already uses it."""
        candidate = fresh_name(name, self._used)
        self._used.add(candidate)
        return candidate

    def begin(self, layer, info: dict, out: str) -> None:
        self.layer, self.out = info["name"], out

    def has(self, key: str) -> bool:
        return f"{self.layer}.{key}" in self.state

    def param(self, key: str) -> str:
        """The initialiser of the layer's array ``key`` (``"weight"``), as float32."""
        name = f"{self.layer}.{key}"
        if name not in self._used:
            self._used.add(name)
            a = np.ascontiguousarray(self.state[name], dtype=np.float32)
            self.initializers.append(numpy_helper.from_array(a, name))
        return name

    def const(self, step: str, value, dtype) -> str:
        """A constant initialiser (a shape, an axis list, a fill value) named ``<layer>/<step>``."""
        name = self.unique(f"{self.layer}/{step}")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: list[str], step: str | None = None, **attrs) -> str:
        """Append an ``op`` node; the layer's output unless ``step`` names an intermediate."""
        out = self.out if step is None else self.unique(f"{self.layer}/{step}")
        name = self.layer if step is None else f"{self.layer}/{step}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out


Converter = Callable[[Emitter, object, dict, list[str]], None]
CONVERTERS: dict[str, Converter] = {}


def converts(*types: str):
    def register(fn: Converter) -> Converter:
        for t in types:
            CONVERTERS[t] = fn
        return fn

    return register


def _pair(v, n: int = 2) -> list[int]:
    v = list(v) if isinstance(v, (list, tuple)) else [v] * n
    return [int(d) for d in v]


def _pads(padding) -> list[int]:
    """Engine padding (one value, ``(ph, pw)`` or ONNX-order ``(top, left, bottom, right)``)
    → ONNX ``pads`` ``[top, left, bottom, right]``."""
    p = _pair(padding)
    return p + p if len(p) == 2 else p


# -- weighted layers ----------------------------------------------------------------------


@converts("conv2d")
def conv2d(em: Emitter, layer, info, srcs):
    c = info["config"]
    inputs = [srcs[0], em.param("weight")] + ([em.param("bias")] if em.has("bias") else [])
    em.node(
        "Conv",
        inputs,
        kernel_shape=_pair(c["kernel_size"]),
        strides=_pair(c.get("stride", 1)),
        pads=_pads(c.get("padding", 0)),
        dilations=_pair(c.get("dilation", 1)),
        group=int(c.get("groups", 1)),
    )


@converts("dense")
def dense(em: Emitter, layer, info, srcs):
    inputs = [srcs[0], em.param("weight")] + ([em.param("bias")] if em.has("bias") else [])
    em.node("Gemm", inputs, transB=1)


# -- elementwise --------------------------------------------------------------------------

_UNARY = {
    "relu": "Relu",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "identity": "Identity",
    "hardswish": "HardSwish",
    "erf": "Erf",
}


@converts(*_UNARY)
def unary(em: Emitter, layer, info, srcs):
    em.node(_UNARY[info["type"]], [srcs[0]])


@converts("dropout")
def dropout(em: Emitter, layer, info, srcs):
    """ONNX ``Dropout`` without ``training_mode``: inference, its input passed through (kept as
    a node, with its ratio, so an importer gets the layer back)."""
    ratio = em.const("ratio", float(info["config"].get("p", 0.5)), np.float32)
    em.node("Dropout", [srcs[0], ratio])


@converts("leakyrelu")
def leakyrelu(em: Emitter, layer, info, srcs):
    em.node("LeakyRelu", [srcs[0]], alpha=float(info["config"].get("negative_slope", 0.01)))


@converts("elu")
def elu(em: Emitter, layer, info, srcs):
    em.node("Elu", [srcs[0]], alpha=float(info["config"].get("alpha", 1.0)))


@converts("hardtanh")
def hardtanh(em: Emitter, layer, info, srcs):
    """``Clip`` with its bounds as inputs (an open bound is an empty input name)."""
    c = info["config"]
    bounds = [
        "" if c.get(key) is None else em.const(key, float(c[key]), np.float32)
        for key in ("min_val", "max_val")
    ]
    while bounds and not bounds[-1]:
        bounds.pop()
    em.node("Clip", [srcs[0], *bounds])


#: layers that are one ONNX node with attributes from their config: op, {attribute: config key}
_ATTRIBUTED = {
    "hardsigmoid": ("HardSigmoid", {"alpha": "alpha", "beta": "beta"}),
    "selu": ("Selu", {"alpha": "alpha", "gamma": "gamma"}),
    "localresponsenorm": ("LRN", {"size": "size", "alpha": "alpha", "beta": "beta", "bias": "k"}),
}


@converts(*_ATTRIBUTED)
def attributed(em: Emitter, layer, info, srcs):
    op, keys = _ATTRIBUTED[info["type"]]
    em.node(op, [srcs[0]], **{attr: info["config"][key] for attr, key in keys.items()})


@converts("silu")
def silu(em: Emitter, layer, info, srcs):
    """``x * Sigmoid(x)``: ONNX has no SiLU before opset 24."""
    gate = em.node("Sigmoid", [srcs[0]], step="sigmoid")
    em.node("Mul", [srcs[0], gate])


@converts("gelu")
def gelu(em: Emitter, layer, info, srcs):
    """Opset 17 has no Gelu: ``x * (Erf(x / √2) + 1) * 0.5`` as PyTorch's TorchScript exporter
    writes it (read back as one gelu layer), or the tanh form node by node."""
    x, f32 = srcs[0], np.float32
    if info["config"].get("approximate", "none") == "tanh":  # as TorchScript writes it too
        cube = em.node("Mul", [x, em.node("Mul", [x, x], step="square")], step="cube")
        cubic = em.node("Mul", [em.const("kappa", 0.044715, f32), cube], step="cubic")
        inner = em.node("Add", [x, cubic], step="inner")
        beta = em.const("beta", math.sqrt(2 / math.pi), f32)
        gate = em.node("Tanh", [em.node("Mul", [beta, inner], step="scaled")], step="tanh")
    else:
        scaled = em.node("Div", [x, em.const("sqrt2", math.sqrt(2), f32)], step="scaled")
        gate = em.node("Erf", [scaled], step="erf")
    plus_one = em.node("Add", [gate, em.const("one", 1.0, f32)], step="plus_one")
    times_x = em.node("Mul", [x, plus_one], step="times_x")
    em.node("Mul", [times_x, em.const("half", 0.5, f32)])


@converts("prelu")
def prelu(em: Emitter, layer, info, srcs):
    """``PRelu`` with the slopes shaped ``(C, 1, ...)`` so they broadcast along channels."""
    slope = em.state[f"{em.layer}.weight"]
    rank = len(info["input_shape"])
    shape = (slope.size, *([1] * (rank - 1))) if slope.size > 1 else (1,)
    em.node("PRelu", [srcs[0], em.const("slope", slope.reshape(shape), np.float32)])


@converts("softmax", "logsoftmax")
def softmax(em: Emitter, layer, info, srcs):
    op = "Softmax" if info["type"] == "softmax" else "LogSoftmax"
    em.node(op, [srcs[0]], axis=int(info["config"].get("dim", -1)))


_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div"}


@converts(*_BINARY)
def binary(em: Emitter, layer, info, srcs):
    """Two inputs, or one and the per-example constant buffer (``constant_first``: on the left).

    ONNX broadcasts as NumPy does, from the right; a constant of higher rank than the input's
    example gets a leading batch axis of 1, as the engine gives it, so the two agree.
    """
    op = _BINARY[info["type"]]
    if len(srcs) == 2:
        em.node(op, srcs)
    elif len(srcs) == 1 and em.has("constant"):
        c = em.state[f"{em.layer}.constant"]
        if c.ndim > len(info["input_shape"]):
            const = em.const("constant", c[None], np.float32)
        else:
            const = em.param("constant")
        first = bool(info["config"].get("constant_first", False))
        em.node(op, [const, srcs[0]] if first else [srcs[0], const])
    else:
        raise ValueError(
            f"layer {em.layer!r} ({info['type']}): needs two inputs or one and a constant, "
            f"got {len(srcs)} input(s)"
        )


# -- shape --------------------------------------------------------------------------------


@converts("concat")
def concat(em: Emitter, layer, info, srcs):
    em.node("Concat", srcs, axis=int(info["config"].get("dim", 1)))


def _reshape_to_output(em: Emitter, info, srcs) -> None:
    """Reshape to the layer's (static) per-example output shape, the batch axis kept."""
    shape = [-1, *(int(d) for d in info["output_shape"])]
    em.node("Reshape", [srcs[0], em.const("shape", shape, np.int64)])


@converts("reshape", "squeeze", "unsqueeze")
def reshape(em: Emitter, layer, info, srcs):
    _reshape_to_output(em, info, srcs)


@converts("flatten")
def flatten(em: Emitter, layer, info, srcs):
    """``Flatten(axis=1)`` for the usual ``start_dim=1`` to the end; else a ``Reshape``."""
    if int(info["config"].get("start_dim", 1)) == 1 and len(info["output_shape"]) == 1:
        em.node("Flatten", [srcs[0]], axis=1)
    else:
        _reshape_to_output(em, info, srcs)


@converts("transpose")
def transpose(em: Emitter, layer, info, srcs):
    em.node("Transpose", [srcs[0]], perm=[int(p) for p in info["config"]["perm"]])


PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}


@converts("pad")
def pad(em: Emitter, layer, info, srcs):
    """Padding of the spatial axes; ``pads`` in ONNX order (all begins, then ends)."""
    c = info["config"]
    spatial = [int(p) for p in c["pads"]]
    k = len(spatial) // 2
    lead = len(info["input_shape"]) + 1 - k  # batch and channel axes: not padded
    full = [0] * lead + spatial[:k] + [0] * lead + spatial[k:]
    mode = PAD_MODES[c.get("mode", "constant")]
    inputs = [srcs[0], em.const("pads", full, np.int64)]
    if mode == "constant":
        inputs.append(em.const("value", float(c.get("value", 0.0)), np.float32))
    em.node("Pad", inputs, mode=mode)


@converts("narrow")
def narrow(em: Emitter, layer, info, srcs):
    c = info["config"]
    start, dim = int(c["start"]), int(c["dim"])
    bounds = [
        em.const(k, [v], np.int64)
        for k, v in (("starts", start), ("ends", start + int(c["length"])), ("axes", dim))
    ]
    em.node("Slice", [srcs[0], *bounds])


# -- pooling and normalisation ------------------------------------------------------------


def _pool_attrs(c: dict) -> dict:
    kernel = _pair(c.get("kernel_size", 2))
    return {
        "kernel_shape": kernel,
        "strides": _pair(c.get("stride") or kernel),
        "pads": _pads(c.get("padding", 0)),
        "ceil_mode": int(bool(c.get("ceil_mode", False))),
    }


@converts("maxpool2d")
def maxpool(em: Emitter, layer, info, srcs):
    em.node("MaxPool", [srcs[0]], **_pool_attrs(info["config"]))


@converts("minpool2d")
def minpool(em: Emitter, layer, info, srcs):
    """ONNX has no MinPool: ``-maxpool(-x)`` (padding acts as +inf, as in the engine)."""
    neg = em.node("Neg", [srcs[0]], step="neg")
    pooled = em.node("MaxPool", [neg], step="maxpool", **_pool_attrs(info["config"]))
    em.node("Neg", [pooled])


@converts("avgpool2d")
def avgpool(em: Emitter, layer, info, srcs):
    c = info["config"]
    include = int(bool(c.get("count_include_pad", True)))  # PyTorch's default, and the engine's
    em.node("AveragePool", [srcs[0]], count_include_pad=include, **_pool_attrs(c))


@converts("globalavgpool", "globalmaxpool")
def global_pool(em: Emitter, layer, info, srcs):
    """``(N, C, H, W)`` → ``(N, C, 1, 1)``, flattened to ``(N, C)`` when the layer gives that."""
    op = "GlobalAveragePool" if info["type"] == "globalavgpool" else "GlobalMaxPool"
    if len(info["output_shape"]) == len(info["input_shape"]):
        em.node(op, [srcs[0]])
    else:
        pooled = em.node(op, [srcs[0]], step="pool")
        em.node("Flatten", [pooled], axis=1)


@converts("meanvariancenormalization")
def mvn(em: Emitter, layer, info, srcs):
    axes = info["config"].get("axes", [0, 2, 3])
    em.node("MeanVarianceNormalization", [srcs[0]], axes=[int(a) for a in axes])
