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


def _standardised(a: np.ndarray, axis: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``(x_hat, inv)``: ``a`` centred and scaled along ``axis`` by its own mean and biased
    variance, ``inv = 1 / sqrt(var + eps)`` (kept dims)."""
    xc = a - a.mean(axis=axis, keepdims=True)
    inv = 1 / np.sqrt((xc * xc).mean(axis=axis, keepdims=True) + np.asarray(eps, a.dtype))
    return xc * inv, inv


def _standardised_backward(g, x_hat, inv, axis: int) -> np.ndarray:
    """The gradient through :func:`_standardised` of ``g`` (the gradient of ``x_hat``)::

    dx = inv * (g - mean(g) - x_hat * mean(g * x_hat))   along ``axis``
    """
    mean_g = g.mean(axis=axis, keepdims=True)
    return inv * (g - mean_g - x_hat * (g * x_hat).mean(axis=axis, keepdims=True))


def _channels(v: np.ndarray, like: np.ndarray) -> np.ndarray:
    """v: (C,) → (1, C, 1, ...) in ``like``'s dtype, broadcasting against it."""
    return v.astype(like.dtype).reshape((1, -1) + (1,) * (like.ndim - 2))


def _affine_grads(dout: np.ndarray, x_hat: np.ndarray):
    """(dgamma, dbeta), (C,) each, of ``gamma * x_hat + beta`` per channel (axis 1)."""
    axes = (0, *range(2, dout.ndim))
    return (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)


def groupnorm_forward(
    x: np.ndarray, groups: int, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, tuple]:
    """PyTorch's GroupNorm: each example's channels in ``groups`` equal groups, every group
    normalised by its own mean and (biased) variance, then ``gamma * x_hat + beta`` per channel.

    x: (N, C, ...), gamma, beta: (C,) → out: x's shape. The groups are x as (N, G, C/G · H · W)
    (a copy if x is batch-last), standardised along their last axis."""
    x_hat_g, inv = _standardised(x.reshape(x.shape[0], groups, -1), 2, eps)
    x_hat = x_hat_g.reshape(x.shape)  # (N, C, ...)
    return x_hat * _channels(gamma, x) + _channels(beta, x), (x_hat, inv, gamma, groups)


def groupnorm_backward(dout: np.ndarray, cache: tuple):
    """dout: x's shape → (dx, dgamma (C,), dbeta (C,))."""
    x_hat, inv, gamma, groups = cache
    grouped = (dout.shape[0], groups, -1)
    g = (dout * _channels(gamma, dout)).reshape(grouped)
    dx = _standardised_backward(g, x_hat.reshape(grouped), inv, 2)
    return (dx.reshape(dout.shape), *_affine_grads(dout, x_hat))


def channelnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, tuple]:
    """Layer normalisation over the channels at each position (torchvision's ``LayerNorm2d``,
    ConvNeXt's ``LayerNorm`` between its permutes; ``nn.LayerNorm(C)`` on a vector of C):
    ``gamma * (x - mu) / sqrt(var + eps) + beta`` with mu, var over axis 1, biased.

    x: (N, C, ...), gamma, beta: (C,) → out: x's shape."""
    x_hat, inv = _standardised(x, 1, eps)
    return x_hat * _channels(gamma, x) + _channels(beta, x), (x_hat, inv, gamma)


def channelnorm_backward(dout: np.ndarray, cache: tuple):
    """dout: x's shape → (dx, dgamma (C,), dbeta (C,))."""
    x_hat, inv, gamma = cache
    dx = _standardised_backward(dout * _channels(gamma, dout), x_hat, inv, 1)
    return (dx, *_affine_grads(dout, x_hat))


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
