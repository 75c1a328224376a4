"""Training augmentation for photos: random horizontal flips and random crops with padding.

The usual CIFAR recipe: each image is mirrored left-right with probability 1/2, then padded
with ``pad`` zeros on every side and cropped back to its size at a random offset, i.e. shifted by
up to ``pad`` pixels each way with the uncovered border black. Both are done for the whole batch
at once by indexing, with a plain-loop twin (:func:`flip_crop_naive`) that the tests compare.
"""

from __future__ import annotations

import numpy as np


def random_flip_crop(
    n: int, pad: int, flip: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the choices for ``n`` images: ``mirror: (n,) bool``, ``offset: (n, 2)`` in ``0..2·pad``
    (row, col) — the crop's top-left corner in the padded image."""
    mirror = rng.random(n) < 0.5 if flip else np.zeros(n, dtype=bool)
    offset = rng.integers(0, 2 * pad + 1, size=(n, 2))
    return mirror, offset


def flip_crop(x: np.ndarray, mirror: np.ndarray, offset: np.ndarray, pad: int) -> np.ndarray:
    """Apply the drawn choices to ``x: (N, C, H, W)``; returns a new ``(N, C, H, W)`` array."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (N, C, H + 2·pad, W + 2·pad)
    rows = offset[:, 0:1] + np.arange(H)  # (N, H): padded row of each output row
    cols_p = offset[:, 1:2] + np.arange(W)  # (N, W): padded column of each output column
    # mirroring then shifting: the output's column j reads the mirrored image at offset + j
    src_cols = np.where(mirror[:, None], (W + 2 * pad - 1) - cols_p, cols_p)  # (N, W)
    n = np.arange(N)[:, None, None, None]
    c = np.arange(C)[None, :, None, None]
    return xp[n, c, rows[:, None, :, None], src_cols[:, None, None, :]]  # (N, C, H, W)


def flip_crop_naive(x: np.ndarray, mirror: np.ndarray, offset: np.ndarray, pad: int) -> np.ndarray:
    """Plain-loop twin of :func:`flip_crop`: mirror, zero-pad, crop, one image at a time."""
    N, C, H, W = x.shape
    out = np.empty_like(x)
    for i in range(N):
        img = x[i, :, :, ::-1] if mirror[i] else x[i]
        padded = np.zeros((C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
        padded[:, pad : pad + H, pad : pad + W] = img
        r, q = offset[i]
        out[i] = padded[:, r : r + H, q : q + W]
    return out


def augment_photos(
    x: np.ndarray, rng: np.random.Generator, flip: bool = True, pad: int = 4
) -> np.ndarray:
    """Randomly flip (if ``flip``) and crop with ``pad`` pixels of padding ``x: (N, C, H, W)``."""
    if pad < 0:
        raise ValueError(f"crop padding must be >= 0, got {pad!r}")
    mirror, offset = random_flip_crop(len(x), pad, flip, rng)
    return flip_crop(x, mirror, offset, pad)
