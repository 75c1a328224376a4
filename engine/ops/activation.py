"""ReLU, softmax, and the numerically stable softmax cross-entropy loss."""

from __future__ import annotations

import numpy as np


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x: any shape → out: same shape and memory order, ``max(x, 0)``."""
    out = np.maximum(x, 0)
    return out, out


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Pass the gradient where the output was positive. dout, cache: same shape as x."""
    return dout * (cache > 0)


def softmax(logits: np.ndarray) -> np.ndarray:
    """logits: (N, K) → probabilities: (N, K), computed after subtracting each row's max."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_forward(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """logits: (N, K) → p: (N, K)."""
    p = softmax(logits)
    return p, p


def softmax_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Jacobian-vector product of softmax: ``dx = p * (dout - sum(dout * p))``. (N, K) → (N, K)."""
    p = cache
    return p * (dout - (dout * p).sum(axis=1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against integer labels, and its gradient.

    logits: (N, K), y: (N,) ints in [0, K) → loss: float, dlogits: (N, K).
    Uses log-sum-exp, so huge logits neither overflow nor give ``log(0)``.
    """
    N, K = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z  # (N, K)
    loss = float(-log_p[np.arange(N), y].mean())
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), y] -= 1
    return loss, dlogits / N
