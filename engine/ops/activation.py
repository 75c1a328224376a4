"""Activations (ReLU, LeakyReLU, ELU, sigmoid, tanh, softmax, log-softmax) and the numerically
stable softmax cross-entropy loss."""

from __future__ import annotations

import numpy as np


def clip_values(x: np.ndarray, lo: float | None, hi: float | None, out=None) -> np.ndarray:
    """``min(max(x, lo), hi)`` in one pass, a bound of ``None`` open; ``out``: where to write
    (``x`` itself for in place). NaN stays NaN and -0.0 stays -0.0, as in PyTorch's ``relu``,
    ``relu6`` and ``clamp`` (``np.maximum(-0.0, 0)`` would give +0.0). NumPy's ``clip`` ran
    2.6-3.2x faster than ``maximum`` then ``minimum`` (ReLU6 on MobileNetV2's blocks, in place)
    and as fast as ``maximum`` alone for a ReLU (bench/README.md, "sixth round"). Every clamp
    in the engine (the ReLU and Clip layers, a convolution's fused epilogue) is this one call,
    so fused and separate outputs agree bit for bit."""
    lo = -np.inf if lo is None else lo
    hi = np.inf if hi is None else hi
    return np.clip(x, np.asarray(lo, x.dtype), np.asarray(hi, x.dtype), out=out)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x: any shape → out: same shape and memory order, ``max(x, 0)`` (-0.0 kept, as PyTorch)."""
    out = clip_values(x, 0.0, None)
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


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray, label_smoothing: float = 0.0
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against integer labels, and its gradient.

    logits: (N, K), y: (N,) ints in [0, K) → loss: float, dlogits: (N, K).
    Uses log-sum-exp, so huge logits neither overflow nor give ``log(0)``.

    ``label_smoothing`` ε is PyTorch's: the target is ``q = (1 - ε)·onehot(y) + ε/K``, so
    ``loss = -mean_n Σ_k q_k log p_k`` and ``dlogits = (p - q) / N``.
    """
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
    N, K = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z  # (N, K)
    eps = float(label_smoothing)
    loss = float(-log_p[np.arange(N), y].mean())
    if eps:
        loss = (1 - eps) * loss + eps * float(-log_p.mean(axis=1).mean())
    dlogits = np.exp(log_p)  # p: (N, K)
    dlogits[np.arange(N), y] -= 1 - eps
    if eps:
        dlogits -= np.asarray(eps / K, dtype=dlogits.dtype)
    return loss, dlogits / N


def leaky_relu_forward(x: np.ndarray, slope: float) -> tuple[np.ndarray, tuple]:
    """x: any shape → ``x`` where positive, ``slope * x`` elsewhere (PyTorch's LeakyReLU)."""
    pos = x > 0
    return np.where(pos, x, x * np.asarray(slope, dtype=x.dtype)), (pos, slope)


def leaky_relu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    pos, slope = cache
    return np.where(pos, dout, dout * np.asarray(slope, dtype=dout.dtype))


def elu_forward(x: np.ndarray, alpha: float) -> tuple[np.ndarray, tuple]:
    """x: any shape → ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    pos = x > 0
    neg = np.asarray(alpha, dtype=x.dtype) * np.expm1(np.minimum(x, 0))
    return np.where(pos, x, neg), (pos, neg, alpha)


def elu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """d/dx is 1 where x > 0, ``alpha * exp(x) = out + alpha`` elsewhere."""
    pos, neg, alpha = cache
    return np.where(pos, dout, dout * (neg + np.asarray(alpha, dtype=neg.dtype)))


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x: any shape → ``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``."""
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    return dout * cache * (1 - cache)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = np.tanh(x)
    return out, out


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    return dout * (1 - cache * cache)


def log_softmax_forward(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """logits: (N, K) → log-probabilities (N, K), ``z - max - log(sum(exp(z - max)))``."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return out, out


def log_softmax_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """``dx = dout - softmax * sum(dout)``. (N, K) → (N, K)."""
    return dout - np.exp(cache) * dout.sum(axis=1, keepdims=True)
