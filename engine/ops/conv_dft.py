"""A stride-1 convolution through the discrete Fourier transform, for batches of small images
and kernels of 5×5 or more (the MNIST and LeNet layers): forward and backward.

Shapes (the engine's batch-last memory, as :mod:`engine.ops.im2col`)::

    x: (N, C, H, W)   w: (F, C, kh, kw)   b: (F,)   out: (N, F, H_out, W_out)
    x_pad: (C, P, Q, N), P = H + 2ph, Q = W + 2pw: the periods of the transform
    H_out = P - kh + 1, W_out = Q - kw + 1 (stride and dilation 1)

The correlation ``y[f, i, j] = sum over c, a, b of w[f, c, a, b] x_pad[c, i + a, j + b]`` is,
for ``i < H_out`` and ``j < W_out``, the circular one of period (P, Q), whose transform is a
product per frequency (the correlation theorem)::

    Y[u, v, f] = sum over c of conj(Wf[u, v, f, c]) X[u, v, c]       u < P, v < Q // 2 + 1

So each of the P·(Q//2 + 1) frequencies ("bins") is one small product ``(F, C) @ (C, N)``, in
real arithmetic ``(2F, 2C) @ (2C, N)`` — 5×5 kernels on 14×14 images take 7× fewer multiplies
there than im2col's product. The transforms themselves are matrix products with the real DFT
matrices (cos and −sin rows), one along H and one along W, and the inverse reads only the rows
and columns it needs (the valid outputs; the unpadded input rows for the gradient). Backward is
the same machinery: ``dX = sum over f of Wf dY`` (the adjoint, a circular convolution; ``dY``
zero beyond the valid outputs, so nothing wraps) and ``dWf = sum over n of conj(dY) X``, whose
inverse is read at the kernel's kh × kw offsets only.

Float32 throughout, with the DFT matrices built in float64 and rounded once: results agree with
the loops (:mod:`engine.ops.conv_naive`) to float32 rounding of the sums (~1e-6 relative), as
PyTorch's Winograd and FFT convolutions do. :func:`wanted` says where this path is used.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

MIN_KERNEL = 25  # kh * kw: 3×3 kernels gain too little against the transforms (bench/README.md)
MAX_COST_RATIO = 0.85  # used where its multiply-adds are at most this share of im2col's
MIN_BATCH = 16  # below this a layer's few images leave the transforms' products too small
MAX_PERIOD = 64  # P, Q: the transforms' cost grows with the side, the saving does not


class DftCache(NamedTuple):
    X: np.ndarray  # (P*V, 2C, N): the input's transform, [real; imaginary] per bin
    Wf: np.ndarray  # (P*V, 2, F, C): the weights' transform
    w: np.ndarray  # (F, C, kh, kw)
    has_bias: bool
    padding: tuple[int, int]
    x_shape: tuple[int, int, int, int]


def wanted(x, w, stride, padding, dilation) -> bool:
    """Whether :func:`conv_forward` is the path for this convolution (else im2col)."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    if x.dtype != np.float32 or w.dtype != np.float32:
        return False
    P, Q = H + 2 * padding[0], W + 2 * padding[1]
    return (
        tuple(stride) == (1, 1)
        and tuple(dilation) == (1, 1)
        and kh * kw >= MIN_KERNEL
        and N >= MIN_BATCH
        and max(P, Q) <= MAX_PERIOD
        and kh <= P
        and kw <= Q
        and cost_ratio(C, F, (H, W), (kh, kw), padding) <= MAX_COST_RATIO
    )


def cost_ratio(C: int, F: int, hw, kernel, padding) -> float:
    """Multiply-adds of this path's forward and weight gradient over im2col's, per image (the
    input gradient left out: a first layer has none). Transforms: along H ``2P`` per value,
    along W ``4V`` per column; the bins ``4·P·V·F·C``. Against measured time ratios (one
    thread, 64 images) from 0.3 to 4.3 it picks the faster path in each case of
    bench/README.md's table."""
    (H, W), (kh, kw) = hw, kernel
    P, Q = H + 2 * padding[0], W + 2 * padding[1]
    V, Ho, Wo = Q // 2 + 1, P - kh + 1, Q - kw + 1
    into = (2 * P * H * W + 4 * V * W * P, 2 * P * Ho * Wo + 4 * V * Wo * P)  # x, dY transforms
    bins = 4 * P * V * F * C
    out = 4 * Ho * P * V + 4 * V * Ho * Wo  # the inverse, per output map
    dft = C * into[0] + bins + F * out + F * into[1] + bins
    return dft / (2 * F * C * kh * kw * Ho * Wo)


@lru_cache(maxsize=64)
def _forward_matrix(P: int, bins: int) -> np.ndarray:
    """(2·bins, P) float32: rows ``cos(2π u t / P)`` then ``-sin(2π u t / P)``, u < bins."""
    angle = 2 * np.pi * np.outer(np.arange(bins), np.arange(P)) / P
    return np.concatenate([np.cos(angle), -np.sin(angle)]).astype(np.float32)


@lru_cache(maxsize=64)
def _inverse_rows(P: int, first: int, count: int) -> np.ndarray:
    """(count, 2P) float32: for t = first.., ``[cos, -sin](2π u t / P) / P`` over u < P."""
    angle = 2 * np.pi * np.outer(np.arange(first, first + count), np.arange(P)) / P
    return (np.concatenate([np.cos(angle), -np.sin(angle)], axis=1) / P).astype(np.float32)


@lru_cache(maxsize=64)
def _inverse_half(Q: int, first: int, count: int) -> np.ndarray:
    """(2, count, V) float64, V = Q // 2 + 1: the real inverse along an axis of period Q from its
    V non-negative bins (the others are their conjugates): ``c_v (cos, -sin)(2π v t / Q) / Q``
    with ``c_v = 2`` except at v = 0 and v = Q/2."""
    V = Q // 2 + 1
    weight = np.full(V, 2.0)
    weight[0] = 1.0
    if Q % 2 == 0:
        weight[-1] = 1.0
    angle = 2 * np.pi * np.outer(np.arange(first, first + count), np.arange(V)) / Q
    return np.stack([np.cos(angle), -np.sin(angle)]) * weight / Q


def dft2(a: np.ndarray, P: int, Q: int, at: tuple[int, int] = (0, 0)) -> np.ndarray:
    """The transform of period (P, Q) of ``a``: (C, h, w, N), any strides, placed at rows and
    columns ``at`` of a zero (C, P, Q, N) — the zeros are never written: only the DFT matrices'
    columns under ``a`` are used. → (P*V, 2C, N): per bin (u, v) its [real; imaginary] rows."""
    C, h, w, N = a.shape
    (r, c), V = at, Q // 2 + 1
    a = np.ascontiguousarray(a).reshape(C, h, w * N)
    A = np.matmul(_forward_matrix(P, P)[:, r : r + h], a)  # (C, 2P, w*N): along H
    A = np.ascontiguousarray(A.reshape(C, 2, P, w, N).transpose(3, 1, 2, 0, 4))  # (w, 2, P, C, N)
    B = _forward_matrix(Q, V)[:, c : c + w] @ A.reshape(w, -1)  # (2V, 2*P*C*N): along W
    B = B.reshape(2, V, 2, P, C, N)  # (W part, v, H part, u, C, N)
    out = np.empty((P, V, 2, C, N), dtype=np.float32)
    real, imag = out[:, :, 0].transpose(1, 0, 2, 3), out[:, :, 1].transpose(1, 0, 2, 3)
    np.subtract(B[0, :, 0], B[1, :, 1], out=real)  # (v, u, C, N)
    np.add(B[1, :, 0], B[0, :, 1], out=imag)
    return out.reshape(P * V, 2 * C, N)


def idft2(Y: np.ndarray, P: int, Q: int, rows: tuple[int, int], cols: tuple[int, int]):
    """The real inverse of :func:`dft2`'s layout, read at ``rows`` (first, count) and ``cols``.
    Y: (P*V, 2F, N) → (F, rows, cols, N) float32 view. Two products, no elementwise pass:

        R[t, h] = sum over u of (cos, -sin)[h](2π u t / P) / P · Y[u]      along H
        y[t, j] = sum over (h, v, r) of M[j, h, v, r] R[t, h, v, r]        along W, real part

    where R's (h, r) pairs combine into the real and imaginary parts of the H inverse
    (``Zr = R00 + R11``, ``Zi = R01 - R10``) inside M."""
    F2, N = Y.shape[1:]
    F, V, t = F2 // 2, Q // 2 + 1, rows[1]
    R = _inverse_rows(P, *rows).reshape(2 * t, P) @ Y.reshape(P, V * F2 * N)  # (t·h, v·r·F·N)
    y = np.matmul(_inverse_cols(Q, *cols), R.reshape(t, 4 * V, F * N))  # (t, cols, F*N)
    return y.reshape(t, cols[1], F, N).transpose(2, 0, 1, 3)


@lru_cache(maxsize=64)
def _inverse_cols(Q: int, first: int, count: int) -> np.ndarray:
    """(count, 2·V·2) float32: :func:`idft2`'s M, axes (j, h, v, r)."""
    cos_w, msin_w = _inverse_half(Q, first, count)  # (count, V) each: c_v cos / Q, -c_v sin / Q
    M = np.empty((count, 2, len(cos_w[0]), 2))
    M[:, 0, :, 0], M[:, 1, :, 1] = cos_w, cos_w
    M[:, 0, :, 1], M[:, 1, :, 0] = msin_w, -msin_w
    return M.reshape(count, -1).astype(np.float32)


def _weights(w: np.ndarray, P: int, Q: int) -> np.ndarray:
    """w: (F, C, kh, kw) → its transform, (P*V, 2, F, C): [real, imaginary] per bin. The
    F·C kernels are the batch axis of one :func:`dft2`."""
    F, C, kh, kw = w.shape
    kernels = w.astype(np.float32, copy=False).reshape(1, F * C, kh, kw).transpose(0, 2, 3, 1)
    return dft2(kernels, P, Q).reshape(-1, 2, F, C)  # kernels: (1, kh, kw, F*C)


def _blocks(Wf: np.ndarray, conj: bool, transpose: bool) -> np.ndarray:
    """Real block matrices of ``conj(Wf)`` (forward) or ``Wf`` transposed (backward's dX):
    (bins, 2F, 2C) or (bins, 2C, 2F), multiplying [Re; Im] stacks."""
    re, im = Wf[:, 0], Wf[:, 1]  # (bins, F, C)
    if transpose:
        re, im = re.transpose(0, 2, 1), im.transpose(0, 2, 1)
    if conj:
        im = -im
    top = np.concatenate([re, -im], axis=2)
    bottom = np.concatenate([im, re], axis=2)
    return np.concatenate([top, bottom], axis=1)


def conv_forward(x, w, b, padding, epilogue=None):
    """x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) or None → out (N, F, H_out, W_out) (a view
    of batch-last memory), DftCache. Stride and dilation 1."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    (ph, pw) = padding
    P, Q = H + 2 * ph, W + 2 * pw
    H_out, W_out = P - kh + 1, Q - kw + 1
    X = dft2(x.transpose(1, 2, 3, 0), P, Q, (ph, pw))  # (bins, 2C, N); the padding is implied
    Wf = _weights(w, P, Q)
    Y = np.matmul(_blocks(Wf, conj=True, transpose=False), X)  # (bins, 2F, N)
    y = idft2(Y, P, Q, (0, H_out), (0, W_out))  # (F, H_out, W_out, N) view
    out = np.empty((F, H_out, W_out, N), dtype=np.float32)  # batch-last
    if b is None:
        np.copyto(out, y)
    else:
        np.add(y, b.astype(np.float32)[:, None, None, None], out=out)
    if epilogue is not None:
        epilogue.apply(out)
    cache = DftCache(X, Wf, w, b is not None, (ph, pw), x.shape)
    return out.transpose(3, 0, 1, 2), cache


def conv_backward(dout, cache: DftCache, need_dx: bool):
    """dout: (N, F, H_out, W_out) → dx (N, C, H, W) batch-last view or None, dw, db."""
    X, Wf, w, has_bias, (ph, pw), (N, C, H, W) = cache
    F, _, kh, kw = w.shape
    P, Q = H + 2 * ph, W + 2 * pw
    d = dout.transpose(1, 2, 3, 0)  # (F, H_out, W_out, N); free if batch-last
    G = dft2(d.astype(np.float32, copy=False), P, Q)  # (bins, 2F, N); dY is 0 past the outputs
    # dWf = sum_n conj(G) X: [Gr; Gi] @ [Xr; Xi]^T, then Re = GrXr + GiXi, Im = GrXi - GiXr
    Qm = np.matmul(G, X.transpose(0, 2, 1))  # (bins, 2F, 2C)
    dWf = np.empty((Qm.shape[0], 2, F, C), dtype=np.float32)
    np.add(Qm[:, :F, :C], Qm[:, F:, C:], out=dWf[:, 0])
    np.subtract(Qm[:, :F, C:], Qm[:, F:, :C], out=dWf[:, 1])
    dWf = dWf.reshape(-1, 2 * F * C, 1)  # as (bins, 2·maps, 1) for the inverse
    dw = idft2(dWf, P, Q, (0, kh), (0, kw))  # (F*C, kh, kw, 1)
    dw = np.ascontiguousarray(dw[..., 0]).reshape(w.shape)
    db = d.sum(axis=(1, 2, 3)) if has_bias else None
    dx = None
    if need_dx:
        dX = np.matmul(_blocks(Wf, conj=False, transpose=True), G)  # (bins, 2C, N)
        dx_bl = np.ascontiguousarray(idft2(dX, P, Q, (ph, H), (pw, W)))  # (C, H, W, N)
        dx = dx_bl.transpose(3, 0, 1, 2)
    return dx, dw.astype(w.dtype, copy=False), db
