"""Resizing feature maps (PyTorch's ``F.interpolate``, ONNX's Resize): nearest or bilinear.

Along each spatial axis an output index ``o`` reads input position ``s(o)`` by the coordinate
transform ONNX names (``scale`` is output size over input size unless a scale factor was given):

- ``asymmetric``: ``s = o / scale`` (PyTorch's ``nearest``);
- ``half_pixel``: ``s = (o + 0.5) / scale - 0.5`` (``bilinear``, ``align_corners=False``);
- ``pytorch_half_pixel``: the same, but 0 where the output has one entry;
- ``align_corners``: ``s = o * (n_in - 1) / (n_out - 1)``.

Nearest takes the entry ``s`` rounds to (``nearest_mode``: ``floor``, ``ceil``,
``round_prefer_floor``, ``round_prefer_ceil``); bilinear mixes the two entries around ``s``
(clamped to the axis, as PyTorch and onnxruntime do). Either way one axis's resize is a matrix
``A (n_out, n_in)`` — 0/1 rows for nearest, two weights summing to 1 for linear — so the
forward is ``y = A_h x A_wᵀ`` and the backward ``dx = A_hᵀ dy A_w``.

Shapes: x: (N, C, H, W) → y: (N, C, H_out, W_out).
"""

from __future__ import annotations

import math

import numpy as np

COORDINATES = ("asymmetric", "half_pixel", "pytorch_half_pixel", "align_corners")
NEAREST_MODES = ("floor", "ceil", "round_prefer_floor", "round_prefer_ceil")
MODES = ("nearest", "bilinear")


def source_positions(n_in: int, n_out: int, coordinate: str, scale: float | None = None):
    """``s(o)`` for every output index ``o``: (n_out,) float64 positions on the input axis.
    A position within 1e-9 of a whole number is that number (13.5 · 13/27 − 0.5 is 6, not
    5.999…, so it reads row 6 alone rather than row 5 with a weight of 1e-16)."""
    o = np.arange(n_out, dtype=np.float64)
    scale = n_out / n_in if scale is None else float(scale)
    if coordinate == "asymmetric":
        s = o / scale
    elif coordinate == "align_corners":
        s = o * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    elif coordinate == "pytorch_half_pixel" and n_out == 1:
        s = np.zeros(1)
    else:  # half_pixel, pytorch_half_pixel
        s = (o + 0.5) / scale - 0.5
    whole = np.round(s)
    return np.where(np.abs(s - whole) < 1e-9, whole, s)


def _nearest_index(s: np.ndarray, mode: str) -> np.ndarray:
    if mode == "floor":
        return np.floor(s)
    if mode == "ceil":
        return np.ceil(s)
    frac_half = np.isclose(s - np.floor(s), 0.5, rtol=0.0, atol=1e-9)
    rounded = np.floor(s + 0.5)
    return np.where(frac_half, np.floor(s) if mode == "round_prefer_floor" else np.ceil(s), rounded)


def axis_matrix(
    n_in: int,
    n_out: int,
    mode: str,
    coordinate: str,
    nearest_mode: str = "floor",
    scale: float | None = None,
) -> np.ndarray:
    """``A (n_out, n_in)`` float64: row ``o`` holds the weights output ``o`` gives each input."""
    s = source_positions(n_in, n_out, coordinate, scale)
    A = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "nearest":
        A[rows, np.clip(_nearest_index(s, nearest_mode), 0, n_in - 1).astype(np.int64)] = 1.0
        return A
    s = np.clip(s, 0.0, n_in - 1)
    lo = np.floor(s).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    t = s - lo
    np.add.at(A, (rows, lo), 1.0 - t)
    np.add.at(A, (rows, hi), t)
    return A


def nearest_indices(A: np.ndarray) -> np.ndarray:
    """The input index each row of a nearest matrix reads: (n_out,) int64."""
    return A.argmax(axis=1)


def resize_forward(
    x: np.ndarray, A_h: np.ndarray, A_w: np.ndarray, nearest: bool
) -> tuple[np.ndarray, tuple]:
    """x: (N, C, H, W), A_h: (H_out, H), A_w: (W_out, W), in x's dtype → y: (N, C, H_out,
    W_out), cache. Nearest picks entries (exact, whatever the values: no 0 × inf); bilinear
    multiplies."""
    if nearest:
        y = x[:, :, nearest_indices(A_h)][:, :, :, nearest_indices(A_w)]
    else:
        y = np.matmul(A_h, np.matmul(x, A_w.T))  # (N, C, H, W_out), then (N, C, H_out, W_out)
    return y, (A_h, A_w)


def resize_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dout: (N, C, H_out, W_out) → dx: (N, C, H, W) = A_hᵀ dout A_w."""
    A_h, A_w = cache
    return np.matmul(A_h.T, np.matmul(dout, A_w))


def output_size(n_in: int, scale: float) -> int:
    """ONNX's and PyTorch's output length for a scale factor: ``floor(n_in * scale)``."""
    return int(math.floor(n_in * scale + 1e-9))
