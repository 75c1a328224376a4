"""Grouped (and depthwise) convolution, as PyTorch's ``groups``: each of ``G`` groups convolves
its ``C/G`` input channels with its ``F/G`` filters.

Shapes::

    x:    (N, C, H, W)
    w:    (F, C/G, kh, kw)          group g: filters g*F/G .. (g+1)*F/G - 1
    out:  (N, F, H_out, W_out)      read from channels g*C/G .. (g+1)*C/G - 1

``groups == 1`` is :func:`engine.ops.conv.conv2d_forward` itself. Otherwise each group is one
call of it on a channel slice, written into one batch-last ``(F, H_out, W_out, N)`` output (the
memory order the rest of the network expects). ``grouped_conv2d_naive`` is the plain-loop twin.
"""

from __future__ import annotations

import numpy as np

from engine.ops import conv
from engine.shapes import Pair, output_shape


def _check(x_shape, w_shape, groups: int) -> tuple[int, int]:
    N, C, H, W = x_shape
    F, Cg, kh, kw = w_shape
    if groups < 1 or C % groups or F % groups:
        raise ValueError(
            f"groups={groups} must divide both the {C} input channels and the {F} filters"
        )
    if Cg * groups != C:
        raise ValueError(
            f"input has {C} channels but the weight {w_shape} expects {Cg} per group x {groups}"
        )
    return C // groups, F // groups


def grouped_conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
    groups: int = 1,
    cols_out: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple]:
    """x: (N, C, H, W), w: (F, C/groups, kh, kw), b: (F,) or None → (N, F, H_out, W_out)."""
    if groups == 1:
        out, cache = conv.conv2d_forward(x, w, b, stride, padding, dilation, cols_out)
        return out, (1, cache)
    Cg, Fg = _check(x.shape, w.shape, groups)
    N = x.shape[0]
    H_out, W_out = output_shape(x.shape[2:], w.shape[2:], stride, padding, dilation)
    mem = np.empty((w.shape[0], H_out, W_out, N), dtype=np.result_type(x, w))  # batch-last
    caches = []
    for g in range(groups):
        bg = None if b is None else b[g * Fg : (g + 1) * Fg]
        out_g, cache_g = conv.conv2d_forward(
            x[:, g * Cg : (g + 1) * Cg], w[g * Fg : (g + 1) * Fg], bg, stride, padding, dilation
        )
        mem[g * Fg : (g + 1) * Fg] = out_g.transpose(1, 2, 3, 0)  # (N, Fg, Ho, Wo) → batch-last
        caches.append(cache_g)
    return mem.transpose(3, 0, 1, 2), (groups, (caches, x.shape, Cg, Fg))


def grouped_conv2d_backward(
    dout: np.ndarray, cache: tuple, need_dx: bool = True, spend_cache: bool = False
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """dout: (N, F, H_out, W_out) → dx: (N, C, H, W) or None, dw: (F, C/G, kh, kw), db: (F,)."""
    groups, cache = cache
    if groups == 1:
        return conv.conv2d_backward(dout, cache, need_dx, spend_cache)
    caches, x_shape, Cg, Fg = cache
    dws, dbs = [], []
    dx = np.zeros(x_shape, dtype=dout.dtype) if need_dx else None
    for g, cache_g in enumerate(caches):
        dx_g, dw_g, db_g = conv.conv2d_backward(
            dout[:, g * Fg : (g + 1) * Fg], cache_g, need_dx, spend_cache
        )
        if need_dx:
            dx[:, g * Cg : (g + 1) * Cg] = dx_g
        dws.append(dw_g)
        dbs.append(db_g)
    db = None if dbs[0] is None else np.concatenate(dbs)
    return dx, np.concatenate(dws), db


def grouped_conv2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
    groups: int = 1,
) -> np.ndarray:
    """Plain loops: output channel f reads input channels ``(f // (F/G)) * C/G + c``, c < C/G.

    x: (N, C, H, W), w: (F, C/G, kh, kw) → (N, F, H_out, W_out)
    """
    N, C, H, W = x.shape
    F, Cg, kh, kw = w.shape
    Fg = F // groups
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    H_out, W_out = output_shape((H, W), (kh, kw), stride, padding, dilation)
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            first = (f // Fg) * Cg
            for i in range(H_out):
                for j in range(W_out):
                    total = 0.0 if b is None else b[f]
                    for c in range(Cg):
                        for a in range(kh):
                            for e in range(kw):
                                v = x_pad[n, first + c, i * sh + a * dh, j * sw + e * dw]
                                total += v * w[f, c, a, e]
                    out[n, f, i, j] = total
    return out
