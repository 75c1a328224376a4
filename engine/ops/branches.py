"""Summing and softmax along one axis of a per-example tensor: the split attention of
ResNeSt and SKNet (branches stacked on an axis, weighted by a softmax across them, summed).

``dim`` counts the batch axis as 0, as PyTorch's does.
"""

from __future__ import annotations

import numpy as np


def sum_forward(x: np.ndarray, dim: int, keepdim: bool) -> tuple[np.ndarray, tuple]:
    """x: (N, ..., D, ...) → the sum over axis ``dim`` (kept as size 1 if ``keepdim``)."""
    return x.sum(axis=dim, keepdims=keepdim), (x.shape, dim, keepdim)


def sum_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Every summed entry gets the gradient of its sum: dout broadcast back to x's shape."""
    shape, dim, keepdim = cache
    grad = dout if keepdim else np.expand_dims(dout, dim)
    return np.broadcast_to(grad, shape).copy()


def softmax_dim_forward(x: np.ndarray, dim: int) -> tuple[np.ndarray, tuple]:
    """x → p, each slice along ``dim`` exponentiated (after its max) and normalised."""
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    p = e / e.sum(axis=dim, keepdims=True)
    return p, (p, dim)


def softmax_dim_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """The softmax's Jacobian-vector product along ``dim``: ``p * (dout - Σ dout * p)``."""
    p, dim = cache
    return p * (dout - (dout * p).sum(axis=dim, keepdims=True))
