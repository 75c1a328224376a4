"""Normalisation: batch normalisation (training and evaluation), ONNX's
MeanVarianceNormalization and local response normalisation across channels (LRN).

Batch norm, for x: (N, C) or (N, C, L) or (N, C, H, W), statistics per channel over every
other axis (``m`` values each)::

    train: mu, var = mean, biased variance of the batch;  eval: the running statistics
    x_hat = (x - mu) / sqrt(var + eps);   out = gamma * x_hat + beta

:func:`running_update` is PyTorch's: ``running = (1 - momentum) * running + momentum * stat``,
with the *unbiased* batch variance (``var * m / (m - 1)``) for ``running_var``.
"""

from __future__ import annotations

import numpy as np


def _axes_and_shape(x: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The reduction axes (all but 1) and the (1, C, 1, ...) shape per-channel values take."""
    if x.ndim < 2:
        raise ValueError(f"batch norm needs input (N, C, ...), got shape {x.shape}")
    return (0, *range(2, x.ndim)), (1, x.shape[1], *([1] * (x.ndim - 2)))


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray | None,
    var: np.ndarray | None,
    eps: float,
) -> tuple[np.ndarray, tuple]:
    """Normalise with the batch's statistics (``mean``/``var`` None: training) or the given
    running ones (evaluation). x: (N, C, ...), gamma, beta, mean, var: (C,) → out: x's shape.

    The cache holds ``x_hat``, ``1/sqrt(var + eps)``, the batch statistics and the mode.
    """
    axes, shape = _axes_and_shape(x)
    train = mean is None
    if train:
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
    dtype = x.dtype
    inv = (1.0 / np.sqrt(var.astype(dtype) + np.asarray(eps, dtype))).astype(dtype)  # (C,)
    x_hat = (x - mean.astype(dtype).reshape(shape)) * inv.reshape(shape)
    out = x_hat * gamma.astype(dtype).reshape(shape) + beta.astype(dtype).reshape(shape)
    return out, (x_hat, gamma, inv, train, (mean, var, x.size // x.shape[1]))


def batchnorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout: x's shape → (dx: x's shape, dgamma: (C,), dbeta: (C,)).

    Training: the statistics depend on x, so
    ``dx = inv * (g - mean(g) - x_hat * mean(g * x_hat))`` with ``g = dout * gamma`` (means per
    channel); evaluation: ``dx = dout * gamma * inv``.
    """
    x_hat, gamma, inv, train, _ = cache
    axes, shape = _axes_and_shape(dout)
    dgamma = (dout * x_hat).sum(axis=axes)
    dbeta = dout.sum(axis=axes)
    scale = (gamma.astype(dout.dtype) * inv).reshape(shape)
    if not train:
        return dout * scale, dgamma, dbeta
    m = dout.size // dout.shape[1]
    dx = scale * (dout - (dbeta / m).reshape(shape) - x_hat * (dgamma / m).reshape(shape))
    return dx, dgamma, dbeta


def running_update(
    running_mean: np.ndarray, running_var: np.ndarray, cache: tuple, momentum: float
) -> None:
    """Move the running statistics toward a training forward's batch statistics, in place."""
    mean, var, m = cache[4]
    unbiased = var * (m / max(m - 1, 1))
    running_mean *= 1 - momentum
    running_mean += momentum * mean.astype(running_mean.dtype)
    running_var *= 1 - momentum
    running_var += momentum * unbiased.astype(running_var.dtype)


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
