"""Normalisation: group normalisation (instance normalisation is one group per channel),
layer normalisation over the channels at each position, ONNX's MeanVarianceNormalization and
local response normalisation across channels (LRN). Batch normalisation has its own module,
:mod:`engine.ops.batchnorm`.
"""

from __future__ import annotations

import numpy as np

MVN_EPS = 1e-9  # ONNX's: added to the standard deviation, not the variance


def mvn_forward(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, tuple]:
    """ONNX MeanVarianceNormalization: ``(x - mean) / (std + 1e-9)`` over ``axes`` (which
    count the batch axis; ONNX's default is (0, 2, 3)). x: any shape → out: x's shape."""
    xc = x - x.mean(axis=axes, keepdims=True)
    std = np.sqrt((xc * xc).mean(axis=axes, keepdims=True))
    d = std + np.asarray(MVN_EPS, x.dtype)
    return xc / d, (xc, std, d, axes)


def mvn_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """``dx = (g - mean(g)) / d - xc * mean(g * xc) / (d² std)`` with ``d = std + eps``."""
    xc, std, d, axes = cache
    mean_g = dout.mean(axis=axes, keepdims=True)
    mean_gx = (dout * xc).mean(axis=axes, keepdims=True)
    safe = np.where(std > 0, std, 1)
    return (dout - mean_g) / d - xc * np.where(std > 0, mean_gx / (d * d * safe), 0)


def groupnorm_forward(
    x: np.ndarray, groups: int, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, tuple]:
    """PyTorch's GroupNorm: each example's channels in ``groups`` equal groups, every group
    normalised by its own mean and (biased) variance, then ``gamma * x_hat + beta`` per channel.

    x: (N, C, ...), gamma, beta: (C,) → out: x's shape. With ``M = C/G · H · W`` values a
    group, ``x_hat = (x - mu) * inv``, ``inv = 1 / sqrt(var + eps)`` per (example, group)."""
    N, C = x.shape[:2]
    xg = x.reshape(N, groups, -1)  # (N, G, M), a copy if x is batch-last
    mu = xg.mean(axis=2, keepdims=True)
    xc = xg - mu
    inv = 1 / np.sqrt((xc * xc).mean(axis=2, keepdims=True) + np.asarray(eps, x.dtype))
    x_hat = (xc * inv).reshape(x.shape)  # (N, C, ...)
    shape = (1, C) + (1,) * (x.ndim - 2)
    out = x_hat * gamma.astype(x.dtype).reshape(shape) + beta.astype(x.dtype).reshape(shape)
    return out, (x_hat, inv, gamma, groups)


def groupnorm_backward(dout: np.ndarray, cache: tuple):
    """dout: x's shape → (dx, dgamma (C,), dbeta (C,)), per group of M values::

    dx = inv * (g - mean(g) - x_hat * mean(g * x_hat)),   g = dout * gamma
    """
    x_hat, inv, gamma, groups = cache
    N, C = dout.shape[:2]
    axes = (0, *range(2, dout.ndim))
    dgamma = (dout * x_hat).sum(axis=axes)
    dbeta = dout.sum(axis=axes)
    shape = (1, C) + (1,) * (dout.ndim - 2)
    g = (dout * gamma.astype(dout.dtype).reshape(shape)).reshape(N, groups, -1)
    xh = x_hat.reshape(N, groups, -1)
    dx = inv * (g - g.mean(axis=2, keepdims=True) - xh * (g * xh).mean(axis=2, keepdims=True))
    return dx.reshape(dout.shape), dgamma, dbeta


def channelnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, tuple]:
    """Layer normalisation over the channels at each position (torchvision's ``LayerNorm2d``,
    ConvNeXt's ``LayerNorm`` between its permutes; ``nn.LayerNorm(C)`` on a vector of C):
    ``gamma * (x - mu) / sqrt(var + eps) + beta`` with mu, var over axis 1, biased.

    x: (N, C, ...), gamma, beta: (C,) → out: x's shape."""
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    inv = 1 / np.sqrt((xc * xc).mean(axis=1, keepdims=True) + np.asarray(eps, x.dtype))
    x_hat = xc * inv
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = x_hat * gamma.astype(x.dtype).reshape(shape) + beta.astype(x.dtype).reshape(shape)
    return out, (x_hat, inv, gamma)


def channelnorm_backward(dout: np.ndarray, cache: tuple):
    """dout: x's shape → (dx, dgamma (C,), dbeta (C,)); over the channels of each position,
    ``dx = inv * (g - mean(g) - x_hat * mean(g * x_hat))`` with ``g = dout * gamma``."""
    x_hat, inv, gamma = cache
    axes = (0, *range(2, dout.ndim))
    shape = (1, -1) + (1,) * (dout.ndim - 2)
    g = dout * gamma.astype(dout.dtype).reshape(shape)
    mean_g = g.mean(axis=1, keepdims=True)
    mean_gx = (g * x_hat).mean(axis=1, keepdims=True)
    dx = inv * (g - mean_g - x_hat * mean_gx)
    return dx, (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)


def _channel_window_sum(a: np.ndarray, before: int, after: int) -> np.ndarray:
    """``out[:, c] = Σ a[:, c']`` for ``c - before ≤ c' ≤ c + after`` (channels past either end
    count as zero). a: (N, C, ...) → (N, C, ...). A sum of ``before + after + 1`` shifted
    slices, exact in the order a loop over the window would add."""
    C = a.shape[1]
    pad = [(0, 0)] * a.ndim
    pad[1] = (before, after)
    padded = np.pad(a, pad)
    out = padded[:, 0:C].copy()
    for d in range(1, before + after + 1):
        out += padded[:, d : d + C]
    return out


def lrn_forward(
    x: np.ndarray, size: int, alpha: float, beta: float, k: float
) -> tuple[np.ndarray, tuple]:
    """ONNX LRN (AlexNet's local response normalisation across channels).

    x: (N, C, ...) → ``x / (k + alpha/size * S) ** beta`` where ``S[:, c]`` sums ``x²`` over the
    channels ``c - floor((size-1)/2) .. c + ceil((size-1)/2)``. (PyTorch's LocalResponseNorm
    centres an even window the other way; the two agree for odd ``size``.)
    """
    before = (size - 1) // 2
    after = size - 1 - before
    s = np.asarray(k, x.dtype) + np.asarray(alpha / size, x.dtype) * _channel_window_sum(
        x * x, before, after
    )
    scale = s ** np.asarray(-beta, x.dtype)
    return x * scale, (x, s, scale, size, alpha, beta)


def lrn_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """``dx_j = dout_j s_j^-β - 2β(α/size) x_j Σ_{i: j ∈ window(i)} dout_i x_i s_i^(-β-1)``.

    Channel ``j`` lies in ``i``'s window when ``j - after ≤ i ≤ j + before``: the same window
    sum with its two ends swapped.
    """
    x, s, scale, size, alpha, beta = cache
    before = (size - 1) // 2
    after = size - 1 - before
    g = dout * x * scale / s  # dout_i x_i s_i^(-β-1)
    back = _channel_window_sum(g, after, before)
    return dout * scale - np.asarray(2 * beta * alpha / size, x.dtype) * x * back
