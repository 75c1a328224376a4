"""2-D convolution (cross-correlation, as in PyTorch): forward, backward and a slow twin.

Shapes::

    x:    (N, C, H, W)
    w:    (F, C, kh, kw)
    b:    (F,)
    out:  (N, F, H_out, W_out)
    H_out = floor((H + 2*ph - dh*(kh - 1) - 1) / sh) + 1     (likewise W_out)

The fast path is im2col + one BLAS matmul. The patch matrix is gathered from a strided
*view* of the padded input (no Python loop over pixels or batch items); the backward pass
scatters its column gradient back with one vectorised add per kernel position (kh*kw adds).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

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


def im2col(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> tuple[np.ndarray, Pair]:
    """Gather every receptive field into the columns of one matrix.

    x: (N, C, H, W) → cols: (C*kh*kw, N*H_out*W_out); row order (c, a, b) — the order of
    ``w.reshape(F, C*kh*kw)`` — and column order (n, i, j). This "channels-first" layout lets
    the backward pass get its column gradient from BLAS already in the order col2im reads.
    """
    N, C, H, W = x.shape
    (kh, kw), out_hw = kernel, output_shape((H, W), kernel, stride, padding, dilation)
    view = windows(_pad(x, padding), kernel, stride, dilation, out_hw)  # (N, C, Ho, Wo, kh, kw)
    cols = view.transpose(1, 4, 5, 0, 2, 3)  # (C, kh, kw, N, Ho, Wo), still a view
    cols = cols.reshape(C * kh * kw, N * out_hw[0] * out_hw[1])  # the one copy
    return cols, out_hw


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

    dcols: (C*kh*kw, N*H_out*W_out) → dx: (N, C, H, W)
    """
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    H_out, W_out = out_hw
    dcols = dcols.reshape(C, kh, kw, N, H_out, W_out)
    dx_pad = np.zeros((C, N, H + 2 * ph, W + 2 * pw), dtype=dcols.dtype)  # channels-first
    for a in range(kh):  # kh*kw strided adds, each covering every pixel of every image
        r0 = a * dh
        for b in range(kw):
            s0 = b * dw
            dx_pad[:, :, r0 : r0 + sh * H_out : sh, s0 : s0 + sw * W_out : sw] += dcols[:, a, b]
    dx = dx_pad[:, :, ph : ph + H, pw : pw + W].transpose(1, 0, 2, 3)  # (C, N, H, W) → (N, C, H, W)
    return np.ascontiguousarray(dx)


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
) -> tuple[np.ndarray, tuple]:
    """Convolve ``x`` with ``w``.

    x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) or None → out: (N, F, H_out, W_out)
    """
    N, C, H, W = x.shape
    F, Cw, kh, kw = w.shape
    if Cw != C:
        raise ValueError(f"input has {C} channels but the weight expects {Cw}: w.shape={w.shape}")
    cols, (H_out, W_out) = im2col(x, (kh, kw), stride, padding, dilation)
    out = w.reshape(F, C * kh * kw) @ cols  # (F, C*kh*kw) @ (C*kh*kw, N*Ho*Wo) → (F, N*Ho*Wo)
    if b is not None:
        out += b[:, None]
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)  # (N, F, Ho, Wo), a view
    cache = (x.shape, cols, w, b is not None, stride, padding, dilation, (H_out, W_out))
    return np.ascontiguousarray(out), cache


def conv2d_backward(
    dout: np.ndarray, cache: tuple, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv2d_forward`.

    dout: (N, F, H_out, W_out) → dx: (N, C, H, W) (None if not ``need_dx``),
    dw: (F, C, kh, kw), db: (F,) (None if the forward had no bias)
    """
    x_shape, cols, w, has_bias, stride, padding, dilation, out_hw = cache
    F, C, kh, kw = w.shape
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, -1)  # (F, N*Ho*Wo)
    dw = (dout_mat @ cols.T).reshape(w.shape)  # (F, C*kh*kw) → (F, C, kh, kw)
    db = dout_mat.sum(axis=1) if has_bias else None
    dx = None
    if need_dx:
        dcols = w.reshape(F, C * kh * kw).T @ dout_mat  # (C*kh*kw, N*Ho*Wo)
        dx = col2im(dcols, x_shape, (kh, kw), stride, padding, dilation, out_hw)
    return dx, dw, db


def conv2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
) -> np.ndarray:
    """The textbook loop: per example, per filter, per output pixel, per channel. Slow; a reference.

    x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) or None → (N, F, H_out, W_out)
    """
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    H_out, W_out = output_shape((H, W), (kh, kw), stride, padding, dilation)
    x_pad = _pad(x, padding)
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    total = 0.0 if b is None else b[f]
                    for c in range(C):
                        for a in range(kh):
                            for e in range(kw):
                                total += (
                                    x_pad[n, c, i * sh + a * dh, j * sw + e * dw] * w[f, c, a, e]
                                )
                    out[n, f, i, j] = total
    return out
