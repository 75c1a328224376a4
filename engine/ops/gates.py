"""Piecewise and gated activations the exported image classifiers use: clamps (ReLU6),
hard sigmoid, hard swish, SiLU (x·sigmoid(x)), GELU (x·Φ(x), exact or PyTorch's tanh form),
erf, SELU and PReLU. Each forward keeps what its backward needs; every function takes any shape
unless it says otherwise.

Derivatives at the kinks follow PyTorch: a clamp passes the gradient only strictly inside its
bounds, and so does a hard sigmoid.
"""

from __future__ import annotations

import math

import numpy as np

from engine.ops.activation import clip_values, sigmoid_forward
from engine.ops.special import TWO_OVER_SQRT_PI, erf

SELU_ALPHA = 1.67326319217681884765625  # ONNX's (and PyTorch's) constants
SELU_GAMMA = 1.05070102214813232421875


def clamp_forward(x: np.ndarray, lo: float | None, hi: float | None) -> tuple[np.ndarray, tuple]:
    """``min(max(x, lo), hi)``; a bound of ``None`` is open. ReLU6 is ``lo=0, hi=6``. The cache
    is the output and the bounds: the backward's mask comes from them, so an inference forward
    (which drops the cache) makes no mask."""
    out = clip_values(x, lo, hi)
    return out, (out, lo, hi)


def clamp_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Pass the gradient strictly inside the bounds. With lo < hi, ``out > lo`` exactly where
    ``x > lo`` and ``out < hi`` where ``x < hi`` (NaN: neither), so the output tells."""
    out, lo, hi = cache
    inside = np.ones(out.shape, dtype=bool) if lo is None else out > lo
    if hi is not None:
        inside &= out < hi
    return dout * inside


def hardsigmoid_forward(x: np.ndarray, alpha: float, beta: float) -> tuple[np.ndarray, tuple]:
    """``clip(alpha * x + beta, 0, 1)`` (ONNX HardSigmoid; PyTorch's is alpha=1/6, beta=1/2)."""
    z = np.asarray(alpha, x.dtype) * x + np.asarray(beta, x.dtype)
    inside = (z > 0) & (z < 1)
    return np.clip(z, 0, 1), (inside, alpha)


def hardsigmoid_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    inside, alpha = cache
    return dout * inside * np.asarray(alpha, dout.dtype)


def hardswish_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """``x * hardsigmoid(x)`` with alpha=1/6, beta=1/2: 0 below -3, x above 3."""
    gate, (inside, alpha) = hardsigmoid_forward(x, 1 / 6, 0.5)
    return x * gate, (x, gate, inside)


def hardswish_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """d/dx = gate + x * gate' = gate + x/6 inside (-3, 3): ``x/3 + 1/2`` there, 1 above."""
    x, gate, inside = cache
    return dout * (gate + np.where(inside, x / np.asarray(6, x.dtype), 0))


def silu_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """``x * sigmoid(x)`` (SiLU, Swish)."""
    s, _ = sigmoid_forward(x)
    return x * s, (x, s)


def silu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """d/dx = s + x s (1 - s)."""
    x, s = cache
    return dout * (s + x * s * (1 - s))


GELU_CUBIC = 0.044715  # PyTorch's approximate="tanh": 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
GELU_APPROXIMATIONS = ("none", "tanh")


def gelu_forward(x: np.ndarray, approximate: str = "none") -> tuple[np.ndarray, tuple]:
    """``x · Φ(x)``, Φ the standard normal's distribution function, ``(1 + erf(x/√2)) / 2``
    (PyTorch's ``approximate="none"``, ONNX's Gelu); or PyTorch's ``"tanh"`` form."""
    c = lambda v: np.asarray(v, x.dtype)  # noqa: E731  (constants in x's dtype)
    if approximate == "tanh":
        th = np.tanh(c(math.sqrt(2 / math.pi)) * (x + c(GELU_CUBIC) * x * x * x))
        return c(0.5) * x * (1 + th), (x, th, approximate)
    cdf = c(0.5) * (1 + erf(x * c(math.sqrt(0.5))))
    return x * cdf, (x, cdf, approximate)


def gelu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """d/dx = Φ(x) + x φ(x), φ(x) = exp(-x²/2)/√(2π); for the tanh form,
    ``(1 + th)/2 + x (1 - th²) √(2/π) (1 + 3·0.044715 x²) / 2``."""
    x, g, approximate = cache
    c = lambda v: np.asarray(v, x.dtype)  # noqa: E731
    if approximate == "tanh":
        slope = c(math.sqrt(2 / math.pi)) * (1 + c(3 * GELU_CUBIC) * x * x)
        return dout * (c(0.5) * (1 + g) + c(0.5) * x * (1 - g * g) * slope)
    pdf = np.exp(c(-0.5) * x * x) * c(1 / math.sqrt(2 * math.pi))
    return dout * (g + x * pdf)


def erf_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ONNX's Erf (what PyTorch's TorchScript exporter writes for an exact GELU)."""
    return erf(x), x


def erf_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d/dx erf(x) = 2/√π · exp(-x²)."""
    return dout * (np.exp(-(x * x)) * np.asarray(TWO_OVER_SQRT_PI, x.dtype))


def selu_forward(x: np.ndarray, alpha: float, gamma: float) -> tuple[np.ndarray, tuple]:
    """``gamma * x`` where positive, ``gamma * alpha * (exp(x) - 1)`` elsewhere."""
    pos = x > 0
    ga = np.asarray(gamma * alpha, x.dtype)
    neg = ga * np.expm1(np.minimum(x, 0))  # exp of positives never computed: no overflow
    return np.where(pos, np.asarray(gamma, x.dtype) * x, neg), (pos, neg, alpha, gamma)


def selu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """d/dx is gamma where x > 0, ``gamma * alpha * exp(x) = neg + gamma * alpha`` elsewhere."""
    pos, neg, alpha, gamma = cache
    ga = np.asarray(gamma * alpha, dout.dtype)
    return np.where(pos, dout * np.asarray(gamma, dout.dtype), dout * (neg + ga))


def _per_channel(slope: np.ndarray, ndim: int) -> np.ndarray:
    """slope (C,) or (1,) → (1, C, 1, ...) broadcasting over x (N, C, ...)."""
    return slope.reshape(1, -1, *([1] * (ndim - 2)))


def prelu_forward(x: np.ndarray, slope: np.ndarray) -> tuple[np.ndarray, tuple]:
    """``x`` where positive, ``slope * x`` elsewhere; one slope per channel (axis 1) or one
    for all. x: (N, C, ...), slope: (C,) or (1,) → out: x's shape."""
    a = _per_channel(slope.astype(x.dtype, copy=False), x.ndim)
    pos = x > 0
    return np.where(pos, x, a * x), (x, pos, a, slope.shape)


def prelu_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """dout: x's shape → (dx: x's shape, dslope: slope's shape), ``dslope = Σ dout·x`` over
    the non-positive inputs of each channel (of all, for one shared slope)."""
    x, pos, a, slope_shape = cache
    dx = np.where(pos, dout, a * dout)
    g = np.where(pos, 0, dout * x)
    axes = tuple(i for i in range(x.ndim) if i != 1 or slope_shape == (1,))
    return dx, g.sum(axis=axes).reshape(slope_shape)
