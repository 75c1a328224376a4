"""Depthwise convolution (``groups == C == F``, MobileNet's 3×3 layers): every channel
convolved with its own kernel, one block of output rows and channels at a time.

Shapes::

    x:     (N, C, H, W)
    w:     (C, 1, kh, kw)
    b:     (C,) or None
    out:   (N, C, H_out, W_out), batch-last in memory like every convolution's output

Each channel is convolved with its own kernel::

    out[c, i, j, n] = sum over (a, e) of w[c, 0, a, e] * x_pad[c, i*sh + a*dh, j*sw + e*dw, n]

These layers are memory-bound (MobileNetV2's do 9 multiply-adds per output), so the forward
counts passes over memory. :func:`depthwise_rows` fills a block of output rows from the
*unpadded* input in three steps, per block of channels whose scratch fits in cache::

    G[c, e, t, j, n] = x_pad[c, top + t, j*sw + e*dw, n]      kw column-shifted copies of the
                                                              block's input rows (padding: 0)
    Y[c, a] = sum over e of w[c, 0, a, e] * G[c, e]           one (kh, kw) @ (kw, rows_in*Wo*N)
                                                              product per channel (+ bias)
    out[c, i, j, n] = sum over a of Y[c, a, i*sh + a*dh, j, n]    kh - 1 adds of row-shifted Y

kw copies of the input rows instead of kh*kw of the output (an im2col gather), and the adds
write the output rows in place. The patch matrix (``(C, 1, kh*kw) @ (C, kh*kw, rows*W_out*N)``,
gathered per block) took 1.5–2× the time at stride 1 and about the same at stride 2; kh*kw
elementwise multiply-adds of strided views took longer still (NumPy's passes run at ~10 values
per ns even in L1). Figures: bench/README.md, "Issue 23, third round". Backward still does the
multiply-adds, for kernel position (a, e), over every channel at once::

    dw[c, 0, a, e] = sum over (i, j, n) of dout[c, i, j, n] * x_pad[c, i*sh + a*dh, j*sw + e*dw, n]
    dx_pad[c, i*sh + a*dh, j*sw + e*dw, n] += w[c, 0, a, e] * dout[c, i, j, n]

(gathered blocks were no faster there: 0.8–1.3 times the time).

The grouped im2col path (one patch matrix and one tiny matrix product per channel, a Python
loop over up to 960 channels) is the twin it is tested against, with
:func:`engine.ops.conv_naive.conv2d_naive` and centred differences
(``tests/engine/test_layers_grouped_ceil.py``, ``tests/engine/test_depthwise_rows.py``).
"""

from __future__ import annotations

from itertools import repeat
from typing import NamedTuple

import numpy as np

from engine.ops.im2col import pad_batch_last
from engine.shapes import Pair, output_shape

BLOCK_BYTES = 1 << 20  # scratch (G and Y) per block of rows and channels: fits in L2


class DepthwiseCache(NamedTuple):
    x: np.ndarray  # (N, C, H, W), the input: backward pads it (inference never needs that)
    w: np.ndarray  # (C, 1, kh, kw)
    has_bias: bool
    hyper: tuple[Pair, Pair, Pair]  # stride, padding, dilation
    x_shape: tuple[int, int, int, int]


def is_depthwise(x_shape, w_shape, groups: int) -> bool:
    """Whether a grouped convolution is depthwise: one input channel and one filter per group."""
    return groups > 1 and groups == x_shape[1] == w_shape[0] and w_shape[1] == 1


def _views(x_pad: np.ndarray, kernel: Pair, hyper, out_hw: Pair):
    """Yield ((a, e), view) per kernel position: x_pad (C, Hp, Wp, N) → view (C, Ho, Wo, N)."""
    (kh, kw), ((sh, sw), _, (dh, dw)), (H_out, W_out) = kernel, hyper, out_hw
    for a in range(kh):
        for e in range(kw):
            r, c = a * dh, e * dw
            yield (
                (a, e),
                x_pad[:, r : r + sh * (H_out - 1) + 1 : sh, c : c + sw * (W_out - 1) + 1 : sw],
            )


def depthwise_forward(
    x, w, b, stride: Pair, padding: Pair, dilation: Pair, budget=None, epilogue=None
):
    """x: (N, C, H, W), w: (C, 1, kh, kw), b: (C,) or None → out (N, C, H_out, W_out), cache.
    ``budget``: bytes of scratch per block (default :data:`BLOCK_BYTES`); ``epilogue``: an
    :class:`engine.ops.epilogue.Epilogue` done to each block of the output."""
    N, C, H, W = x.shape
    kh, kw = w.shape[2:]
    hyper = (stride, padding, dilation)
    out_hw = output_shape((H, W), (kh, kw), stride, padding, dilation)
    dtype = np.result_type(x, w)
    x = x.astype(dtype, copy=False)
    out = np.empty((C, *out_hw, N), dtype=dtype)  # (C, Ho, Wo, N)
    x_bl = x.transpose(1, 2, 3, 0)  # (C, H, W, N), a view if batch-last
    depthwise_rows(x_bl, w, b, hyper, out, slice(0, out_hw[0]), budget, epilogue)
    cache = DepthwiseCache(x, w, b is not None, hyper, x.shape)
    return out.transpose(3, 0, 1, 2), cache  # (N, C, Ho, Wo), a view


def depthwise_rows(x, w, b, hyper, out, rows: slice, budget=None, epilogue=None) -> None:
    """Fill ``out[:, rows]`` with the depthwise convolution of ``x`` and touch nothing else.

    x: (C, H, W, N), the *unpadded* batch-last input (any strides); w: (C, 1, kh, kw);
    b: (C,) or None; hyper: (stride, padding, dilation); out: (C, H_out, W_out, N),
    C-contiguous; rows: output rows, step 1; ``budget``: bytes of scratch per block (default
    :data:`BLOCK_BYTES`). Threads may fill disjoint ``rows`` of one ``out`` at once. Per block
    (see the module docstring)::

        G: (cb, kw + bias, rows_in, W_out, N)   G[c, e, t, j, n] = x_pad[c, top + t, j*sw + e*dw, n]
        Y: (cb, kh, rows_in, W_out*N)           Y[c] = w_aug[c] @ G[c]; w_aug: (C, kh, kw + bias)
        out[c, i, j, n] = sum over a of Y[c, a, (i - i0)*sh + a*dh, j, n]

    with the bias as a row of ones in G and a column of w_aug's first kernel row; then the
    ``epilogue`` (:mod:`engine.ops.epilogue`), if any, on each block while it is in cache.
    """
    start, stop, step = rows.indices(out.shape[1])
    if step != 1 or not out.flags.c_contiguous:
        raise ValueError(f"rows must have step 1 ({rows}) and out be C-contiguous (C, Ho, Wo, N)")
    C, H, W, N = x.shape
    kh, kw = w.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = hyper
    Wo, dtype, K = out.shape[2], out.dtype, kw + (b is not None)
    w_aug = np.zeros((C, kh, K), dtype=dtype)  # (C, kh, kw + bias)
    w_aug[:, :, :kw] = w[:, 0]
    if b is not None:
        w_aug[:, 0, kw] = b
    # per e: G's columns j0:j1 hold x's columns x0, x0 + sw, ...; the others are padding
    columns = []
    for e in range(kw):
        j0 = min(Wo, max(0, -((e * dw - pw) // sw)))  # first j with j*sw + e*dw - pw >= 0
        j1 = max(j0, min(Wo, -((e * dw - pw - W) // sw)))  # first j with j*sw + e*dw - pw >= W
        columns.append((e, j0, j1, j0 * sw + e * dw - pw))
    budget = budget or BLOCK_BYTES
    row_bytes = (K + kh) * sh * Wo * N * out.itemsize  # scratch per channel and output row
    per_block = max(1, min(budget // row_bytes, stop - start))  # output rows per block
    for i in range(start, stop, per_block):
        r = min(per_block, stop - i)
        top = i * sh - ph  # x's row under the block's first input row (< 0: padding)
        rows_in = (r - 1) * sh + (kh - 1) * dh + 1
        t0 = min(rows_in, max(0, -top))  # G's rows t0:t1 hold x's rows top + t0 : top + t1
        t1 = max(t0, min(rows_in, H - top))
        span = rows_in * Wo * N
        cb = max(1, min(C, budget // ((K + kh) * span * out.itemsize)))  # channels per block
        G = np.empty((cb, K, rows_in, Wo, N), dtype=dtype)
        if b is not None:
            G[:, kw:] = 1
        if t0 > 0:  # the padding, never overwritten by the copies below (empty parts skipped)
            G[:, :kw, :t0] = 0
        if t1 < rows_in:
            G[:, :kw, t1:] = 0
        for e, j0, j1, _ in columns:
            if j0 > 0:
                G[:, e, :, :j0] = 0
            if j1 < Wo:
                G[:, e, :, j1:] = 0
        Y = np.empty((cb, kh, rows_in, Wo * N), dtype=dtype)
        for c0 in range(0, C, cb):
            n = min(cb, C - c0)
            for e, j0, j1, x0 in columns:
                if t1 > t0 and j1 > j0:  # (n, t1 - t0, j1 - j0, N)
                    G[:n, e, t0:t1, j0:j1] = x[c0 : c0 + n, top + t0 : top + t1, x0::sw][
                        :, :, : j1 - j0
                    ]
            # (n, kh, K) @ (n, K, rows_in*Wo*N) → (n, kh, rows_in*Wo*N)
            np.matmul(w_aug[c0 : c0 + n], G[:n].reshape(n, K, span), out=Y[:n].reshape(n, kh, span))
            block = out[c0 : c0 + n, i : i + r].reshape(n, r, Wo * N)  # a view
            taps = [Y[:n, a, a * dh : a * dh + (r - 1) * sh + 1 : sh] for a in range(kh)]
            if kh == 1:
                np.copyto(block, taps[0])
            else:
                np.add(taps[0], taps[1], out=block)
                for tap in taps[2:]:
                    block += tap
            if epilogue is not None:
                epilogue.apply(block, slice(c0, c0 + n))


def depthwise_backward(dout: np.ndarray, cache: DepthwiseCache, need_dx: bool = True):
    """Gradients of :func:`depthwise_forward`. dout: (N, C, H_out, W_out) →
    dx: (N, C, H, W) batch-last view or None, dw: (C, 1, kh, kw), db: (C,) or None."""
    x, w, has_bias, hyper, x_shape = cache
    N, C, H, W = x_shape
    kernel = w.shape[2:]
    (ph, pw) = hyper[1]
    x_pad = pad_batch_last(x, (ph, pw))  # (C, Hp, Wp, N)
    d = dout.transpose(1, 2, 3, 0)  # (C, Ho, Wo, N); free if batch-last
    out_hw = d.shape[1:3]
    dtype = np.result_type(dout, w)
    dw = np.empty((C, *kernel), dtype=dtype)  # (C, kh, kw)
    dx_pad = np.zeros_like(x_pad, dtype=dtype) if need_dx else None  # (C, Hp, Wp, N)
    w_c = w.reshape(C, *kernel).astype(dtype, copy=False)
    x_views = _views(x_pad, kernel, hyper, out_hw)
    dx_views = _views(dx_pad, kernel, hyper, out_hw) if need_dx else repeat((None, None))
    for ((a, e), view), (_, dx_view) in zip(x_views, dx_views, strict=False):
        dw[:, a, e] = np.einsum("chwn,chwn->c", d, view)  # sum over positions and batch
        if need_dx:
            dx_view += d * w_c[:, a, e, None, None, None]  # (C, Ho, Wo, N)
    db = d.sum(axis=(1, 2, 3)) if has_bias else None
    dx = None
    if need_dx:
        dx = dx_pad[:, ph : ph + H, pw : pw + W].transpose(3, 0, 1, 2)  # (N, C, H, W), a view
    return dx, dw.reshape(w.shape), db
