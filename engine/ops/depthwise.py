"""Depthwise convolution (``groups == C == F``, MobileNet's 3×3 layers): each channel's patch
matrix times its own kernel, one block of output rows at a time, every channel in one batched
matrix product.

Shapes::

    x:     (N, C, H, W)
    w:     (C, 1, kh, kw)
    b:     (C,) or None
    out:   (N, C, H_out, W_out), batch-last in memory like every convolution's output
    cols:  (C, kh*kw, rows*W_out*N)   one block's patches, channel by channel

Each channel is convolved with its own kernel::

    out[c, i, j, n] = sum over (a, e) of w[c, 0, a, e] * x_pad[c, i*sh + a*dh, j*sw + e*dw, n]

so per block ``out[c] = w[c] @ cols[c]``: a ``(C, 1, kh*kw) @ (C, kh*kw, rows*W_out*N)``
stacked product over the block's patches, gathered as for the ungrouped convolution
(:class:`engine.ops.im2col.Blocks`: one copy of a strided view, in cache). That takes 0.5–0.7
times as long as kh*kw elementwise multiply-adds over strided views of every channel, which is
what backward still does: for kernel position (a, e), over every channel at once::

    dw[c, 0, a, e] = sum over (i, j, n) of dout[c, i, j, n] * x_pad[c, i*sh + a*dh, j*sw + e*dw, n]
    dx_pad[c, i*sh + a*dh, j*sw + e*dw, n] += w[c, 0, a, e] * dout[c, i, j, n]

(gathered blocks were no faster there: 0.8–1.3 times the time).

The grouped im2col path (one patch matrix and one tiny matrix product per channel, a Python
loop over up to 960 channels) is the twin it is tested against, with
:func:`engine.ops.conv_naive.conv2d_naive` and centred differences
(``tests/engine/test_layers_grouped_ceil.py``).
"""

from __future__ import annotations

from itertools import repeat
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from engine.ops.im2col import BLOCK_BYTES, Blocks, pad_batch_last
from engine.shapes import Pair, output_shape


class DepthwiseCache(NamedTuple):
    x_pad: np.ndarray  # (C, Hp, Wp, N), batch-last padded input
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


def depthwise_forward(x, w, b, stride: Pair, padding: Pair, dilation: Pair, budget=None):
    """x: (N, C, H, W), w: (C, 1, kh, kw), b: (C,) or None → out (N, C, H_out, W_out), cache.
    ``budget``: bytes of scratch per block (default :data:`BLOCK_BYTES`)."""
    N, C, H, W = x.shape
    kh, kw = w.shape[2:]
    hyper = (stride, padding, dilation)
    out_hw = output_shape((H, W), (kh, kw), stride, padding, dilation)
    dtype = np.result_type(x, w)
    x_pad = pad_batch_last(x.astype(dtype, copy=False), padding)  # (C, Hp, Wp, N)
    out = np.empty((C, *out_hw, N), dtype=dtype)  # (C, Ho, Wo, N)
    depthwise_rows(x_pad, w, b, hyper, out, slice(0, out_hw[0]), budget)
    cache = DepthwiseCache(x_pad, w, b is not None, hyper, x.shape)
    return out.transpose(3, 0, 1, 2), cache  # (N, C, Ho, Wo), a view


def depthwise_rows(x_pad, w, b, hyper, out, rows: slice, budget=None) -> None:
    """Fill ``out[:, rows]`` with the depthwise convolution of ``x_pad`` and touch nothing else.

    x_pad: (C, Hp, Wp, N), the padded batch-last input; w: (C, 1, kh, kw); b: (C,) or None;
    hyper: (stride, padding, dilation), the padding already in ``x_pad``; out: (C, H_out,
    W_out, N), C-contiguous; rows: output rows, step 1. ``budget``: bytes of scratch per block
    (default :data:`BLOCK_BYTES`). Two threads may fill disjoint ``rows`` of one ``out`` at once.
    """
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous (C, H_out, W_out, N)")
    start, stop, step = rows.indices(out.shape[1])
    if step != 1:
        raise ValueError(f"rows must have step 1, got {rows}")
    if start >= stop:
        return
    fill = _rows_by_shifts if _shifts_apply(x_pad, hyper) else _rows_by_patches
    fill(x_pad, w, b, hyper, out, slice(start, stop), budget or BLOCK_BYTES)


def _shifts_apply(x_pad, hyper) -> bool:
    """Whether :func:`_rows_by_shifts` can fill the rows: every tap a fixed offset in each
    channel's flat memory, positions at one stride (see the module docstring)."""
    (sh, sw), _, (dh, _) = hyper
    _, _, Wp, N = x_pad.shape
    return x_pad.flags.c_contiguous and sh == sw and (sh == 1 or N == 1) and dh * Wp * N % sh == 0


def _rows_by_shifts(x_pad, w, b, hyper, out, rows: slice, budget: int) -> None:
    """kw shifted copies of each channel's rows, one (kh, kw) product per channel, kh - 1 adds.

    G: (cb, kw + 1, span)  G[c, e, q] = x_flat[c, first + s*q + e*dw*N]; row kw is ones (bias)
    Y: (cb, kh, span)      Y[c, a] = w_aug[c, a] @ G[c]
    out[c, i, j, n] = sum over a of Y[c, a, (i - i0)*P + a*A + j*N + n]
    """
    C, Hp, Wp, N = x_pad.shape
    kh, kw = w.shape[2:]
    (s, _), _, (dh, dw) = hyper
    Wo, dtype = out.shape[2], out.dtype
    P, A = Wp * N, dh * Wp * N // s  # positions per output row, between kernel rows
    x_flat = x_pad.reshape(C, Hp * Wp * N)  # a view: x_pad is C-contiguous
    w_aug = np.zeros((C, kh, kw + 1), dtype=dtype)  # (C, kh, kw + 1): the bias in column kw
    w_aug[:, :, :kw] = w[:, 0]
    if b is not None:
        w_aug[:, 0, kw] = b
    per_row = (kw + 1 + kh) * P * out.itemsize  # scratch bytes per channel and output row
    step = max(1, min(budget // per_row, rows.stop - rows.start))
    item = x_flat.itemsize
    for i in range(rows.start, rows.stop, step):
        r = min(step, rows.stop - i)
        span = r * P + (kh - 1) * A  # positions the block's kh products may read
        first = s * i * P  # flat index of the block's first position
        # The last copy runs off the channel's end first; no output reads a column past that.
        used = min(span, (x_flat.shape[1] - 1 - first - (kw - 1) * dw * N) // s + 1)
        cb = max(1, min(C, budget // ((kw + 1 + kh) * span * item)))
        G = np.empty((cb, kw + 1, span), dtype=dtype)  # (cb, kw + 1, span)
        G[:, kw] = 1
        Y = np.empty((cb, kh, span), dtype=dtype)  # (cb, kh, span)
        for c0 in range(0, C, cb):
            n = min(cb, C - c0)
            copies = as_strided(  # (n, kw, used): copy e starts e*dw*N further on
                x_flat[c0:, first:], (n, kw, used), (x_flat.strides[0], dw * N * item, s * item), writeable=False
            )
            np.copyto(G[:n, :kw, :used], copies)
            np.matmul(w_aug[c0 : c0 + n], G[:n, :, :used], out=Y[:n, :, :used])
            block = out[c0 : c0 + n, i : i + r].reshape(n, r, Wo * N)  # a view
            taps = [Y[:n, a, a * A : a * A + r * P].reshape(n, r, P)[:, :, : Wo * N] for a in range(kh)]
            if kh == 1:
                np.copyto(block, taps[0])
                continue
            np.add(taps[0], taps[1], out=block)
            for tap in taps[2:]:
                block += tap


def _rows_by_patches(x_pad, w, b, hyper, out, rows: slice, budget: int) -> None:
    """Any stride: each block's patches gathered, ``(C, 1, kh*kw) @ (C, kh*kw, rows*Wo*N)``
    straight into the block's output rows."""
    C, _, kh, kw = w.shape
    blocks = Blocks(x_pad, (kh, kw), hyper, out.shape[1:3], budget)
    step = blocks.slices[0].stop  # output rows per block, as the buffer was sized
    w_c = w.reshape(C, 1, kh * kw).astype(out.dtype, copy=False)  # (C, 1, kh*kw)
    bias = None if b is None else b.astype(out.dtype, copy=False)[:, None, None]  # (C, 1, 1)
    for i in range(rows.start, rows.stop, step):
        block = slice(i, min(i + step, rows.stop))
        cols = blocks.cols(block).reshape(C, kh * kw, -1)  # (C, kh*kw, rows*Wo*N)
        out_rows = out[:, block].reshape(C, 1, -1)  # (C, 1, rows*Wo*N), a view
        np.matmul(w_c, cols, out=out_rows)
        if bias is not None:
            out_rows += bias  # while the block is in cache


def depthwise_backward(dout: np.ndarray, cache: DepthwiseCache, need_dx: bool = True):
    """Gradients of :func:`depthwise_forward`. dout: (N, C, H_out, W_out) →
    dx: (N, C, H, W) batch-last view or None, dw: (C, 1, kh, kw), db: (C,) or None."""
    x_pad, w, has_bias, hyper, x_shape = cache
    N, C, H, W = x_shape
    kernel = w.shape[2:]
    (ph, pw) = hyper[1]
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
