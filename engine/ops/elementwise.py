"""Two-operand elementwise arithmetic with NumPy broadcasting, and channel concatenation.

Shapes: ``a`` and ``b`` broadcast against each other (``(N, C, H, W)`` with ``(N, C, 1, 1)``
or ``(1, C, 1, 1)``, say) to ``out``. Backward gives each operand the gradient of its own shape:
``dout``'s contribution summed over every axis that operand was broadcast along
(:func:`unbroadcast`).
"""

from __future__ import annotations

import numpy as np

OPS = ("add", "sub", "mul", "div")


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: over leading axes it lacks, and axes where it has 1."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def binary_forward(op: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """``a op b``. a, b: broadcastable → out: their broadcast shape."""
    if op == "add":
        out = a + b
    elif op == "sub":
        out = a - b
    elif op == "mul":
        out = a * b
    elif op == "div":
        out = a / b
    else:
        raise ValueError(f"op must be one of {OPS}, got {op!r}")
    keep = (a, b) if op in ("mul", "div") else (None, None)
    return out, (op, a.shape, b.shape, *keep)


def binary_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """dout: out's shape → (da: a's shape, db: b's shape)."""
    op, a_shape, b_shape, a, b = cache
    if op == "add":
        da, db = dout, dout
    elif op == "sub":
        da, db = dout, -dout
    elif op == "mul":
        da, db = dout * b, dout * a
    else:  # d(a/b)/da = 1/b, d(a/b)/db = -a/b²
        da = dout / b
        db = -da * a / b
    return unbroadcast(da, a_shape), unbroadcast(db, b_shape)


def concat_forward(xs: list[np.ndarray], axis: int) -> tuple[np.ndarray, tuple]:
    """Join ``xs`` along ``axis`` (1 = channels): (N, ..., C_i, ...) each → (N, ..., ΣC_i, ...)."""
    sizes = [x.shape[axis] for x in xs]
    return np.concatenate(xs, axis=axis), (axis, sizes)


def concat_backward(dout: np.ndarray, cache: tuple) -> list[np.ndarray]:
    """dout: the joined shape → one slice per input, views of ``dout``."""
    axis, sizes = cache
    bounds = np.cumsum([0, *sizes])
    index = [slice(None)] * dout.ndim
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        index[axis] = slice(int(lo), int(hi))
        out.append(dout[tuple(index)])
    return out
