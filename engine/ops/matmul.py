"""The product of two activations (``torch.matmul`` of two tensors): attention-style pooling,
as in GCNet's global-context block (the map's positions weighted by a softmax over them).

Shapes: a: (N, ..., m, k), b: (N, ..., k, n) with the same leading axes → (N, ..., m, n).
"""

from __future__ import annotations

import numpy as np


def matmul_forward(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    return np.matmul(a, b), (a, b)


def matmul_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """dout: (N, ..., m, n) → (da = dout bᵀ, db = aᵀ dout)."""
    a, b = cache
    return np.matmul(dout, np.swapaxes(b, -1, -2)), np.matmul(np.swapaxes(a, -1, -2), dout)
