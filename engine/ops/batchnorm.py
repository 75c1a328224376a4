"""Batch normalisation: the fast path, its plain twin, and the steps a training step split over
threads combines between.

For x: (N, C) or (N, C, L) or (N, C, H, W), statistics per channel over every other axis
(``m`` values each)::

    train: mu, var = mean, biased variance of the batch;  eval: the running statistics
    x_hat = (x - mu) / sqrt(var + eps);   out = gamma * x_hat + beta

**The plain twin** (:func:`batchnorm_forward_plain`, :func:`batchnorm_backward_plain`) writes
that down as it reads: about seven passes over x forward and as many back. **The fast path**
reads x as rows of one channel's values — ``(C, L*N)`` in the engine's batch-last memory,
``(N*C, L)`` for a C-contiguous array — and turns everything it can into (C,) vectors first,
worked out in float64:

- forward: ``Σx`` and ``Σx²`` (two reductions of contiguous rows), then ``out = x * a + b``
  with ``a = gamma * inv`` and ``b = beta - mu * a``, ``inv = 1 / sqrt(var + eps)``: two passes
  and one new array. The cache keeps x itself, not an ``x_hat`` array.
- backward: ``Σ dout`` and ``Σ dout * x`` (two reductions), then
  ``dx = gamma * inv * (dout + x * c1 + c0)`` built in place in one new array.

``Σx²/m - mu²`` loses the variance when ``|mu|`` is large against the spread (1e3 ± 1e-2 in
float32 leaves nothing of it), and ``x * a + b`` would lose the output the same way. So where some
channel's ``mu² > FAR * var``, x is first centred on that estimate (one more pass and array) and
everything runs on the centred copy with the small shift left over: the two-pass formula's
accuracy. Either way the cache holds ``xs = x - offset`` (offset 0 on the fast path) and the
``shift`` with ``x_hat = (xs - shift) * inv``.

**Split over threads** (:mod:`engine.parallel`): a training forward is this part's moments
(:func:`channel_moments`), every part's moments combined (:func:`combine_moments`, the pairwise
formula of Chan, Golub and LeVeque) and :func:`normalise` by the total; a backward combines the
parts' ``Σ dout`` and ``Σ dout * x_hat`` the same way. :func:`batchnorm_forward` and
:func:`batchnorm_backward` take that combine as an argument; without one they are the serial layer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FAR = 16.0  # centre x first where some channel's mu² > FAR * var (|mu| above 4 sd)
SHORT_ROWS = 16  # rows shorter than this (1-D batch norm) are summed per channel directly

# (m, mu (C,), Σ (x - mu)² (C,)): one part of the batch's per-channel moments, float64
Moments = tuple[int, np.ndarray, np.ndarray]
# (Σ dout (C,), Σ dout * x_hat (C,)): one part's per-channel gradient sums, float64
GradSums = tuple[np.ndarray, np.ndarray]

_row_dot = getattr(np, "vecdot", None) or (lambda a, b: np.einsum("ij,ij->i", a, b))  # NumPy < 2


def _shape(x: np.ndarray) -> tuple[int, ...]:
    """The (1, C, 1, ...) shape per-channel values take to broadcast against x: (N, C, ...)."""
    if x.ndim < 2:
        raise ValueError(f"batch norm needs input (N, C, ...), got shape {x.shape}")
    return (1, x.shape[1], *([1] * (x.ndim - 2)))


def _rows(a: np.ndarray, like: np.ndarray) -> tuple[np.ndarray, bool]:
    """a: (N, C, ...) as 2-D rows that each hold one channel's values, read in ``like``'s
    memory order: ``(C, L*N)`` when ``like`` is channel-major (the engine's batch-last
    activations, memory (C, H, W, N)), else ``(N*C, L)``; a view when ``a`` is laid out as
    ``like`` is, a copy otherwise. Also whether the rows are one per channel."""
    N, C = like.shape[:2]
    batch_last = like.transpose(1, *range(2, like.ndim), 0)  # (C, ..., N)
    if batch_last.flags.c_contiguous:
        return a.transpose(1, *range(2, a.ndim), 0).reshape(C, -1), True  # (C, L*N)
    return a.reshape(N * C, -1), False  # (N*C, L)


def _sums(x: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(Σ x, Σ x * other)`` per channel, float64. x, other: (N, C, ...) → (C,), (C,)."""
    N, C = x.shape[:2]
    if x.size // (N * C) < SHORT_ROWS:  # (N, C) or short L: a call per row costs more than a pass
        axes = (0, *range(2, x.ndim))
        return x.sum(axis=axes, dtype=np.float64), (x * other).sum(axis=axes, dtype=np.float64)
    rows, per_channel = _rows(x, x)
    other_rows, _ = _rows(other, x)
    sums = rows.sum(axis=1), _row_dot(rows, other_rows)  # one value per row
    if per_channel:
        return tuple(v.astype(np.float64) for v in sums)
    return tuple(v.reshape(N, C).sum(axis=0, dtype=np.float64) for v in sums)  # (N, C) → (C,)


def _vector(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A (C,) float64 vector in x's dtype, shaped (1, C, 1, ...) to broadcast against it."""
    return v.astype(x.dtype).reshape(_shape(x))


def _far(mu: np.ndarray, var: np.ndarray) -> bool:
    """Whether some channel's mean is too far from 0, against its spread, for ``x * a + b``."""
    return bool(np.any(mu * mu > FAR * var))


def channel_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, Moments]:
    """x: (N, C, ...) → (xs, offset, moments): ``xs = x - offset`` (x itself, offset 0, unless
    some channel's mean is far from 0 against its spread), offset: (C,) in x's dtype, and the
    count, mean and centred sum of squares per channel (float64)."""
    m = x.size // x.shape[1]
    s1, s2 = _sums(x, x)
    mu = s1 / m
    m2 = np.maximum(s2 - s1 * mu, 0.0)
    offset = np.zeros(x.shape[1], dtype=x.dtype)
    if not _far(mu, m2 / m):
        return x, offset, (m, mu, m2)
    offset = mu.astype(x.dtype)
    xs = x - offset.reshape(_shape(x))  # (N, C, ...), centred to within rounding
    s1, s2 = _sums(xs, xs)
    return xs, offset, (m, offset + s1 / m, np.maximum(s2 - s1 * s1 / m, 0.0))


def combine_moments(parts: list[Moments]) -> Moments:
    """Every part's moments → the whole batch's, adding the parts in the order given:
    ``mu = Σ m_k mu_k / m``, ``M2 = Σ (M2_k + m_k (mu_k - mu)²)``."""
    m = sum(p[0] for p in parts)
    mu = sum(p[0] * p[1] for p in parts) / m
    return m, mu, sum(p[2] + p[0] * (p[1] - mu) ** 2 for p in parts)


def normalise(
    xs: np.ndarray,
    offset: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    mu: np.ndarray,
    var: np.ndarray,
    eps: float,
) -> tuple[np.ndarray, tuple]:
    """``out = gamma * (xs + offset - mu) * inv + beta`` as ``xs * a + b``. xs: (N, C, ...);
    offset, gamma, beta, mu, var: (C,) → out: xs's shape, cache for the backward."""
    a, b, shift, inv = affine(offset, gamma, beta, mu, var, eps)
    out = np.multiply(xs, _vector(a, xs))  # (N, C, ...)
    out += _vector(b, xs)
    return out, (xs, shift, inv, gamma)


def affine(offset, gamma, beta, mu, var, eps: float):
    """The per-channel ``out = xs * a + b`` of :func:`normalise`, float64 (C,) vectors:
    ``(a, b, shift, inv)`` with ``x_hat = (xs - shift) * inv``."""
    inv = 1.0 / np.sqrt(var.astype(np.float64) + eps)  # (C,)
    shift = mu.astype(np.float64) - offset
    a = gamma.astype(np.float64) * inv
    return a, beta - shift * a, shift, inv


def eval_offset(mean: np.ndarray, var: np.ndarray, dtype) -> np.ndarray | None:
    """The centring an evaluation forward subtracts first, (C,) in ``dtype``: the running mean
    where some channel's is far from 0 against its variance, else None (no pass)."""
    if _far(mean.astype(np.float64), var.astype(np.float64)):
        return mean.astype(dtype)
    return None


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray | None,
    var: np.ndarray | None,
    eps: float,
    combine: Callable[[Moments], Moments] | None = None,
) -> tuple[np.ndarray, tuple]:
    """Normalise with the batch's statistics (``mean``/``var`` None: training) or the given
    running ones (evaluation). x: (N, C, ...), gamma, beta, mean, var: (C,) → out: x's shape.

    In training, ``combine`` turns this part's moments into the whole batch's (the split step's
    threads meet there); alone, the batch is x. The cache ends with the mode and, in training,
    the batch statistics ``(mu, var, m)`` for :func:`running_update`.
    """
    train = mean is None
    if train:
        xs, offset, moments = channel_moments(x)
        m, mean, m2 = combine(moments) if combine else moments
        stats = (mean, m2 / m, m)
        var = stats[1]
    else:
        stats = None
        xs, offset = x, eval_offset(mean, var, x.dtype)
        if offset is None:
            offset = np.zeros(x.shape[1], dtype=x.dtype)
        else:
            xs = x - offset.reshape(_shape(x))  # (N, C, ...)
    out, cache = normalise(xs, offset, gamma, beta, mean, var, eps)
    return out, (*cache, train, stats)


def batchnorm_backward(
    dout: np.ndarray, cache: tuple, combine: Callable[[GradSums], GradSums] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout: x's shape → (dx: x's shape, dgamma: (C,), dbeta: (C,)).

    Training: the statistics depend on x, so ``dx = gamma * inv * (dout - S/m - x_hat * T/m)``
    with ``S = Σ dout``, ``T = Σ dout * x_hat`` per channel over the whole batch (``combine``
    turns this part's sums into the whole batch's, in this part's scale); evaluation:
    ``dx = dout * gamma * inv``. dgamma and dbeta are this part's ``T`` and ``S``.
    """
    xs, shift, inv, gamma, train, stats = cache
    s, sx = _sums(dout, xs)
    t = inv * (sx - shift * s)  # Σ dout * x_hat = inv * (Σ dout * xs - shift * Σ dout)
    scale = gamma.astype(np.float64) * inv
    dgamma, dbeta = t.astype(dout.dtype), s.astype(dout.dtype)
    if not train:
        return dout * _vector(scale, dout), dgamma, dbeta
    s_all, t_all = combine((s, t)) if combine else (s, t)
    m = stats[2]
    c1 = -inv * t_all / m  # dout - S/m - x_hat T/m = dout + xs * c1 + c0
    dx = np.multiply(xs, _vector(c1, dout))  # (N, C, ...)
    dx += _vector(-shift * c1 - s_all / m, dout)
    dx += dout
    dx *= _vector(scale, dout)
    return dx, dgamma, dbeta


def running_update(
    running_mean: np.ndarray, running_var: np.ndarray, cache: tuple, momentum: float
) -> None:
    """Move the running statistics toward a training forward's batch statistics, in place,
    with the *unbiased* batch variance ``var * m / (m - 1)`` for ``running_var`` (PyTorch's
    ``running = (1 - momentum) * running + momentum * stat``)."""
    mean, var, m = cache[-1]
    unbiased = var * (m / max(m - 1, 1))
    running_mean *= 1 - momentum
    running_mean += momentum * mean.astype(running_mean.dtype)
    running_var *= 1 - momentum
    running_var += momentum * unbiased.astype(running_var.dtype)


# -- the plain twin ------------------------------------------------------------------------------


def batchnorm_forward_plain(x, gamma, beta, mean, var, eps) -> tuple[np.ndarray, tuple]:
    """The formulas as written: :func:`batchnorm_forward`'s result (the same arguments), for
    the tests."""
    axes, shape = (0, *range(2, x.ndim)), _shape(x)
    train = mean is None
    if train:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    dtype = x.dtype
    inv = (1.0 / np.sqrt(var.astype(dtype) + np.asarray(eps, dtype))).astype(dtype)  # (C,)
    x_hat = (x - mean.astype(dtype).reshape(shape)) * inv.reshape(shape)
    out = x_hat * gamma.astype(dtype).reshape(shape) + beta.astype(dtype).reshape(shape)
    return out, (x_hat, gamma, inv, train)


def batchnorm_backward_plain(dout: np.ndarray, cache: tuple):
    """:func:`batchnorm_backward` as written: (dx, dgamma, dbeta), for the tests."""
    x_hat, gamma, inv, train = cache
    axes, shape = (0, *range(2, dout.ndim)), _shape(dout)
    dgamma = (dout * x_hat).sum(axis=axes)
    dbeta = dout.sum(axis=axes)
    scale = (gamma.astype(dout.dtype) * inv).reshape(shape)
    if not train:
        return dout * scale, dgamma, dbeta
    m = dout.size // dout.shape[1]
    dx = scale * (dout - (dbeta / m).reshape(shape) - x_hat * (dgamma / m).reshape(shape))
    return dx, dgamma, dbeta
