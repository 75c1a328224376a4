"""Pooling: max, min and average over sliding windows, and global pooling.

Shapes::

    x:    (N, C, H, W)
    out:  (N, C, H_out, W_out)
    H_out = floor((H + 2*ph - (kh - 1) - 1) / sh) + 1     (likewise W_out)

Semantics follow PyTorch: max/min pooling ignores padded positions (they act as -inf/+inf);
average pooling counts them as zeros (``count_include_pad=True``), dividing by kh*kw.
"""

from __future__ import annotations

import numpy as np

from engine.ops.conv import windows
from engine.shapes import Pair, output_shape

MODES = ("max", "min", "avg")


def _pad_value(mode: str, dtype) -> float:
    if mode == "max":
        return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min
    if mode == "min":
        return np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).max
    return 0.0


def pool2d_forward(
    x: np.ndarray, mode: str, kernel: Pair, stride: Pair, padding: Pair = (0, 0)
) -> tuple[np.ndarray, tuple]:
    """Pool every ``kh × kw`` window.

    x: (N, C, H, W) → out: (N, C, H_out, W_out)
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    N, C, H, W = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"padding {padding!r} must be at most half the kernel size {kernel!r}")
    out_hw = output_shape((H, W), kernel, stride, padding)
    x_pad = x
    if ph or pw:
        pad = ((0, 0), (0, 0), (ph, ph), (pw, pw))
        x_pad = np.pad(x, pad, constant_values=_pad_value(mode, x.dtype))
    view = windows(x_pad, kernel, stride, (1, 1), out_hw)  # (N, C, Ho, Wo, kh, kw)
    flat = view.reshape(N, C, out_hw[0], out_hw[1], kh * kw)  # (N, C, Ho, Wo, kh*kw), copies
    if mode == "avg":
        out = flat.mean(axis=-1, dtype=x.dtype)
        return out, (mode, x.shape, kernel, stride, padding, out_hw, None)
    arg = flat.argmax(axis=-1) if mode == "max" else flat.argmin(axis=-1)  # (N, C, Ho, Wo)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, (mode, x.shape, kernel, stride, padding, out_hw, arg)


def pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of :func:`pool2d_forward`.

    Max/min route each output's gradient to its winning input (the first, on ties); average
    spreads it evenly over the window. dout: (N, C, H_out, W_out) → dx: (N, C, H, W)
    """
    mode, x_shape, (kh, kw), (sh, sw), (ph, pw), (H_out, W_out), arg = cache
    N, C, H, W = x_shape
    dx_pad = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=dout.dtype)
    for a in range(kh):  # kh*kw strided adds, each over all windows at once
        for c in range(kw):
            if mode == "avg":
                share = dout / (kh * kw)
            else:  # the windows whose winner sits at kernel position (a, c)
                share = np.where(arg == a * kw + c, dout, 0)  # (N, C, Ho, Wo)
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
    if mode == "avg":
        dx = np.broadcast_to(dout[..., None] / (H * W), (N, C, H * W))
        return np.ascontiguousarray(dx).reshape(N, C, H, W)
    dx = np.zeros((N, C, H * W), dtype=dout.dtype)
    np.put_along_axis(dx, arg[..., None], dout[..., None], axis=-1)
    return dx.reshape(N, C, H, W)  # (N, C, H*W) → (N, C, H, W)


def pool2d_naive(
    x: np.ndarray, mode: str, kernel: Pair, stride: Pair, padding: Pair = (0, 0)
) -> np.ndarray:
    """Plain-loop reference for :func:`pool2d_forward`. x: (N, C, H, W) → (N, C, H_out, W_out)"""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    H_out, W_out = output_shape((H, W), kernel, stride, padding)
    reduce = {"max": max, "min": min}.get(mode)
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    vals = []
                    for a in range(kh):
                        for e in range(kw):
                            r, s = i * sh + a - ph, j * sw + e - pw
                            if 0 <= r < H and 0 <= s < W:
                                vals.append(x[n, c, r, s])
                            elif mode == "avg":
                                vals.append(0.0)
                    out[n, c, i, j] = sum(vals) / (kh * kw) if reduce is None else reduce(vals)
    return out
