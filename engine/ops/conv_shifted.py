"""A stride-1 convolution of one image over a large map, from ``kw`` column-shifted copies of
its input and one stacked product — no ``kh·kw``-fold patch matrix. Inference only (no cache).

Shapes::

    x:    (1, C, H, W)
    w:    (F, C, kh, kw)
    b:    (F,) or None
    out:  (1, F, Ho, Wo)         stride 1, dilation 1, padding (ph, pw)

Per block of output rows ``i0 .. i0 + r`` (input rows ``top = i0 - ph`` onwards, ``r + kh - 1``
of them, zero outside the input)::

    G[c, e, t, j] = x_pad[c, top + t, j + e]                 kw shifted copies: (C*kw, rows_in*Wo)
    Y[a, f] = W_a @ G,   W_a[f, (c, e)] = w[f, c, a, e]     one product: (kh*F, C*kw) @ G
    out[f, i0 + i, j] = sum over a of Y[a, f, (i + a)*Wo + j]     kh - 1 row-shifted adds

``G`` holds ``kw`` copies of the input where im2col's patch matrix holds ``kh·kw``; the product
does the same multiply-adds (plus ``kh - 1`` rows of each block's halo); the adds are passes
over the output. A bias rides in the product: a row of ones in ``G`` and a column of ``W_0``.
On this 2-core VM, against the im2col path (forward, batch 1, ms): 64 → 64 on 56² 1.71 →
1.22, on 112² 6.60 → 4.52, 128 → 128 on 56² 5.10 → 3.97, 32 → 64 on 56² 0.83 → 0.69; but
128 → 128 on 28² 1.18 → 1.21, 256 on 28² 3.94 → 4.24, 3 → 64 on 224² 1.47 → 5.93, 16 → 64 on
112² 1.47 → 1.70 (bench/README.md, "sixth round") — hence :func:`wanted`. Tested against
:func:`engine.ops.conv_naive.conv2d_naive`.
"""

from __future__ import annotations

import numpy as np

from engine.shapes import Pair, output_shape

MIN_CHANNELS = 32  # fewer input channels: the product's inner size C*kw is too small
MIN_OUTPUT_VALUES = 56 * 56  # per map: smaller maps lose in the row-shifted adds and halo
BLOCK_BYTES = 4 << 20  # G and Y of one block of output rows


def wanted(x: np.ndarray, w: np.ndarray, stride: Pair, padding: Pair, dilation: Pair) -> bool:
    """Whether :func:`conv_forward` is the faster path for this (ungrouped) convolution."""
    N, C, H, W = x.shape
    _, _, kh, kw = w.shape
    Ho, Wo = output_shape((H, W), (kh, kw), stride, padding, dilation)
    return (
        N == 1
        and tuple(stride) == (1, 1)
        and tuple(dilation) == (1, 1)
        and kh > 1
        and C >= MIN_CHANNELS
        and Ho * Wo >= MIN_OUTPUT_VALUES
    )


def conv_forward(x, w, b, padding: Pair, epilogue=None, budget: int | None = None) -> np.ndarray:
    """x: (1, C, H, W), w: (F, C, kh, kw), b: (F,) or None → out: (1, F, Ho, Wo) at stride 1.
    ``epilogue`` (:mod:`engine.ops.epilogue`): done to each block of output rows."""
    _, C, H, W = x.shape
    F, _, kh, kw = w.shape
    ph, pw = padding
    Ho, Wo = output_shape((H, W), (kh, kw), (1, 1), padding, (1, 1))
    dtype = np.result_type(x, w)
    ones = b is not None
    K = C * kw + ones
    w_rows = np.zeros((kh, F, K), dtype=dtype)  # W_a, with the bias in W_0's last column
    w_rows[:, :, : C * kw] = w.transpose(2, 0, 1, 3).reshape(kh, F, C * kw)
    if ones:
        w_rows[0, :, -1] = b
    w_rows = w_rows.reshape(kh * F, K)
    out = np.empty((F, Ho, Wo), dtype=dtype)
    row_bytes = (K + kh * F) * Wo * out.itemsize  # G and Y per input row
    per_block = max(1, (budget or BLOCK_BYTES) // row_bytes - (kh - 1))
    x3 = x[0]  # (C, H, W)
    for i0 in range(0, Ho, per_block):
        r = min(per_block, Ho - i0)
        rows_in, top = r + kh - 1, i0 - ph
        G = _shifted_copies(x3, top, rows_in, kw, pw, Wo, ones, dtype)  # (K, rows_in*Wo)
        Y = np.matmul(w_rows, G).reshape(kh, F, rows_in * Wo)
        block = out[:, i0 : i0 + r].reshape(F, r * Wo)
        np.add(Y[0, :, : r * Wo], Y[1, :, Wo : Wo + r * Wo], out=block)
        for a in range(2, kh):
            block += Y[a, :, a * Wo : a * Wo + r * Wo]
        if epilogue is not None:
            epilogue.apply(block)
    return out[None]


def _shifted_copies(x3, top: int, rows_in: int, kw: int, pw: int, Wo: int, ones: bool, dtype):
    """``G[(c, e), t*Wo + j] = x3[c, top + t, j + e - pw]`` (0 outside x3), and a last row of
    ones if ``ones``. x3: (C, H, W) → (C*kw + ones, rows_in*Wo)."""
    C, H, W = x3.shape
    G = np.empty((C * kw + ones, rows_in, Wo), dtype=dtype)
    Gc = G[: C * kw].reshape(C, kw, rows_in, Wo)
    t0, t1 = max(0, -top), min(rows_in, H - top)  # G rows holding input rows
    if t0 > 0:
        Gc[:, :, :t0] = 0
    if t1 < rows_in:
        Gc[:, :, max(t1, t0) :] = 0
    for e in range(kw):
        j0, j1 = max(0, pw - e), min(Wo, W + pw - e)  # G columns holding input columns
        if j0 > 0:
            Gc[:, e, :, :j0] = 0
        if j1 < Wo:
            Gc[:, e, :, max(j1, j0) :] = 0
        if t1 > t0 and j1 > j0:
            Gc[:, e, t0:t1, j0:j1] = x3[:, top + t0 : top + t1, j0 + e - pw : j1 + e - pw]
    if ones:
        G[-1] = 1
    return G.reshape(C * kw + ones, rows_in * Wo)
