"""The ungrouped convolution as im2col + matrix product, one block of output rows at a time.

Shapes::

    x:      (N, C, H, W)                 w: (F, C, kh, kw)        b: (F,)
    x_pad:  (C, Hp, Wp, N)               the padded input, batch last (what the cache keeps)
    cols:   (C*kh*kw, rows*W_out*N)      one block's patch matrix; rows (c, a, b), columns (i, j, n)
    out:    (F, H_out, W_out, N) memory, returned as its (N, F, H_out, W_out) view

The patch matrix of a whole batch is big — 226 MB for the colour model's conv2 at batch 256
(24 channels × 9 offsets × 32·32·256 columns) — and building it, multiplying it and reading it
again in backward all went through main memory. Here it is never whole: the output rows are
cut into blocks whose patch matrix is at most :data:`BLOCK_BYTES`, and each block is gathered,
multiplied (``out[:, rows] = w_mat @ cols``) and forgotten while it is still in cache. Backward
gathers each block again from the cached ``x_pad`` (nine times smaller than the patch matrix
for a 3×3 kernel) for ``dw += dout[:, rows] @ cols.T``, then overwrites it with the block's
column gradient ``w_mat.T @ dout[:, rows]`` and scatter-adds that onto ``dx_pad``: kh*kw adds of
``(C, rows, W_out, N)`` slices, in contiguous runs of ``W_out*N`` values at stride 1.

A 1×1 kernel at stride 1 without padding gathers nothing: its patch matrix *is* the
batch-last input, read in place (never written: see :func:`scratch`).

The twins the blocks are tested against are the loops of :mod:`engine.ops.conv_naive`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from engine.ops.buffering import small_buffer
from engine.shapes import Pair, output_shape

# The forward's product as ``cols.T @ w.T`` then turned back, for few filters over long patches
# (F ≤ TURN_MAX_F, C·kh·kw ≥ TURN_MIN_K, a block of ≥ TURN_MIN_COLUMNS columns): OpenBLAS runs
# that operand order faster there. MNIST conv2 (32 × 400) at 64 examples, one thread: 7.9 →
# 6.8 ms CPU; cifar10-bn's conv2 (32 × 216) even; batch 1 (196 columns) 8 % slower.
TURN_MAX_F, TURN_MIN_K, TURN_MIN_COLUMNS = 32, 256, 1024
BLOCK_BYTES = 4 << 20  # at most this many bytes of patch matrix at once: fits in L2 + L3


class Im2colCache(NamedTuple):
    """What the forward keeps for the backward (the patch matrix is gathered again)."""

    x_pad: np.ndarray  # (C, Hp, Wp, N); for a 1×1 kernel, x's own memory as (C, H, W, N)
    w: np.ndarray  # (F, C, kh, kw)
    has_bias: bool
    hyper: tuple  # (stride, padding, dilation)
    x_shape: tuple[int, int, int, int]
    out_hw: Pair


def pad_batch_last(x: np.ndarray, padding: Pair, out: np.ndarray | None = None) -> np.ndarray:
    """Zero-pad and reorder to batch-last. x: (N, C, H, W) → x_pad: (C, H + 2ph, W + 2pw, N).

    A plain copy when ``x`` is already batch-last (a view of ``(C, H, W, N)`` memory); a
    transposing copy otherwise (the network input, once). ``out``, a C-contiguous array of
    that shape and x's dtype, is filled (its border zeroed) instead of allocating a new one.
    """
    N, C, H, W = x.shape
    ph, pw = padding
    shape = (C, H + 2 * ph, W + 2 * pw, N)
    if out is None or out.shape != shape or out.dtype != x.dtype or not out.flags.c_contiguous:
        out = np.empty(shape, dtype=x.dtype)
    out[:, :ph], out[:, ph + H :], out[:, :, :pw], out[:, :, pw + W :] = 0, 0, 0, 0  # the border
    out[:, ph : ph + H, pw : pw + W, :] = x.transpose(1, 2, 3, 0)  # (N, C, H, W) → (C, H, W, N)
    return out


def is_pointwise(kernel: Pair, stride: Pair, padding: Pair) -> bool:
    """A 1×1 kernel at stride 1 without padding: the input is its own patch matrix."""
    return (*kernel, *stride, *padding) == (1, 1, 1, 1, 0, 0)


def patch_view(x_pad: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair):
    """Every kernel window of ``x_pad``, no copy. x_pad: (C, Hp, Wp, N) → read-only view
    (C, kh, kw, H_out, W_out, N): [c, a, b, i, j, n] is ``x_pad[c, i*sh + a*dh, j*sw + b*dw, n]``.
    """
    C, _, _, N = x_pad.shape
    (kh, kw), (sh, sw), (dh, dw), (H_out, W_out) = kernel, stride, dilation, out_hw
    sC, sH, sW, sN = x_pad.strides
    return as_strided(
        x_pad,
        shape=(C, kh, kw, H_out, W_out, N),
        strides=(sC, dh * sH, dw * sW, sh * sH, sw * sW, sN),
        writeable=False,
    )


def row_blocks(H_out: int, row_bytes: int, budget: int) -> list[slice]:
    """Output rows in blocks of at most ``budget`` bytes of patch matrix (at least one row)."""
    rows = max(1, budget // max(row_bytes, 1))
    return [slice(i, min(i + rows, H_out)) for i in range(0, H_out, rows)]


class Blocks:
    """The patch matrix of an ``x_pad``, block by block, gathered into one reused buffer
    (allocated at first use; a 1×1 kernel's blocks are views of the input, no buffer)."""

    def __init__(self, x_pad: np.ndarray, kernel: Pair, hyper: tuple, out_hw: Pair, budget=None):
        stride, padding, dilation = hyper
        C, N = x_pad.shape[0], x_pad.shape[3]
        (kh, kw), (H_out, W_out) = kernel, out_hw
        self.K = C * kh * kw  # rows of the patch matrix
        self.x_pad, self.row_values = x_pad, W_out * N  # patch columns per output row
        self.in_place = is_pointwise(kernel, stride, padding)  # x_pad is (C, H, W, N) = cols
        self.view = None if self.in_place else patch_view(x_pad, kernel, stride, dilation, out_hw)
        row_bytes = self.K * self.row_values * x_pad.itemsize
        self.slices = row_blocks(H_out, row_bytes, budget or BLOCK_BYTES)
        self._buffer: np.ndarray | None = None

    def _scratch(self, size: int) -> np.ndarray:
        """``size`` values of the one buffer, as long as the first (largest) block's."""
        if self._buffer is None:  # room for a row of ones below the patch rows
            rows = self.slices[0].stop - self.slices[0].start
            self._buffer = np.empty((self.K + 1) * rows * self.row_values, dtype=self.x_pad.dtype)
        return self._buffer[:size]

    def cols(self, rows: slice, ones: bool = False) -> np.ndarray:
        """The block's patch matrix: (C*kh*kw, rows*W_out*N), a C-contiguous copy (a view of
        the input for a 1×1 kernel: read only). ``ones``: with a row of ones below, (C*kh*kw
        + 1, rows*W_out*N), so that a product with ``[w | b]`` adds the bias (always a copy)."""
        if self.in_place and not ones:  # (C, rows, W, N) runs contiguous
            return self.x_pad[:, rows].reshape(self.K, -1)
        n = (rows.stop - rows.start) * self.row_values  # columns
        cols = self._scratch((self.K + ones) * n).reshape(self.K + ones, n)
        if self.in_place:
            np.copyto(cols[: self.K], self.x_pad[:, rows].reshape(self.K, -1))
        else:
            window = self.view[:, :, :, rows]  # (C, kh, kw, rows, Wo, N)
            np.copyto(cols[: self.K].reshape(window.shape), window)  # the gather, runs of W_out*N
        if ones:
            cols[self.K] = 1
        return cols

    def spare(self, rows: slice) -> np.ndarray:
        """The buffer as a writable (C*kh*kw, rows*W_out*N) block, e.g. for a column gradient."""
        size = self.K * (rows.stop - rows.start) * self.row_values
        return self._scratch(size).reshape(self.K, -1)


def _bias_in_product(w_mat: np.ndarray, out_values: int, pointwise: bool) -> bool:
    """Whether to add the bias inside the product (``[w | b] @ [cols; 1]``) rather than as a
    pass over the output: where copying the weights (once) costs less than that pass, and for a
    1×1 kernel, whose patches are otherwise the input itself, where copying the input costs
    less too (more filters than channels: MobileNetV2's expansions). Per-channel ``+ b`` runs at
    2–5 values per ns in NumPy, a contiguous copy at ~10; an expansion 16 → 96 at 112² with its
    ReLU6 took 0.54 ms this way against 0.63 (bench/README.md, "sixth round")."""
    F, K = w_mat.shape
    return w_mat.size <= out_values and (not pointwise or K + 1 <= F)


def conv_forward(x, w, b, hyper: tuple, x_pad_out=None, budget: int | None = None, epilogue=None):
    """One ungrouped convolution, ``hyper`` = (stride, padding, dilation).

    x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) or None → out: (N, F, H_out, W_out) (a view of
    batch-last memory), Im2colCache. ``x_pad_out``: a spare ``x_pad`` to fill (see :func:`scratch`);
    ``budget``: bytes of patch matrix per block (default :data:`BLOCK_BYTES`); ``epilogue``: an
    :class:`engine.ops.epilogue.Epilogue` done to each block of output rows after the bias.
    """
    stride, padding, dilation = hyper
    N, C, H, W = x.shape
    F, Cw, kh, kw = w.shape
    if Cw != C:
        raise ValueError(f"input has {C} channels but the weight expects {Cw}: w.shape={w.shape}")
    H_out, W_out = output_shape((H, W), (kh, kw), stride, padding, dilation)
    if is_pointwise((kh, kw), stride, padding):
        x_pad = x.transpose(1, 2, 3, 0)  # (C, H, W, N): a view if batch-last
        x_pad = x_pad if x_pad.flags.c_contiguous else np.ascontiguousarray(x_pad)
    else:
        x_pad = pad_batch_last(x, padding, x_pad_out)  # (C, Hp, Wp, N)
    blocks = Blocks(x_pad, (kh, kw), hyper, (H_out, W_out), budget)
    w_mat = w.reshape(F, C * kh * kw)
    out = np.empty((F, H_out, W_out, N), dtype=np.result_type(x, w))  # batch-last
    bias = None if b is None else b.astype(out.dtype, copy=False)[:, None]  # (F, 1)
    columns = (blocks.slices[0].stop - blocks.slices[0].start) * W_out * N  # in a block
    turned = F <= TURN_MAX_F and C * kh * kw >= TURN_MIN_K and columns >= TURN_MIN_COLUMNS
    ones = bias is not None and not turned and _bias_in_product(w_mat, out.size, blocks.in_place)
    if ones:  # the bias as one more column of weights, against a row of ones in the patches
        w_mat, bias = np.concatenate([w_mat, bias], axis=1), None  # (F, C*kh*kw + 1)
    for rows in blocks.slices:
        out_rows = out[:, rows].reshape(F, -1)  # (F, rows*Wo*N), a view
        cols = blocks.cols(rows, ones)  # (C*kh*kw [+ 1], rows*Wo*N)
        if turned:
            out_t = np.matmul(cols.T, w_mat.T).T  # (rows*Wo*N, F) → (F, rows*Wo*N) view
            if bias is None:
                np.copyto(out_rows, out_t)  # back to batch-last rows, while in cache
            else:
                np.add(out_t, bias, out=out_rows)  # turned back and the bias, in one pass
        else:
            np.matmul(w_mat, cols, out=out_rows)  # (F, C*kh*kw) @ (C*kh*kw, rows*Wo*N)
            if bias is not None:
                out_rows += bias  # while the block is in cache
        if epilogue is not None:
            epilogue.apply(out_rows)  # (F, rows*Wo*N), still in cache
    cache = Im2colCache(x_pad, w, b is not None, hyper, x.shape, (H_out, W_out))
    return out.transpose(3, 0, 1, 2), cache  # (F, Ho, Wo, N) → (N, F, Ho, Wo), a view


DW_ONLY_BLOCK_BYTES = 256 << 10  # a backward without dx (a first layer): blocks that stay in L2


def conv_backward(dout, cache: Im2colCache, need_dx: bool, budget: int | None = None):
    """Gradients of :func:`conv_forward`. dout: (N, F, H_out, W_out) → dx: (N, C, H, W) (a
    batch-last view; None if not ``need_dx``), dw: (F, C, kh, kw), db: (F,) or None."""
    x_pad, w, has_bias, hyper, x_shape, out_hw = cache
    stride, (ph, pw), dilation = hyper
    N, C, H, W = x_shape
    F, _, kh, kw = w.shape
    dout_bl = dout.transpose(1, 2, 3, 0)  # (F, Ho, Wo, N); free if batch-last
    # Without dx the blocks only feed dw's product, which reads them straight from L2 when
    # they are small (the MNIST net's conv1 at 64 examples: 1.16 → 0.86 ms); with dx the
    # block size hardly matters (bench/README.md, issue 23, third round).
    budget = budget or (BLOCK_BYTES if need_dx else DW_ONLY_BLOCK_BYTES)
    blocks = Blocks(x_pad, (kh, kw), hyper, out_hw, budget)
    w_mat = w.reshape(F, C * kh * kw)
    dw_mat = np.zeros((C * kh * kw, F), dtype=np.result_type(x_pad, dout))  # dw, transposed
    dx_pad = np.zeros((C, *x_pad.shape[1:3], N), dtype=dw_mat.dtype) if need_dx else None
    for rows in blocks.slices:
        i0, r = rows.start, rows.stop - rows.start
        dout_rows = dout_bl[:, rows].reshape(F, -1)  # (F, rows*Wo*N); a view if batch-last
        # dw += dout_rows @ cols.T, as (cols @ dout_rows.T): OpenBLAS runs this order faster
        dw_mat += blocks.cols(rows) @ dout_rows.T  # (C*kh*kw, F)
        if not need_dx:
            continue
        dcols = blocks.spare(rows)  # the patch block is spent: its column gradient goes there
        np.matmul(w_mat.T, dout_rows, out=dcols)  # (C*kh*kw, F) @ (F, rows*Wo*N)
        dcols = dcols.reshape(C, kh, kw, r, out_hw[1], N)  # (C*kh*kw, rows*Wo*N) → 6-D
        scatter_add(dx_pad, dcols, i0, stride, dilation)
    dw = dw_mat.T.reshape(w.shape)  # (C*kh*kw, F) → (F, C*kh*kw) → (F, C, kh, kw)
    db = dout_bl.sum(axis=(1, 2, 3)) if has_bias else None  # (F,)
    dx = None
    if need_dx:
        dx = dx_pad[:, ph : ph + H, pw : pw + W].transpose(3, 0, 1, 2)  # (N, C, H, W) view
    return dx, dw, db


def scatter_add(dx_pad, dcols, first_row: int, stride: Pair, dilation: Pair) -> None:
    """The adjoint of the gather, for one block: for every kernel offset (a, b),
    ``dx_pad[c, (first_row + t)*sh + a*dh, j*sw + b*dw, n] += dcols[c, a, b, t, j, n]``.

    dx_pad: (C, Hp, Wp, N), added to in place; dcols: (C, kh, kw, rows, W_out, N). kh*kw adds
    of (C, rows, W_out, N) slices, in runs of W_out*N values at stride 1, with NumPy's ufunc
    buffer small (:mod:`engine.ops.buffering`).
    """
    _, kh, kw, rows, W_out, _ = dcols.shape
    (sh, sw), (dh, dw) = stride, dilation
    with small_buffer():  # runs of W_out*N: ~3× faster than through NumPy's default buffer
        for a in range(kh):
            top = first_row * sh + a * dh  # the input row under the block's first output row
            dx_rows = dx_pad[:, top : top + sh * rows : sh]  # (C, rows, Wp, N), a view
            for b in range(kw):
                dx_b = dx_rows[:, :, b * dw : b * dw + sw * W_out : sw]  # (C, rows, Wo, N)
                dx_b += dcols[:, a, b]


def scratch(cache: Im2colCache) -> np.ndarray | None:
    """The cache's ``x_pad`` when it is the convolution's own (free to fill in the next forward
    once the backward has spent it); None when it is the forward's input (a 1×1 kernel's)."""
    pointwise = is_pointwise(cache.w.shape[2:], cache.hyper[0], cache.hyper[1])
    return None if pointwise else cache.x_pad
