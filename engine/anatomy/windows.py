"""Where one filter's windows fall: the index arithmetic every anatomy view is built on.

For output position ``(i, j)`` and kernel position ``(c, a, b)`` the window reads input
``(c, r, s)`` with::

    r = i*sh - ph + a*dh        s = j*sw - pw + b*dw

and a position outside ``0 <= r < H, 0 <= s < W`` is padding (it reads a zero). Every view
indexes outputs by ``row = i*W_out + j`` and kernel weights by ``k = c*kh*kw + a*kw + b``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from engine.shapes import Pair, conv_padding, output_shape, pair


@dataclass(frozen=True)
class Geometry:
    """One filter ``(C, kh, kw)`` sliding over one input ``(C, H, W)``.

    ``H_out = floor((H + 2*ph - dh*(kh - 1) - 1) / sh) + 1``, likewise ``W_out``.
    """

    C: int
    H: int
    W: int
    kh: int
    kw: int
    stride: Pair
    padding: Pair
    dilation: Pair
    H_out: int
    W_out: int

    @property
    def P(self) -> int:
        """Number of output positions, ``H_out * W_out`` (the weight matrix's rows)."""
        return self.H_out * self.W_out

    @property
    def K(self) -> int:
        """Number of kernel weights, ``C * kh * kw``."""
        return self.C * self.kh * self.kw


@dataclass(frozen=True, eq=False)
class Windows:
    """Every window's input positions; each array is ``(P, K)``, indexed ``[row, k]``.

    ``c, r, s`` are the input coordinates (``r, s`` may lie in the padding); ``valid`` is true
    where ``(r, s)`` is inside the input; ``cols`` is the flat input index ``c*H*W + r*W + s``
    there and ``-1`` in the padding.
    """

    c: np.ndarray
    r: np.ndarray
    s: np.ndarray
    valid: np.ndarray
    cols: np.ndarray

    def gather(self, x_flat: np.ndarray) -> np.ndarray:
        """Window values ``(P, K)`` from ``x_flat: (C*H*W,)``, zero at padded positions."""
        return np.where(self.valid, x_flat[np.where(self.valid, self.cols, 0)], 0.0)


def as_volume(values, name: str) -> np.ndarray:
    """``values`` as a finite float64 ``(C, H, W)`` array; a 2-D ``(H, W)`` is one channel."""
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a 2-D or 3-D array of numbers: {err}") from None
    if v.ndim == 2:
        v = v[None]  # v: (1, H, W)
    if v.ndim != 3 or 0 in v.shape:
        raise ValueError(f"{name} must be (H, W) or (C, H, W) and non-empty, got shape {v.shape!r}")
    if not np.isfinite(v).all():
        raise ValueError(f"{name} must hold finite numbers, got a NaN or infinity")
    return v


def as_bias(bias) -> float:
    """``bias`` as a finite float."""
    try:
        b = float(bias)
    except (TypeError, ValueError):
        raise ValueError(f"bias must be a number, got {bias!r}") from None
    if not np.isfinite(b):
        raise ValueError(f"bias must be finite, got {bias!r}")
    return b


def geometry(
    input_shape: tuple[int, ...], kernel_shape: tuple[int, ...], stride, padding, dilation
) -> Geometry:
    """Check and normalise the hyperparameters of one filter on one input.

    ``input_shape: (C, H, W)`` or ``(H, W)``; ``kernel_shape: (C, kh, kw)`` or ``(kh, kw)``;
    ``stride``, ``dilation``: int or pair ``>= 1``; ``padding``: int or pair ``>= 0``,
    ``"same"`` or ``"valid"``. Raises ``ValueError`` naming the bad value.
    """
    in_shape = _chw(input_shape, "input_shape")
    k_shape = _chw(kernel_shape, "kernel_shape")
    C, H, W = in_shape
    if k_shape[0] != C:
        raise ValueError(
            f"kernel has {k_shape[0]} channels but the input has {C}: "
            f"kernel {k_shape!r}, input {in_shape!r}"
        )
    kh, kw = k_shape[1:]
    stride = pair(stride, "stride")
    dilation = pair(dilation, "dilation")
    padding = conv_padding(padding, (kh, kw), dilation)
    H_out, W_out = output_shape((H, W), (kh, kw), stride, padding, dilation)
    return Geometry(C, H, W, kh, kw, stride, padding, dilation, H_out, W_out)


def windows(g: Geometry) -> Windows:
    """All window positions of ``g`` at once, by broadcasting (no loop over outputs)."""
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    r = (np.arange(g.H_out) * sh - ph)[:, None] + np.arange(g.kh)[None, :] * dh  # r: (H_out, kh)
    s = (np.arange(g.W_out) * sw - pw)[:, None] + np.arange(g.kw)[None, :] * dw  # s: (W_out, kw)
    full = (g.H_out, g.W_out, g.C, g.kh, g.kw)
    r = np.broadcast_to(r[:, None, None, :, None], full)  # r: (H_out, W_out, C, kh, kw)
    s = np.broadcast_to(s[None, :, None, None, :], full)  # s: (H_out, W_out, C, kh, kw)
    c = np.broadcast_to(np.arange(g.C)[None, None, :, None, None], full)
    # row = i*W_out + j and k = c*kh*kw + a*kw + b are exactly the row-major flattenings:
    r, s, c = (v.reshape(g.P, g.K) for v in (r, s, c))  # each: (P, K)
    valid = (r >= 0) & (r < g.H) & (s >= 0) & (s < g.W)  # valid: (P, K)
    cols = np.where(valid, (c * g.H + r) * g.W + s, -1)  # cols: (P, K)
    return Windows(c=c, r=r, s=s, valid=valid, cols=cols)


def _chw(shape, name: str) -> tuple[int, int, int]:
    """``shape`` as a ``(C, H, W)`` tuple of positive ints; ``(H, W)`` means ``C = 1``."""
    try:
        dims = tuple(operator.index(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (C, H, W) or (H, W) ints, got {shape!r}") from None
    if len(dims) == 2:
        dims = (1, *dims)
    if len(dims) != 3 or min(dims) < 1:
        raise ValueError(f"{name} must be (C, H, W) or (H, W) with every side >= 1, got {shape!r}")
    return dims
