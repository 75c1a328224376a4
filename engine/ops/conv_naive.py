"""The plain-loop convolution: the textbook twin every fast path is tested against.

``conv2d_naive`` (per example, per filter, per output pixel, per channel, per kernel offset)
and ``conv2d_backward_naive`` (each output pixel's ``dout`` flowing back to the weights and
input pixels it was made from). Slow on purpose; PyTorch's semantics (NCHW, cross-correlation,
weight (F, C/groups, kh, kw)).
"""

from __future__ import annotations

import numpy as np

from engine.shapes import Pair, output_shape


def _pad(x: np.ndarray, padding: Pair) -> np.ndarray:
    """Zero-pad H and W. x: (N, C, H, W) → (N, C, H + 2ph, W + 2pw)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def conv2d_naive(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1) -> np.ndarray:
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
