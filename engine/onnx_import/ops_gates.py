"""ONNX activations → engine layers: Relu, LeakyRelu, Elu, Tanh, Sigmoid (and ``x * Sigmoid(x)``,
a SiLU), Gelu and Erf (and ``x * (Erf(x / √2) + 1) * 0.5``, TorchScript's exact GELU, one gelu
layer), Selu, PRelu, HardSigmoid (and ``x * HardSigmoid(x)``, a hard swish), HardSwish, and the
clamps: Clip, and Max/Min by a constant (tf2onnx's ReLU6 is ``Min(Max(x, 0), 6)``, one layer).
"""

from __future__ import annotations

import math

from engine.onnx_import.builder import Builder

HUGE = 3.0e38  # beyond it a bound is open (ONNX writes ±FLT_MAX for "none")
SIMPLE = {"Relu": "relu", "Tanh": "tanh", "HardSwish": "hardswish"}


def _emit(b: Builder, node, kind: str, config: dict, out: str | None = None, params=None):
    x = b.act(node.input[0], node)
    return b.emit(node, kind, config, [x], out or node.output[0], params, shape=x.shape)


def _gating_mul(b: Builder, node):
    """The Mul that multiplies this node's input by its output (``x * f(x)``), if that is the
    only reader of its output; else ``None``."""
    user = b.single_consumer(node.output[0])
    if user is None or user.op_type != "Mul" or len(user.input) != 2:
        return None
    return user if sorted(user.input) == sorted([node.input[0], node.output[0]]) else None


def _gated(b: Builder, node, kind: str, config: dict, fused_kind: str) -> None:
    """``kind`` — or ``fused_kind`` for one layer when ``x * f(x)`` follows."""
    mul = _gating_mul(b, node)
    if mul is None:
        _emit(b, node, kind, config)
        return
    b.skip(mul)
    act = _emit(b, node, fused_kind, {}, mul.output[0])
    b.layer_meta[act.ref].update(node=mul.name, op=f"Mul(x, {node.op_type}(x))")


def activation(b: Builder, node) -> None:
    op = node.op_type
    if op == "LeakyRelu":
        attrs = b.attrs(node, {"alpha"})
        _emit(b, node, "leakyrelu", {"negative_slope": float(attrs.get("alpha", 0.01))})
    elif op == "Elu":
        attrs = b.attrs(node, {"alpha"})
        _emit(b, node, "elu", {"alpha": float(attrs.get("alpha", 1.0))})
    elif op == "Selu":
        attrs = b.attrs(node, {"alpha", "gamma"})
        config = {k: float(attrs[k]) for k in ("alpha", "gamma") if k in attrs}
        _emit(b, node, "selu", config)
    elif op == "Gelu":  # opset 20; PyTorch's dynamo exporter writes it for nn.GELU
        approximate = b.attrs(node, {"approximate"}).get("approximate", "none")
        if approximate not in ("none", "tanh"):
            b.fail(node, f"approximate = {approximate!r} is not supported (none, tanh)")
        _emit(b, node, "gelu", {"approximate": approximate})
    elif op == "Erf":
        b.attrs(node, set())
        _emit(b, node, "erf", {})
    elif op == "Sigmoid":
        b.attrs(node, set())
        _gated(b, node, "sigmoid", {}, "silu")
    elif op == "HardSigmoid":
        attrs = b.attrs(node, {"alpha", "beta"})
        alpha, beta = float(attrs.get("alpha", 0.2)), float(attrs.get("beta", 0.5))
        config = {"alpha": alpha, "beta": beta}
        if abs(alpha - 1 / 6) < 1e-7 and beta == 0.5:
            _gated(b, node, "hardsigmoid", config, "hardswish")
        else:
            _emit(b, node, "hardsigmoid", config)
    else:
        b.attrs(node, set())
        _emit(b, node, SIMPLE[op], {})


def prelu(b: Builder, node) -> None:
    """PRelu with one slope, or one per channel (axis 1): a slope of shape ``(C, 1, 1)``,
    ``(1, C, 1, 1)``, ``(C,)`` on features, or any shape with a single value."""
    b.attrs(node, set())
    x = b.act(node.input[0], node)
    slope = b.const(node.input[1])
    if slope is None:
        b.fail(node, "the slope must be a constant")
    C = x.shape[0] if x.shape else 1
    per_channel = (C,) + (1,) * (len(x.shape) - 1)
    if slope.size == 1:
        weight = slope.reshape(1)
    elif tuple(slope.shape) in (per_channel, (1, *per_channel)):
        weight = slope.reshape(C)
    else:
        b.fail(
            node,
            f"a slope of shape {list(slope.shape)} is not supported on per-example shape "
            f"{list(x.shape)} (one slope, or one per channel)",
        )
    config = {"num_parameters": int(weight.size)}
    b.emit(node, "prelu", config, [x], node.output[0], {"weight": weight}, shape=x.shape)


def lrn(b: Builder, node) -> None:
    attrs = b.attrs(node, {"size", "alpha", "beta", "bias"})
    if "size" not in attrs:
        b.fail(node, "the size attribute is required")
    config = {
        "size": int(attrs["size"]),
        "alpha": float(attrs.get("alpha", 1e-4)),
        "beta": float(attrs.get("beta", 0.75)),
        "k": float(attrs.get("bias", 1.0)),
    }
    _emit(b, node, "localresponsenorm", config)


def _bound(b: Builder, node, name: str, key: str) -> float | None:
    value = b.const(name)
    if value is None:
        b.fail(node, f"{key} must be a constant")
    if value.size != 1:
        b.fail(node, f"{key} of shape {list(value.shape)} is not supported (one number only)")
    v = float(value.reshape(()))
    return None if abs(v) >= HUGE else v


def _clamp(b: Builder, node, lo, hi, out: str | None = None):
    kind, config = ("relu", {}) if (lo, hi) == (0.0, None) else ("hardtanh", {})
    if kind == "hardtanh":
        config = {"min_val": lo, "max_val": hi}
    return _emit(b, node, kind, config, out)


def clip(b: Builder, node) -> None:
    """Clip(min, max): a ReLU for ``(0, ∞)``, else a hardtanh (ReLU6 for ``(0, 6)``)."""
    attrs = b.attrs(node, {"min", "max"})
    lo, hi = attrs.get("min"), attrs.get("max")
    lo = None if lo is None or abs(lo) >= HUGE else float(lo)
    hi = None if hi is None or abs(hi) >= HUGE else float(hi)
    if len(node.input) > 1 and node.input[1]:
        lo = _bound(b, node, node.input[1], "min")
    if len(node.input) > 2 and node.input[2]:
        hi = _bound(b, node, node.input[2], "max")
    _clamp(b, node, lo, hi)


def min_max(b: Builder, node) -> None:
    """``Max(x, c)`` / ``Min(x, c)`` with a one-number constant ``c`` clamp ``x`` from one side;
    ``Max`` read only by a ``Min`` by a constant (or the other way round) is one clamp."""
    b.attrs(node, set())
    if len(node.input) != 2:
        b.fail(node, f"{len(node.input)} operands are not supported (x and a constant only)")
    x_name, c = _split_constant(b, node)
    bound = _bound(b, node, c, "the constant operand")
    lo, hi = (bound, None) if node.op_type == "Max" else (None, bound)
    other = b.single_consumer(node.output[0])
    pair = {"Max": "Min", "Min": "Max"}[node.op_type]
    out = None
    if other is not None and other.op_type == pair and len(other.input) == 2:
        inner = _split_constant(b, other, quiet=True)
        if inner is not None and inner[0] == node.output[0] and b.const(inner[1]).size == 1:
            second = _bound(b, other, inner[1], "the constant operand")
            lo, hi = (lo, second) if pair == "Min" else (second, hi)
            b.skip(other)
            out = other.output[0]
    if lo is not None and hi is not None and lo > hi:
        b.fail(node, f"the bounds {lo:g} > {hi:g} clamp everything to one value")
    act = _clamp(b, _Reading(node, x_name), lo, hi, out)
    if out is not None:
        b.retarget(act, out)


def _split_constant(b: Builder, node, quiet: bool = False):
    """``(activation input, constant input)`` of a two-operand node."""
    a, c = node.input
    if b.const(a) is not None and b.const(c) is None:
        a, c = c, a
    if b.const(c) is None or b.const(a) is not None:
        if quiet:
            return None
        b.fail(node, "only x and a constant are supported (an elementwise max/min of two "
               "activations is not)")  # fmt: skip
    return a, c


class _Reading:
    """A node seen as reading ``x`` first: Max(c, x) maps as Max(x, c)."""

    def __init__(self, node, x: str):
        self.name, self.op_type = node.name, node.op_type
        self.input = [x]
        self.output = list(node.output)


def _scalar_operand(b: Builder, node, other_than: str) -> float | None:
    """The one-number constant operand of a two-input ``node`` whose other input is
    ``other_than``; else None."""
    c = b.const_beside(node, other_than)
    return float(c.reshape(-1)[0]) if c is not None and c.size == 1 else None


def _next(b: Builder, out: str, op: str, operands: set[str] | None = None, scalar=None):
    """The one node reading ``out`` if it is an ``op`` whose inputs are ``out`` and
    ``operands`` (names) or ``out`` and a one-number constant close to ``scalar``; else None."""
    user = b.single_consumer(out)
    if user is None or user.op_type != op:
        return None
    if operands is not None and set(user.input) != {out, *operands}:
        return None
    if scalar is not None:
        c = _scalar_operand(b, user, out)
        if c is None or abs(c - scalar) > 1e-6 * max(1.0, abs(scalar)):
            return None
    return user


def _gelu(b: Builder, node, match) -> bool:
    """Emit one gelu layer for ``node`` and the later nodes of its pattern (skipped)."""
    if match is None:
        return False
    x, later, approximate, written = match
    for n in later:
        b.skip(n)
    act = b.act(x, node)
    out = later[-1].output[0]
    act = b.emit(node, "gelu", {"approximate": approximate}, [act], out, shape=act.shape)
    b.layer_meta[act.ref].update(op=written)
    return True


def match_tanh_gelu(b: Builder, node):
    """``0.5 * (x * (1 + Tanh(√(2/π) * (x + 0.044715 * (x * (x * x))))))``, PyTorch's
    TorchScript export of ``GELU(approximate="tanh")`` (any operand order), from its first
    node: ``(x, later nodes, "tanh", formula)`` or None."""
    if node.op_type != "Mul" or len(node.input) != 2 or node.input[0] != node.input[1]:
        return None
    x = node.input[0]
    if b.const(x) is not None:
        return None
    cube = _next(b, node.output[0], "Mul", {x})
    kappa = cube and _next(b, cube.output[0], "Mul", scalar=0.044715)
    inner = kappa and _next(b, kappa.output[0], "Add", {x})
    beta = inner and _next(b, inner.output[0], "Mul", scalar=math.sqrt(2 / math.pi))
    tanh = beta and _next(b, beta.output[0], "Tanh", set())
    plus_one = tanh and _next(b, tanh.output[0], "Add", scalar=1.0)
    times_x = plus_one and _next(b, plus_one.output[0], "Mul", {x})
    half = times_x and _next(b, times_x.output[0], "Mul", scalar=0.5)
    if half is None:
        return None
    later = [cube, kappa, inner, beta, tanh, plus_one, times_x, half]
    return x, later, "tanh", "0.5 * x * (1 + Tanh(√(2/π) (x + 0.044715 x³)))"


def match_exact_gelu(b: Builder, node):
    """``Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)`` (or ``Mul(x, 1/√2)`` first), PyTorch's
    TorchScript export of an exact GELU (any operand order), from its first node:
    ``(x, later nodes, "none", formula)`` or None."""
    if node.op_type not in ("Div", "Mul") or len(node.input) != 2:
        return None
    x = next((n for n in node.input if b.const(n) is None), None)
    c = _scalar_operand(b, node, x) if x is not None else None
    want = math.sqrt(2) if node.op_type == "Div" else math.sqrt(0.5)
    if c is None or abs(c - want) > 1e-6:
        return None
    erf = _next(b, node.output[0], "Erf", set())
    plus_one = erf and _next(b, erf.output[0], "Add", scalar=1.0)
    times_x = plus_one and _next(b, plus_one.output[0], "Mul", {x})
    half = times_x and _next(b, times_x.output[0], "Mul", scalar=0.5)
    if half is None:
        return None
    return x, [erf, plus_one, times_x, half], "none", "x * (Erf(x / √2) + 1) * 0.5"


def tanh_gelu(b: Builder, node) -> bool:
    """PyTorch's TorchScript tanh GELU from this node: one gelu layer (True), or nothing."""
    return _gelu(b, node, match_tanh_gelu(b, node))


def exact_gelu(b: Builder, node) -> bool:
    """PyTorch's TorchScript exact GELU from this node: one gelu layer (True), or nothing."""
    return _gelu(b, node, match_exact_gelu(b, node))
