"""Convolution as a matrix: one output channel as a sparse weight matrix, and its dense view.

For one filter ``f`` on an input ``x: (C, H, W)`` the output map is ``M @ x.flatten() + b``
with ``M: (H_out*W_out, C*H*W)``. Row ``i*W_out + j`` holds the kernel weights its window
touches; everything else in the row is a structural zero (not trainable). Padding adds no
columns: a padded position simply has no entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.anatomy.windows import as_bias, as_volume, geometry, windows


@dataclass(frozen=True, eq=False)
class WeightMatrix:
    """The API's ``WeightMatrix``: ``M[row, col] = kernel[k]`` for each ``[row, col, k]`` entry.

    ``shape_in: (C, H, W)``, ``shape_out: (H_out, W_out)``, ``rows = H_out*W_out``,
    ``cols = C*H*W``; ``kernel: (C*kh*kw,)`` with ``k = c*kh*kw + a*kw + b``;
    ``entries: (nnz, 3)`` int64, sorted by row then ``k``. An entry is a trainable position,
    so a kernel weight that happens to be 0 still has its entries.
    """

    shape_in: tuple[int, int, int]
    shape_out: tuple[int, int]
    rows: int
    cols: int
    kernel: np.ndarray
    bias: float
    entries: np.ndarray

    @property
    def num_structural_zeros(self) -> int:
        """``rows*cols - nnz``: the cells no window reaches (zeros that are not trainable)."""
        return self.rows * self.cols - len(self.entries)

    def kernel_index(self) -> np.ndarray:
        """``(rows, cols)`` int64: which ``k`` connects each cell, ``-1`` for a structural zero."""
        index = np.full((self.rows, self.cols), -1, dtype=np.int64)
        row, col, k = self.entries.T  # each: (nnz,)
        index[row, col] = k
        return index

    def dense(self) -> np.ndarray:
        """``M: (rows, cols)`` float64."""
        return dense(self.entries, self.kernel, self.rows, self.cols)

    def matvec(self, x: np.ndarray) -> np.ndarray:
        """``M @ x.flatten() + bias``: ``(rows,)`` float64 for ``x: (C, H, W)``."""
        return matvec(self.entries, self.kernel, self.bias, x, self.rows)

    def to_dict(self) -> dict:
        """JSON-ready ``WeightMatrix`` (plain ints, floats and lists), with
        ``num_structural_zeros``."""
        return {
            "shape_in": list(self.shape_in),
            "shape_out": list(self.shape_out),
            "rows": self.rows,
            "cols": self.cols,
            "kernel": self.kernel.tolist(),
            "bias": self.bias,
            "entries": self.entries.tolist(),
            "num_structural_zeros": self.num_structural_zeros,
        }


def weight_matrix(kernel, bias, input_shape, stride=1, padding=0, dilation=1) -> WeightMatrix:
    """The weight matrix of one output channel.

    ``kernel: (C, kh, kw)`` (or ``(kh, kw)`` for one channel); ``input_shape: (C, H, W)``;
    ``stride``, ``padding``, ``dilation``: int or ``(h, w)`` pair as in PyTorch. Invariant:
    ``M @ x.flatten() + bias == conv(x)[f].flatten()`` for every ``x: (C, H, W)``.
    """
    w = as_volume(kernel, "kernel")  # w: (C, kh, kw)
    g = geometry(input_shape, w.shape, stride, padding, dilation)
    win = windows(g)
    row, k = np.nonzero(win.valid)  # each: (nnz,), row-major so sorted by row then k
    col = win.cols[row, k]  # col: (nnz,)
    entries = np.stack([row, col, k], axis=1).astype(np.int64)  # entries: (nnz, 3)
    return WeightMatrix(
        shape_in=(g.C, g.H, g.W),
        shape_out=(g.H_out, g.W_out),
        rows=g.P,
        cols=g.C * g.H * g.W,
        kernel=w.reshape(g.K),  # kernel: (C*kh*kw,)
        bias=as_bias(bias),
        entries=entries,
    )


def dense(entries: np.ndarray, kernel: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The ``(rows, cols)`` float64 matrix of the sparse ``entries: (nnz, 3)`` ``[row, col, k]``
    with ``kernel: (K,)``; every other cell a structural zero."""
    m = np.zeros((rows, cols))
    row, col, k = entries.T  # each: (nnz,)
    m[row, col] = kernel[k]
    return m


def matvec(entries, kernel, bias: float, x: np.ndarray, rows: int) -> np.ndarray:
    """``M @ x.flatten() + bias`` ``(rows,)`` float64 from the sparse ``entries`` ``[row, col, k]``
    of a weight matrix (a list or an ``(nnz, 3)`` array, as the API's ``WeightMatrix`` has them)
    and its flat ``kernel: (K,)``; a row whose window is all padding is just the bias.

    The plain-loop twin is ``M.dense() @ x.flatten() + bias`` (tests say they agree).
    """
    entries = np.asarray(entries, dtype=np.int64).reshape(-1, 3)  # entries: (nnz, 3)
    row, col, k = entries.T  # each: (nnz,)
    x_flat = np.asarray(x, dtype=np.float64).reshape(-1)  # x_flat: (C*H*W,)
    products = np.asarray(kernel, dtype=np.float64)[k] * x_flat[col]  # products: (nnz,)
    return np.bincount(row, weights=products, minlength=rows) + bias  # (rows,)


def structural_zeros(wm: WeightMatrix) -> np.ndarray:
    """``(rows*cols - nnz, 2)`` int64 ``[row, col]`` of every structural zero, row-major."""
    return np.argwhere(wm.kernel_index() < 0)


def dense_view(wm: WeightMatrix, list_zeros: bool = False) -> dict:
    """The dense-network view: every input connected to every output.

    ``edges`` are the trainable connections ``[row, col, k]`` (the matrix's entries, ``k``
    naming the shared kernel weight); every other (output, input) pair is a structural zero,
    counted in ``num_structural_zeros`` and listed as ``[row, col]`` only if ``list_zeros``.
    """
    view = {
        "rows": wm.rows,
        "cols": wm.cols,
        "edges": wm.entries.tolist(),
        "num_edges": len(wm.entries),
        "num_structural_zeros": wm.num_structural_zeros,
    }
    if list_zeros:
        view["structural_zeros"] = structural_zeros(wm).tolist()
    return view
