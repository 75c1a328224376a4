"""2-D convolution (cross-correlation, as in PyTorch): forward, backward and a slow twin.

Shapes::

    x:    (N, C, H, W)
    w:    (F, C, kh, kw)
    b:    (F,)
    out:  (N, F, H_out, W_out)
    H_out = floor((H + 2*ph - dh*(kh - 1) - 1) / sh) + 1     (likewise W_out)

The fast path is im2col + one BLAS matmul, in a **batch-last** memory order: the patch
matrix is ``cols: (C*kh*kw, H_out*W_out*N)`` with the batch index varying fastest, gathered
from a padded ``(C, Hp, Wp, N)`` copy of the input. Then, at stride 1, every row of ``cols``
is copied in contiguous runs of ``W_out*N`` values (exact windows in the usual (n, i, j) order
come in runs of ``W_out`` — 14 values for the shipped conv2 — and copy several times slower);
the matmul's result ``(F, H_out*W_out*N)`` *is* the output, returned as an ``(N, F, H_out,
W_out)`` view of that ``(F, H_out, W_out, N)`` memory with no transpose copy; and the backward
pass reads ``dout`` in that same order for free and scatters its column gradient back with
one vectorised add per kernel position (kh*kw adds), again in runs of ``W_out*N`` — the column
gradient made one kernel column at a time (:func:`col2im_of_product`), so it is added back
while still in cache instead of going out to memory whole.

Shapes are always NCHW; only the strides say batch-last. The ops downstream (ReLU, pooling,
flatten, dense) allocate outputs and gradients in their input's memory order (``order="K"``,
``np.empty_like``), so a whole network runs batch-last without a transpose, and code that
only indexes arrays never notices. At N = 1 the two orders are the same memory.

``groups`` (PyTorch's: each of ``G`` groups convolves its ``C/G`` input channels with its
``F/G`` filters; ``groups == C``: depthwise) is decided here, once: ``groups == 1`` is the
im2col path itself; depthwise (one channel and one filter per group) is
:mod:`engine.ops.depthwise`, kh*kw multiply-adds over every channel at once; otherwise each
group is one call of the im2col path on a channel slice, written into one batch-last
``(F, H_out, W_out, N)`` output. ``w: (F, C/G, kh, kw)``; group g's filters
``g*F/G .. (g+1)*F/G - 1`` read channels ``g*C/G .. (g+1)*C/G - 1``.

``conv2d_naive`` and ``conv2d_backward_naive`` are the plain-loop references the fast path is
tested against.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from engine.ops import depthwise
from engine.shapes import Pair, output_shape


def _pad(x: np.ndarray, padding: Pair) -> np.ndarray:
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def windows(
    x_pad: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair
) -> np.ndarray:
    """A strided view of every kernel window of an already padded input.

    x_pad: (N, C, Hp, Wp) → view: (N, C, H_out, W_out, kh, kw), no copy.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    H_out, W_out = out_hw
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = sliding_window_view(x_pad, span, axis=(2, 3))  # (N, C, Hp-span+1, Wp-span+1, sh', sw')
    return view[:, :, : sh * (H_out - 1) + 1 : sh, : sw * (W_out - 1) + 1 : sw, ::dh, ::dw]


def pad_batch_last(x: np.ndarray, padding: Pair) -> np.ndarray:
    """Zero-pad and reorder to batch-last. x: (N, C, H, W) → x_pad: (C, H + 2ph, W + 2pw, N).

    A plain copy when ``x`` is already batch-last (a view of ``(C, H, W, N)`` memory); a
    transposing copy otherwise (the network input, once).
    """
    N, C, H, W = x.shape
    ph, pw = padding
    x_pad = np.zeros((C, H + 2 * ph, W + 2 * pw, N), dtype=x.dtype)
    x_pad[:, ph : ph + H, pw : pw + W, :] = x.transpose(1, 2, 3, 0)  # (N, C, H, W) → (C, H, W, N)
    return x_pad


def im2col(
    x: np.ndarray,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, Pair]:
    """Gather every receptive field into the columns of one matrix, batch last.

    x: (N, C, H, W) → cols: (C*kh*kw, H_out*W_out*N); row order (c, a, b) — the order of
    ``w.reshape(F, C*kh*kw)`` — and column order (i, j, n). Column (i, j, n) holds
    ``x_pad[n, c, i*sh + a*dh, j*sw + b*dw]`` in row (c, a, b). ``out``, a C-contiguous
    array of that shape and x's dtype, is filled instead of a new one; otherwise ignored.
    A 1×1 kernel at stride 1 without padding needs no gather: ``cols`` is then ``x``'s own
    memory, a view when ``x`` is batch-last (never to be written: see :func:`patch_matrix`).
    """
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    H_out, W_out = output_shape((H, W), kernel, stride, padding, dilation)
    if (kh, kw, sh, sw) == (1, 1, 1, 1) and padding == (0, 0):  # pointwise: the input itself
        return x.transpose(1, 2, 3, 0).reshape(C, H * W * N), (H, W)  # free if batch-last
    x_pad = pad_batch_last(x, padding)  # (C, Hp, Wp, N)
    sC, sH, sW, sN = x_pad.strides
    view = as_strided(  # (C, kh, kw, H_out, W_out, N), a read-only view of every window
        x_pad,
        shape=(C, kh, kw, H_out, W_out, N),
        strides=(sC, dh * sH, dw * sW, sh * sH, sw * sW, sN),
        writeable=False,
    )
    shape = (C * kh * kw, H_out * W_out * N)
    fits = out is not None and out.shape == shape and out.dtype == x.dtype
    cols = out if fits and out.flags.c_contiguous else np.empty(shape, dtype=x.dtype)
    np.copyto(cols.reshape(view.shape), view)  # the one copy, in runs of W_out*N at stride 1
    return cols, (H_out, W_out)


def col2im(
    dcols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    out_hw: Pair,
) -> np.ndarray:
    """Adjoint of :func:`im2col`: scatter-add patch gradients back onto the input.

    dcols: (C*kh*kw, H_out*W_out*N) → dx: (N, C, H, W), a batch-last view (strides of
    ``(C, H, W, N)`` memory, cut out of the padded gradient).
    """
    N, C, H, W = x_shape
    (kh, kw), (H_out, W_out) = kernel, out_hw
    dcols = dcols.reshape(C, kh, kw, H_out, W_out, N)  # (C*kh*kw, Ho*Wo*N) → (C, kh, kw, Ho, Wo, N)
    return _scatter_columns(
        lambda b: dcols[:, :, b], x_shape, kernel, stride, padding, dilation, out_hw
    )


def col2im_of_product(
    w_mat: np.ndarray, dout_mat: np.ndarray, x_shape, kernel: Pair, hyper: tuple, out_hw: Pair
) -> np.ndarray:
    """``col2im(w_mat.T @ dout_mat, x_shape, kernel, *hyper, out_hw)`` without the whole
    column gradient in memory; ``hyper`` = (stride, padding, dilation).

    w_mat: (F, C*kh*kw), dout_mat: (F, H_out*W_out*N) → dx: (N, C, H, W), as :func:`col2im`.
    The product is made one kernel column ``b`` at a time — rows (c, a, b) of the column
    gradient, ``(C*kh, Ho*Wo*N)``: 1/kw of it, small enough to stay in cache for the adds that
    scatter it — instead of writing the whole ``(C*kh*kw, Ho*Wo*N)`` matrix out to memory and
    reading it back.
    """
    N, C, H, W = x_shape
    F = w_mat.shape[0]
    (kh, kw), (H_out, W_out) = kernel, out_hw
    w4 = w_mat.reshape(F, C, kh, kw)
    block = np.empty((C * kh, dout_mat.shape[1]), dtype=np.result_type(w_mat, dout_mat))

    def column(b: int) -> np.ndarray:  # → (C, kh, Ho, Wo, N): rows (c, a, b) of w_mat.T @ dout_mat
        w_b = w4[:, :, :, b].reshape(F, C * kh)  # (F, C*kh), a small copy
        np.matmul(w_b.T, dout_mat, out=block)  # (C*kh, F) @ (F, Ho*Wo*N)
        return block.reshape(C, kh, H_out, W_out, N)

    return _scatter_columns(column, x_shape, kernel, *hyper, out_hw)


def _scatter_columns(
    column, x_shape, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, out_hw: Pair
):
    """The adds of :func:`col2im`, the column gradient coming one kernel column at a time:
    ``column(b)`` → (C, kh, H_out, W_out, N), its rows (c, a, b). → dx: (N, C, H, W) view."""
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    H_out, W_out = out_hw
    Hp = H + 2 * ph
    dx_pad = None
    # Per kernel column b, first sum the kh row-shifted blocks into acc, whose rows are whole
    # (W_out*N values, contiguous), then add acc once at column offset b: kh*kw cheap adds
    # and kw into part-rows of dx_pad, instead of kh*kw part-row adds (about 3x slower each).
    for b in range(kw):
        cols_b = column(b)  # (C, kh, Ho, Wo, N)
        if dx_pad is None:
            dx_pad = np.zeros((C, Hp, W + 2 * pw, N), dtype=cols_b.dtype)  # (C, Hp, Wp, N)
            acc = np.empty((C, Hp, W_out, N), dtype=cols_b.dtype)  # (C, Hp, Wo, N)
        acc[...] = 0
        for a in range(kh):
            acc[:, a * dh : a * dh + sh * H_out : sh] += cols_b[:, a]  # (C, Ho, Wo, N)
        dx_pad[:, :, b * dw : b * dw + sw * W_out : sw] += acc  # (C, Hp, Wo, N)
    return dx_pad[:, ph : ph + H, pw : pw + W].transpose(3, 0, 1, 2)  # (C, H, W, N) → (N, C, H, W)


class GroupedCache(NamedTuple):
    """What a grouped forward keeps: one im2col cache per group, and the channel split."""

    caches: list
    x_shape: tuple[int, int, int, int]
    Cg: int  # input channels per group, C/G
    Fg: int  # filters per group, F/G


def _check_groups(x_shape, w_shape, groups: int) -> tuple[int, int]:
    """The channel split: (C/G, F/G), or a ValueError naming what does not divide."""
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


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
    groups: int = 1,
    cols_out: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple]:
    """Convolve ``x`` with ``w``.

    x: (N, C, H, W), w: (F, C/groups, kh, kw), b: (F,) or None → out: (N, F, H_out, W_out),
    a view of batch-last ``(F, H_out, W_out, N)`` memory (see the module docstring).
    ``cols_out``: an array to build the patch matrix in, if it has the right shape (see
    :func:`im2col`; ungrouped only); the cache keeps it (see :func:`patch_matrix`).
    """
    hyper = (stride, padding, dilation)
    if groups == 1:
        return _im2col_forward(x, w, b, hyper, cols_out)
    if depthwise.is_depthwise(x.shape, w.shape, groups):
        return depthwise.depthwise_forward(x, w, b, *hyper)
    Cg, Fg = _check_groups(x.shape, w.shape, groups)
    N = x.shape[0]
    H_out, W_out = output_shape(x.shape[2:], w.shape[2:], stride, padding, dilation)
    mem = np.empty((w.shape[0], H_out, W_out, N), dtype=np.result_type(x, w))  # batch-last
    caches = []
    for g in range(groups):
        bg = None if b is None else b[g * Fg : (g + 1) * Fg]
        out_g, cache_g = _im2col_forward(
            x[:, g * Cg : (g + 1) * Cg], w[g * Fg : (g + 1) * Fg], bg, hyper
        )
        mem[g * Fg : (g + 1) * Fg] = out_g.transpose(1, 2, 3, 0)  # (N, Fg, Ho, Wo) → batch-last
        caches.append(cache_g)
    return mem.transpose(3, 0, 1, 2), GroupedCache(caches, x.shape, Cg, Fg)


def conv2d_backward(
    dout: np.ndarray, cache: tuple, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv2d_forward`.

    dout: (N, F, H_out, W_out) → dx: (N, C, H, W) (None if not ``need_dx``; batch-last like
    the forward's output), dw: (F, C/groups, kh, kw), db: (F,) (None if the forward had no
    bias). The cached patch matrix is only read: once this returns, the caller may build the
    next forward's patch matrix in it (:func:`patch_matrix`).
    """
    if isinstance(cache, depthwise.DepthwiseCache):
        return depthwise.depthwise_backward(dout, cache, need_dx)
    if not isinstance(cache, GroupedCache):
        return _im2col_backward(dout, cache, need_dx)
    dws, dbs = [], []
    dx = np.zeros(cache.x_shape, dtype=dout.dtype) if need_dx else None
    Cg, Fg = cache.Cg, cache.Fg
    for g, cache_g in enumerate(cache.caches):
        dx_g, dw_g, db_g = _im2col_backward(dout[:, g * Fg : (g + 1) * Fg], cache_g, need_dx)
        if need_dx:
            dx[:, g * Cg : (g + 1) * Cg] = dx_g
        dws.append(dw_g)
        dbs.append(db_g)
    db = None if dbs[0] is None else np.concatenate(dbs)
    return dx, np.concatenate(dws), db


def patch_matrix(cache: tuple) -> np.ndarray | None:
    """The patch matrix an ungrouped forward's cache holds (free to build the next forward's
    in, once the backward has spent it); None for a grouped one, or when it is a view of the
    forward's input (a pointwise convolution's)."""
    if isinstance(cache, (GroupedCache, depthwise.DepthwiseCache)):
        return None
    cols = cache[1]
    return cols if cols.base is None else None  # a view is the input's memory (1×1): not ours


def _im2col_forward(x, w, b, hyper: tuple[Pair, Pair, Pair], cols_out=None):
    """One im2col convolution, ``hyper`` = (stride, padding, dilation).

    x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) or None → out: (N, F, H_out, W_out), cache.
    """
    stride, padding, dilation = hyper
    N, C, H, W = x.shape
    F, Cw, kh, kw = w.shape
    if Cw != C:
        raise ValueError(f"input has {C} channels but the weight expects {Cw}: w.shape={w.shape}")
    cols, (H_out, W_out) = im2col(x, (kh, kw), stride, padding, dilation, out=cols_out)
    out = w.reshape(F, C * kh * kw) @ cols  # (F, C*kh*kw) @ (C*kh*kw, Ho*Wo*N) → (F, Ho*Wo*N)
    if b is not None:
        out += b.astype(out.dtype, copy=False)[:, None]
    out = out.reshape(F, H_out, W_out, N).transpose(3, 0, 1, 2)  # (N, F, Ho, Wo), a view
    cache = (x.shape, cols, w, b is not None, stride, padding, dilation, (H_out, W_out))
    return out, cache


def _im2col_backward(dout, cache: tuple, need_dx: bool):
    """Gradients of :func:`_im2col_forward`. dout: (N, F, H_out, W_out) → dx, dw, db."""
    x_shape, cols, w, has_bias, stride, padding, dilation, out_hw = cache
    F, C, kh, kw = w.shape
    dout_mat = dout.transpose(1, 2, 3, 0).reshape(F, -1)  # (F, Ho*Wo*N); free if batch-last
    # dw = dout_mat @ cols.T, computed as (cols @ dout_mat.T).T: the same product, in the
    # operand order OpenBLAS runs faster for this short-and-wide shape.
    dw = (cols @ dout_mat.T).T.reshape(w.shape)  # (C*kh*kw, F) → (F, C*kh*kw) → (F, C, kh, kw)
    db = dout_mat.sum(axis=1) if has_bias else None  # (F,)
    dx = None
    if need_dx:
        w_mat = w.reshape(F, C * kh * kw)
        hyper = (stride, padding, dilation)
        dx = col2im_of_product(w_mat, dout_mat, x_shape, (kh, kw), hyper, out_hw)
    return dx, dw, db


def conv2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
    groups: int = 1,
) -> np.ndarray:
    """The textbook loop: per example, per filter, per output pixel, per channel. Slow; a reference.

    Output channel f reads input channels ``(f // (F/G)) * C/G + c``, c < C/G (all C when
    ``groups`` is 1).

    x: (N, C, H, W), w: (F, C/groups, kh, kw), b: (F,) or None → (N, F, H_out, W_out)
    """
    N, C, H, W = x.shape
    F, Cg, kh, kw = w.shape
    Fg = F // groups
    (sh, sw), (dh, dw) = stride, dilation
    H_out, W_out = output_shape((H, W), (kh, kw), stride, padding, dilation)
    x_pad = _pad(x, padding)
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            first = (f // Fg) * Cg  # the first input channel of f's group
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


def conv2d_backward_naive(
    x: np.ndarray,
    w: np.ndarray,
    dout: np.ndarray,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The textbook loop for the gradients: each output pixel's ``dout`` flows back to the
    weights and input pixels it was made from. Slow; a reference.

    x: (N, C, H, W), w: (F, C, kh, kw), dout: (N, F, H_out, W_out) →
    dx: (N, C, H, W), dw: (F, C, kh, kw), db: (F,)
    """
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw_) = stride, padding, dilation
    _, _, H_out, W_out = dout.shape
    x_pad = _pad(x, padding)
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    db = np.zeros(F, dtype=dout.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    g = dout[n, f, i, j]
                    db[f] += g
                    for c in range(C):
                        for a in range(kh):
                            for e in range(kw):
                                r, s = i * sh + a * dh, j * sw + e * dw_
                                dw[f, c, a, e] += x_pad[n, c, r, s] * g
                                dx_pad[n, c, r, s] += w[f, c, a, e] * g
    return dx_pad[:, :, ph : ph + H, pw : pw + W], dw, db
