"""Tiled pooling: non-overlapping ``kh × kw`` windows (stride = kernel, no padding) — the usual
2×2 max-pool — forward and backward on strided views, with no window copy and no index array.

Shapes::

    x:    (N, C, kh*H_out (+ rows in no window), kw*W_out (+ columns))
    out:  (N, C, H_out, W_out), in x's memory order (batch-last in, batch-last out)

:mod:`engine.ops.pool` dispatches here; its plain loops ``pool2d_naive`` and
``pool2d_backward_naive`` are what both paths of the backward are tested against
(``tests/engine/test_fast_paths.py``, NCHW and batch-last, with ties).
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

from engine.ops.buffering import small_buffer
from engine.shapes import Pair, output_shape


def tiled_pool_fits(kernel: Pair, stride: Pair, padding: Pair) -> bool:
    """Whether the windows tile the input: stride equal to the kernel and no padding."""
    return kernel == stride and padding == (0, 0)


def tiled_pool_forward(x: np.ndarray, mode: str, kernel: Pair) -> tuple[np.ndarray, tuple]:
    """Pool non-overlapping ``kh × kw`` windows (stride = kernel, no padding).

    x: (N, C, H, W) → out: (N, C, H // kh, W // kw). Reduces the window's rows first — views
    whose rows are contiguous, so the passes vectorise — then its columns, on the smaller
    array; the first reduction of each writes a new array (no copy of a view first). Output and
    gradient keep x's memory order; on batch-last input every pass runs over contiguous runs of
    N, with NumPy's ufunc buffer small (:mod:`engine.ops.buffering`). The cache keeps ``x`` and
    ``out`` themselves (no copies): the backward pass finds the winners again by comparison.
    """
    N, C, H, W = x_shape = x.shape
    kh, kw = kernel
    H_out, W_out = output_shape((H, W), kernel, kernel, (0, 0))
    reduce = {"max": np.maximum, "min": np.minimum, "avg": np.add}[mode]
    x = x[:, :, : kh * H_out, : kw * W_out]  # (N, C, kh*Ho, kw*Wo): the rows/columns in windows
    with small_buffer() if runs_of_n(x) else nullcontext():
        rows = fold_views(reduce, [x[:, :, a::kh] for a in range(kh)])  # (N, C, Ho, kw*Wo)
        out = fold_views(reduce, [rows[..., c::kw] for c in range(kw)])  # (N, C, Ho, Wo)
    if mode == "avg":
        out /= kh * kw
    return out, (mode, x, out, kernel, x_shape)


def runs_of_n(x: np.ndarray) -> bool:
    """Whether x (N, C, H, W) is stored batch-last — (C, H, W, N) memory, N > 1 — so that its
    strided views run over contiguous runs of N values."""
    return x.shape[0] > 1 and x.strides[0] == x.itemsize


def fold_views(reduce, views: list[np.ndarray]) -> np.ndarray:
    """``reduce`` over equally shaped views, left to right, into a new array in their memory
    order (a copy of the one view if there is only one)."""
    if len(views) == 1:
        return views[0].copy(order="K")
    total = reduce(views[0], views[1])
    for view in views[2:]:
        reduce(total, view, out=total)
    return total


def tiled_pool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of :func:`tiled_pool_forward`. dout: (N, C, H_out, W_out) → dx: (N, C, H, W).

    Max/min: the winner of a window is the first position, in row-major kernel order, whose
    input equals the window's output — what ``argmax`` picks. On batch-last input the windows
    are axes of a view (:func:`_window_max_backward`); otherwise each window position's strided
    view of dx is written once (on NCHW memory the view's last axis would be kw values long).
    """
    mode, x, out, (kh, kw), (N, C, H, W) = cache
    H_out, W_out = out.shape[2:]
    covered = (kh * H_out == H) and (kw * W_out == W)  # every pixel lies in a window
    if covered:
        dx = dx_full = np.empty_like(x, dtype=dout.dtype)  # (N, C, H, W), x's memory order
    else:  # rows/columns outside every window get zero
        dx_full = np.zeros_like(x, dtype=dout.dtype, shape=(N, C, H, W))
        dx = dx_full[:, :, : kh * H_out, : kw * W_out]  # (N, C, kh*Ho, kw*Wo), a view
    if mode == "avg":
        share = dout / (kh * kw)  # (N, C, Ho, Wo)
        for a in range(kh):
            for c in range(kw):
                dx[:, :, a::kh, c::kw] = share
        return dx_full
    if runs_of_n(x):
        _window_max_backward(dout, x, out, dx)
        return dx_full
    taken = np.zeros_like(out, dtype=bool)  # (N, C, Ho, Wo): windows whose winner is found
    for a in range(kh):
        for c in range(kw):
            hit = x[:, :, a::kh, c::kw] == out  # (N, C, Ho, Wo)
            np.greater(hit, taken, out=hit)  # hit and not already taken: the first winner
            taken |= hit
            np.multiply(dout, hit, out=dx[:, :, a::kh, c::kw])
    return dx_full


def _window_max_backward(dout, x, out, dx) -> None:
    """Max/min backward of tiled windows on batch-last memory, into ``dx`` (like x).

    x, dx: (N, C, kh*Ho, kw*Wo) → views (N, C, Ho, kh, Wo, kw) (a split of two axes: no copy);
    ``out`` and ``dout`` (N, C, Ho, Wo) broadcast over the window axes. Every position equal to
    its window's output is a *hit* (one pass), :func:`first_hits_only` keeps each window's first,
    and dx is ``dout`` times the hits (one pass) — instead of a compare and a multiply per
    kernel position, each over runs of N.
    """
    N, C, H_out, W_out = out.shape
    kh, kw = x.shape[2] // H_out, x.shape[3] // W_out
    window_shape = (N, C, H_out, kh, W_out, kw)
    x_w = x.reshape(window_shape)
    hits = np.empty_like(x_w, dtype=bool)  # (N, C, Ho, kh, Wo, kw), in x's memory order
    np.equal(x_w, out[:, :, :, None, :, None], out=hits)
    first_hits_only(hits)
    np.multiply(dout[:, :, :, None, :, None], hits, out=dx.reshape(window_shape))


def first_hits_only(hits: np.ndarray) -> None:
    """Keep, in each window, only the first hit in row-major kernel order, in place.

    hits: (N, C, Ho, kh, Wo, kw) booleans. One ``taken`` array of windows (N, C, Ho, Wo);
    each later position keeps the hits of windows not yet taken.
    """
    kh, kw = hits.shape[3], hits.shape[5]
    positions = [hits[:, :, :, a, :, c] for a in range(kh) for c in range(kw)]  # (N, C, Ho, Wo)
    taken = positions[0].copy(order="K")
    for i, hit in enumerate(positions[1:], start=2):
        np.greater(hit, taken, out=hit)  # hit and not already taken
        if i < len(positions):
            taken |= hit
