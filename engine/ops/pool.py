"""Pooling: max, min and average over sliding windows, and global pooling.

Shapes::

    x:    (N, C, H, W)
    out:  (N, C, H_out, W_out)
    H_out = floor((H + 2*ph - (kh - 1) - 1) / sh) + 1     (likewise W_out)

Semantics follow PyTorch: max/min pooling ignores padded positions (they act as -inf/+inf);
average pooling counts them as zeros with ``count_include_pad=True`` (dividing by kh*kw) and
leaves them out without it. ``ceil_mode`` rounds the output size up, keeping a last window
only if it starts inside the input or its left padding (:func:`engine.shapes.pool_output_size`);
the part of such a window past the padding is never counted.

Non-overlapping windows (stride == kernel, no padding: the usual 2×2 pooling) take a fast
path, :func:`engine.ops.pool_tiled.tiled_pool_forward`: each window row, then each window
column, is one strided *view* of the input, reduced with elementwise passes — no window copy,
and no index array kept for backward. Other max/min settings (ResNet's 3×3 stride-2 padded
pooling) take :func:`separable_pool_forward`: separable reductions of views of the unpadded
input (down each window's column, then across), the winners found again by comparison in
backward. Average pooling elsewhere gathers every window (a copy of kh*kw values per output).
All are tested against the plain loops :func:`pool2d_naive` and :func:`pool2d_backward_naive`.
"""

from __future__ import annotations

import numpy as np

from engine.ops.conv import windows
from engine.ops.pool_tiled import (
    tiled_pool_backward,
    tiled_pool_fits,
    tiled_pool_forward,
)
from engine.shapes import Pair, pool_output_shape

MODES = ("max", "min", "avg")


def _pad_value(mode: str, dtype) -> float:
    if mode == "max":
        return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min
    if mode == "min":
        return np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).max
    return 0.0


def pool_divisors(size: int, kernel: int, stride: int, pad: int, n_out: int, include_pad: bool):
    """Average pooling's divisor along one axis: ``(n_out,)`` counts of each window's positions.

    PyTorch's rule: a window starting at ``i*s - p`` ends at ``min(start + k, size + p)``, so
    it counts padding (with ``count_include_pad``) but never the overhang a ``ceil_mode``
    window has past the padding; without ``count_include_pad`` only positions inside the input.
    """
    start = np.arange(n_out) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def pool2d_forward(
    x: np.ndarray,
    mode: str,
    kernel: Pair,
    stride: Pair,
    padding: Pair = (0, 0),
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> tuple[np.ndarray, tuple]:
    """Pool every ``kh × kw`` window.

    x: (N, C, H, W) → out: (N, C, H_out, W_out), sizes by :func:`engine.shapes.pool_output_shape`.
    Tiling windows go to :func:`tiled_pool_forward`. Max/min ignore padding and the overhang of
    a ``ceil_mode`` window; average divides by :func:`pool_divisors`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"padding {padding!r} must be at most half the kernel size {kernel!r}")
    out_hw = pool_output_shape((H, W), kernel, stride, padding, ceil_mode)
    if (
        tiled_pool_fits(kernel, stride, padding)
        and (not ceil_mode or out_hw == pool_output_shape((H, W), kernel, stride, padding, False))
        and (mode != "avg" or np.issubdtype(x.dtype, np.floating))  # (an integer mean truncates)
    ):
        out, cache = tiled_pool_forward(x, mode, kernel)
        return out, ("tiled", cache)
    H_out, W_out = out_hw
    if mode != "avg":
        out = separable_pool_forward(x, mode, kernel, stride, padding, out_hw)
        return out, ("strided", (mode, x, out, kernel, stride, padding))
    x_pad = _padded(x, mode, padding, _overhang((H, W), kernel, stride, padding, out_hw))
    view = windows(x_pad, kernel, stride, (1, 1), out_hw)  # (N, C, Ho, Wo, kh, kw)
    flat = view.reshape(N, C, H_out, W_out, kh * kw)  # (N, C, Ho, Wo, kh*kw), copies
    div = np.outer(
        pool_divisors(H, kh, sh, ph, H_out, count_include_pad),
        pool_divisors(W, kw, sw, pw, W_out, count_include_pad),
    ).astype(x.dtype)  # (Ho, Wo)
    out = flat.sum(axis=-1, dtype=x.dtype) / div
    return out, ("windows", (mode, x.shape, kernel, stride, padding, out_hw, div))


def _strided_views(a: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair):
    """One view per kernel position (r, c), row-major: a (N, C, Hp, Wp) → (N, C, Ho, Wo),
    element (i, j) being ``a[..., i*sh + r, j*sw + c]``."""
    (kh, kw), (sh, sw), (H_out, W_out) = kernel, stride, out_hw
    for r in range(kh):
        for c in range(kw):
            yield a[:, :, r : r + sh * (H_out - 1) + 1 : sh, c : c + sw * (W_out - 1) + 1 : sw]


def _overhang(size: Pair, kernel: Pair, stride: Pair, padding: Pair, out_hw: Pair) -> Pair:
    """How far a ``ceil_mode`` last window reaches past the padding, per axis (else 0)."""
    return tuple(
        max(0, (n_out - 1) * s + k - (n + 2 * p))
        for n, k, s, p, n_out in zip(size, kernel, stride, padding, out_hw, strict=True)
    )


def _padded(x: np.ndarray, mode: str, padding: Pair, extra: Pair) -> np.ndarray:
    """x padded by ``padding`` on each side and ``extra`` (a ceil-mode overhang) at the end,
    with what the mode ignores (-inf for max, +inf for min, 0 for average)."""
    (ph, pw), (eh, ew) = padding, extra
    if not (ph or pw or eh or ew):
        return x
    pad = ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew))
    return np.pad(x, pad, constant_values=_pad_value(mode, x.dtype))


def separable_pool_forward(x, mode: str, kernel: Pair, stride: Pair, padding: Pair, out_hw: Pair):
    """Max or min over (possibly overlapping, padded) windows, separably and with no padded
    copy: ``kh`` reductions of row views into the max down each window's column, then ``kw``
    of column views of that. Rows first: their views run contiguous, and the columns' strided
    views then read half as much (stride 2). Each kernel tap reduces only the outputs it
    reaches inside the input, so padding (and a ``ceil_mode`` overhang) is never read — it
    would only lose. ResNet's 3×3/2 pool on 64×112×112 at batch 1: 1.28 ms through a padded
    copy and its column phases, 0.76 ms this way; at batch 8, 21.8 → 17.1 ms (bench/README.md,
    "sixth round"). The backward finds the winners again by comparison.

    x: (N, C, H, W) → out: (N, C, Ho, Wo).
    """
    reduce = np.maximum if mode == "max" else np.minimum
    fill = _pad_value(mode, x.dtype)
    down = _taps(x, 2, kernel[0], stride[0], padding[0], out_hw[0], reduce, fill)
    return _taps(down, 3, kernel[1], stride[1], padding[1], out_hw[1], reduce, fill)


def _taps(x, axis: int, k: int, s: int, p: int, n_out: int, reduce, fill) -> np.ndarray:
    """Along ``axis`` of x (length n): ``out[j] = reduce over e of x[j*s + e - p]``, for the
    taps inside ``[0, n)`` only. x: (..., n, ...) → out: (..., n_out, ...), a new array."""
    n = x.shape[axis]

    def at(start: int, stop: int, step: int = 1):
        index = [slice(None)] * x.ndim
        index[axis] = slice(start, stop, step)
        return tuple(index)

    reach = []  # (tap's first and past-last output, its view of x), every tap that reaches one
    for e in range(k):
        lo = max(0, -((e - p) // s) if e < p else 0)  # first j with j*s + e - p >= 0
        hi = min(n_out, (n - 1 - (e - p)) // s + 1)  # past the last j with j*s + e - p < n
        if hi > lo:
            reach.append((lo, hi, x[at(lo * s + e - p, (hi - 1) * s + e - p + 1, s)]))
    shape = list(x.shape)
    shape[axis] = n_out
    full = [view for lo, hi, view in reach if (lo, hi) == (0, n_out)]
    if len(full) >= 2:  # the first pass writes the output: no fill
        out = reduce(full[0], full[1])
        rest = [r for r in reach if r[2] is not full[0] and r[2] is not full[1]]
    else:
        out = np.full(shape, fill, dtype=x.dtype)
        rest = reach
    for lo, hi, view in rest:
        reduce(out[at(lo, hi)], view, out=out[at(lo, hi)])
    return out


def strided_pool_backward(dout, x_pad, out, kernel: Pair, stride: Pair) -> np.ndarray:
    """Gradient of :func:`separable_pool_forward` on the padded input: each window's gradient to
    its first winner in row-major kernel order (``argmax``'s tie rule), found by comparing
    each kernel position's view with ``out``. dout: (N, C, Ho, Wo) → dx_pad: like x_pad."""
    dx_pad = np.zeros_like(x_pad, dtype=dout.dtype)  # (N, C, Hp, Wp)
    taken = np.zeros_like(out, dtype=bool)  # (N, C, Ho, Wo): windows whose winner is found
    out_hw = out.shape[2:]
    x_views = _strided_views(x_pad, kernel, stride, out_hw)
    dx_views = _strided_views(dx_pad, kernel, stride, out_hw)
    for x_view, dx_view in zip(x_views, dx_views, strict=True):
        hit = x_view == out  # (N, C, Ho, Wo)
        np.greater(hit, taken, out=hit)  # hit and not already taken: the first winner
        taken |= hit
        dx_view += dout * hit  # windows overlap: add
    return dx_pad


def pooled_output(cache: tuple | None) -> np.ndarray | None:
    """The output a :func:`pool2d_forward` cache keeps (max/min's), else None."""
    if cache is None or cache[0] not in ("tiled", "strided"):
        return None
    return cache[1][2]  # (mode, x or x_pad, out, ...)


def pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of :func:`pool2d_forward`.

    Max/min route each output's gradient to its winning input (the first, on ties); average
    spreads ``dout / divisor`` over the window. dout: (N, C, H_out, W_out) → dx: (N, C, H, W)
    """
    path, cache = cache
    if path == "tiled":
        return tiled_pool_backward(dout, cache)
    if path == "strided":
        mode, x, out, kernel, stride, (ph, pw) = cache
        H, W = x.shape[2:]
        extra = _overhang((H, W), kernel, stride, (ph, pw), out.shape[2:])
        dx_pad = strided_pool_backward(dout, _padded(x, mode, (ph, pw), extra), out, kernel, stride)
        return dx_pad[:, :, ph : ph + H, pw : pw + W]
    _, x_shape, (kh, kw), (sh, sw), (ph, pw), (H_out, W_out), div = cache  # average pooling
    N, C, H, W = x_shape
    Hp = max(H + 2 * ph, (H_out - 1) * sh + kh)
    Wp = max(W + 2 * pw, (W_out - 1) * sw + kw)
    dx_pad = np.zeros((N, C, Hp, Wp), dtype=dout.dtype)
    share = dout / div  # div: the divisors (Ho, Wo)
    for a in range(kh):  # kh*kw strided adds, each over all windows at once
        for c in range(kw):
            dx_pad[:, :, a : a + sh * H_out : sh, c : c + sw * W_out : sw] += share
    return dx_pad[:, :, ph : ph + H, pw : pw + W]


def global_pool_forward(x: np.ndarray, mode: str) -> tuple[np.ndarray, tuple]:
    """Pool each whole channel to one number.

    x: (N, C, H, W) → out: (N, C)
    """
    N, C, H, W = x.shape
    flat = x.reshape(N, C, H * W)  # (N, C, H*W)
    if mode == "avg":
        return flat.mean(axis=-1, dtype=x.dtype), (mode, x.shape, None)
    if mode != "max":
        raise ValueError(f"global pooling mode must be 'avg' or 'max', got {mode!r}")
    arg = flat.argmax(axis=-1)  # (N, C)
    return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0], (mode, x.shape, arg)


def global_pool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dout: (N, C) → dx: (N, C, H, W)"""
    mode, (N, C, H, W), arg = cache
    if mode == "avg":  # in the engine's batch-last memory, (C, H, W, N), as the layers below
        dx = np.empty((C, H, W, N), dtype=dout.dtype)  # read it: mixed orders cost 4-8×
        np.divide(dout.T[:, None, None, :], H * W, out=dx)  # (C, 1, 1, N) over (H, W)
        return dx.transpose(3, 0, 1, 2)  # (N, C, H, W) view
    dx = np.zeros((N, C, H * W), dtype=dout.dtype)
    np.put_along_axis(dx, arg[..., None], dout[..., None], axis=-1)
    return dx.reshape(N, C, H, W)  # (N, C, H*W) → (N, C, H, W)


def _naive_windows(x_shape, out_hw, kernel, stride, padding):
    """Every window of every channel, PyTorch's way, one at a time: ``(n, c, i, j, rows, cols,
    pool size)`` — output position (i, j) of channel c of image n reads ``x[n, c, rows][:, cols]``
    (the rows and columns inside the image) out of a window of ``pool size`` with padding."""
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    for n in range(N):
        for c in range(C):
            for i in range(out_hw[0]):
                for j in range(out_hw[1]):
                    r0, c0 = i * sh - ph, j * sw - pw
                    r1, c1 = min(r0 + kh, H + ph), min(c0 + kw, W + pw)
                    rows = [r for r in range(r0, r1) if 0 <= r < H]
                    cols = [c for c in range(c0, c1) if 0 <= c < W]
                    yield n, c, i, j, rows, cols, (r1 - r0) * (c1 - c0)


def pool2d_naive(
    x: np.ndarray,
    mode: str,
    kernel: Pair,
    stride: Pair,
    padding: Pair = (0, 0),
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    """Plain-loop reference for :func:`pool2d_forward`. x: (N, C, H, W) → (N, C, H_out, W_out)"""
    N, C, H, W = x.shape
    H_out, W_out = pool_output_shape((H, W), kernel, stride, padding, ceil_mode)
    reduce = {"max": max, "min": min}.get(mode)
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n, c, i, j, rows, cols, size in _naive_windows(
        x.shape, (H_out, W_out), kernel, stride, padding
    ):
        vals = [x[n, c, r, s] for r in rows for s in cols]
        if reduce is not None:
            out[n, c, i, j] = reduce(vals)
        else:
            out[n, c, i, j] = sum(vals) / (size if count_include_pad else len(vals))
    return out


def pool2d_backward_naive(
    x: np.ndarray,
    dout: np.ndarray,
    mode: str,
    kernel: Pair,
    stride: Pair,
    padding: Pair = (0, 0),
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    """Plain-loop reference for :func:`pool2d_backward`: per window, max/min send ``dout`` to
    the first winning pixel (row-major order), average shares it over its divisor.

    x: (N, C, H, W), dout: (N, C, H_out, W_out) → dx: (N, C, H, W)
    """
    dx = np.zeros_like(x, dtype=dout.dtype)
    for n, c, i, j, rows, cols, size in _naive_windows(
        x.shape, dout.shape[2:], kernel, stride, padding
    ):
        g = dout[n, c, i, j]
        if mode == "avg":
            div = size if count_include_pad else len(rows) * len(cols)
            for r in rows:
                for s in cols:
                    dx[n, c, r, s] += g / div
            continue
        best = None  # (row, column, value) of the winner so far
        for r in rows:
            for s in cols:
                v = x[n, c, r, s]
                if best is None or (v > best[2] if mode == "max" else v < best[2]):
                    best = (r, s, v)
        if best is not None:
            dx[n, c, best[0], best[1]] += g
    return dx
