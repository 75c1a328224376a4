"""2-D convolution (cross-correlation, as in PyTorch): forward and backward, any groups.

Shapes::

    x:    (N, C, H, W)
    w:    (F, C/groups, kh, kw)
    b:    (F,)
    out:  (N, F, H_out, W_out)
    H_out = floor((H + 2*ph - dh*(kh - 1) - 1) / sh) + 1     (likewise W_out)

The ungrouped convolution is im2col + BLAS matmul in a **batch-last** memory order, one block
of output rows at a time (:mod:`engine.ops.im2col`): the patch matrix has the batch index
varying fastest, ``(C*kh*kw, rows*W_out*N)``, gathered from a padded ``(C, Hp, Wp, N)`` copy
of the input in contiguous runs of ``W_out*N`` values; the matmul's result is written straight
into the output's ``(F, H_out, W_out, N)`` memory, returned as an ``(N, F, H_out, W_out)`` view
with no transpose copy; and the backward reads ``dout`` in that same order for free.

Shapes are always NCHW; only the strides say batch-last. The ops downstream (ReLU, pooling,
flatten, dense) allocate outputs and gradients in their input's memory order (``order="K"``,
``np.empty_like``), so a whole network runs batch-last without a transpose, and code that
only indexes arrays never notices. At N = 1 the two orders are the same memory.

A stride-1 convolution with a kernel of 5×5 or more over a batch of small images (MNIST's and
LeNet's) goes through the discrete Fourier transform instead (:mod:`engine.ops.conv_dft`,
:func:`engine.ops.conv_dft.wanted`): 1.25–3.3× faster there, forward and backward, and float32
rounding apart from im2col's result.

``groups`` (PyTorch's: each of ``G`` groups convolves its ``C/G`` input channels with its
``F/G`` filters; ``groups == C``: depthwise) is decided here, once: ``groups == 1`` is the
im2col path itself; depthwise (one channel and one filter per group) is
:mod:`engine.ops.depthwise`, every channel at once (one stacked product per block); otherwise each
group is one call of the im2col path on a channel slice, written into one batch-last
``(F, H_out, W_out, N)`` output. ``w: (F, C/G, kh, kw)``; group g's filters
``g*F/G .. (g+1)*F/G - 1`` read channels ``g*C/G .. (g+1)*C/G - 1``.

The plain-loop references the fast paths are tested against are
:func:`engine.ops.conv_naive.conv2d_naive` and :func:`engine.ops.conv_naive.conv2d_backward_naive`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from engine.ops import conv_dft, conv_shifted, depthwise, im2col
from engine.shapes import Pair, output_shape


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
    x_pad_out: np.ndarray | None = None,
    epilogue=None,
    need_cache: bool = True,
) -> tuple[np.ndarray, tuple | None]:
    """Convolve ``x`` with ``w``.

    x: (N, C, H, W), w: (F, C/groups, kh, kw), b: (F,) or None → out: (N, F, H_out, W_out),
    a view of batch-last ``(F, H_out, W_out, N)`` memory (see the module docstring).
    ``x_pad_out``: an array to build the padded input in, if it has the right shape
    (ungrouped only); the cache keeps it (see :func:`scratch`). ``epilogue``: an inference
    forward's batch norm and clamp after the convolution (:mod:`engine.ops.epilogue`), done in
    place, per block where the path has blocks. ``need_cache=False`` (an inference forward,
    which drops the cache) lets one image over a large map take
    :mod:`engine.ops.conv_shifted`, which keeps none (the cache is then None).
    """
    hyper = (stride, padding, dilation)
    if groups == 1 and not need_cache and conv_shifted.wanted(x, w, stride, padding, dilation):
        return conv_shifted.conv_forward(x, w, b, padding, epilogue), None
    if groups == 1 and conv_dft.wanted(x, w, stride, padding, dilation):
        return conv_dft.conv_forward(x, w, b, padding, epilogue)
    if groups == 1:
        return im2col.conv_forward(x, w, b, hyper, x_pad_out, epilogue=epilogue)
    if depthwise.is_depthwise(x.shape, w.shape, groups):
        return depthwise.depthwise_forward(x, w, b, *hyper, epilogue=epilogue)
    Cg, Fg = _check_groups(x.shape, w.shape, groups)
    N = x.shape[0]
    H_out, W_out = output_shape(x.shape[2:], w.shape[2:], stride, padding, dilation)
    mem = np.empty((w.shape[0], H_out, W_out, N), dtype=np.result_type(x, w))  # batch-last
    caches = []
    for g in range(groups):
        bg = None if b is None else b[g * Fg : (g + 1) * Fg]
        out_g, cache_g = im2col.conv_forward(
            x[:, g * Cg : (g + 1) * Cg], w[g * Fg : (g + 1) * Fg], bg, hyper
        )
        mem[g * Fg : (g + 1) * Fg] = out_g.transpose(1, 2, 3, 0)  # (N, Fg, Ho, Wo) → batch-last
        caches.append(cache_g)
    if epilogue is not None:
        epilogue.apply(mem)  # (F, Ho, Wo, N): the whole output, channel-first
    return mem.transpose(3, 0, 1, 2), GroupedCache(caches, x.shape, Cg, Fg)


def conv2d_backward(
    dout: np.ndarray, cache: tuple, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv2d_forward`.

    dout: (N, F, H_out, W_out) → dx: (N, C, H, W) (None if not ``need_dx``; batch-last like
    the forward's output), dw: (F, C/groups, kh, kw), db: (F,) (None if the forward had no
    bias). The cached padded input is only read: once this returns, the caller may build the
    next forward's in it (:func:`scratch`).
    """
    if isinstance(cache, depthwise.DepthwiseCache):
        return depthwise.depthwise_backward(dout, cache, need_dx)
    if isinstance(cache, conv_dft.DftCache):
        return conv_dft.conv_backward(dout, cache, need_dx)
    if not isinstance(cache, GroupedCache):
        return im2col.conv_backward(dout, cache, need_dx)
    dws, dbs = [], []
    dx = np.zeros(cache.x_shape, dtype=dout.dtype) if need_dx else None
    Cg, Fg = cache.Cg, cache.Fg
    for g, cache_g in enumerate(cache.caches):
        dx_g, dw_g, db_g = im2col.conv_backward(dout[:, g * Fg : (g + 1) * Fg], cache_g, need_dx)
        if need_dx:
            dx[:, g * Cg : (g + 1) * Cg] = dx_g
        dws.append(dw_g)
        dbs.append(db_g)
    db = None if dbs[0] is None else np.concatenate(dbs)
    return dx, np.concatenate(dws), db


def scratch(cache: tuple) -> np.ndarray | None:
    """The padded input an ungrouped forward's cache holds (free to build the next forward's
    in, once the backward has spent it); None for a grouped or depthwise one, or when it is
    the forward's input itself (a pointwise convolution's)."""
    if isinstance(cache, (GroupedCache, depthwise.DepthwiseCache, conv_dft.DftCache)):
        return None
    return im2col.scratch(cache)
