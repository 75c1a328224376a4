"""Fully connected layer (PyTorch's ``Linear``: weight ``(out, in)``)."""

from __future__ import annotations

import numpy as np


def dense_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, tuple]:
    """``out = x @ w.T + b``. x: (N, D_in), w: (D_out, D_in), b: (D_out,) → out: (N, D_out)."""
    out = x @ w.T
    if b is not None:
        out += b
    return out, (x, w, b is not None)


def dense_backward(
    dout: np.ndarray, cache: tuple, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """dout: (N, D_out) → dx: (N, D_in), dw: (D_out, D_in), db: (D_out,)."""
    x, w, has_bias = cache
    dw = dout.T @ x
    db = dout.sum(axis=0) if has_bias else None
    dx = None
    if need_dx and x.flags.f_contiguous and not x.flags.c_contiguous:
        # x came batch-last (a flattened conv block): give dx the same memory order
        dx = (w.T @ dout.T).T  # (D_in, N) → (N, D_in), a view
    elif need_dx:
        dx = dout @ w  # (N, D_in)
    return dx, dw, db
