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

from engine.ops.im2col import Blocks, pad_batch_last
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
    ``budget``: bytes of patches per block (default ``engine.ops.im2col.BLOCK_BYTES``)."""
    N, C, H, W = x.shape
    kh, kw = w.shape[2:]
    hyper = (stride, padding, dilation)
    out_hw = output_shape((H, W), (kh, kw), stride, padding, dilation)
    dtype = np.result_type(x, w)
    x_pad = pad_batch_last(x.astype(dtype, copy=False), padding)  # (C, Hp, Wp, N)
    blocks = Blocks(x_pad, (kh, kw), hyper, out_hw, budget)
    w_c = w.reshape(C, 1, kh * kw).astype(dtype, copy=False)  # (C, 1, kh*kw)
    out = np.empty((C, *out_hw, N), dtype=dtype)  # (C, Ho, Wo, N)
    for rows in blocks.slices:
        cols = blocks.cols(rows).reshape(C, kh * kw, -1)  # (C, kh*kw, rows*Wo*N)
        out[:, rows] = np.matmul(w_c, cols).reshape(C, -1, *out.shape[2:])  # (C, rows, Wo, N)
    if b is not None:
        out += b.astype(dtype, copy=False)[:, None, None, None]
    cache = DepthwiseCache(x_pad, w, b is not None, hyper, x.shape)
    return out.transpose(3, 0, 1, 2), cache  # (N, C, Ho, Wo), a view


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
