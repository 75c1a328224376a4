"""Occlusion sensitivity (Zeiler & Fergus, 2014): hide part of the input, see the score drop.

A ``patch × patch`` square of constant ``value`` (0: blank canvas, 0.5: grey) slides over the
input with ``stride``; every occluded copy is classified and the drop of the target's score,
``score(x) - score(occluded)``, is recorded per patch position. The pixel map averages the drops
of every patch covering the pixel: positive where hiding ink hurts the class (evidence for it),
negative where hiding it helps; 0 where no patch reaches (a stride larger than the patch).
All occluded copies go through the network in a few batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.explain.common import check_input, check_targets, class_scores
from engine.model import Model
from engine.ops.activation import softmax

SCORES = ("probability", "logit")


def patch_starts(size: int, patch: int, stride: int) -> np.ndarray:
    """Top (or left) edges ``0, stride, 2*stride, ...``, plus ``size - patch`` so the last
    patch reaches the border."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return np.array(starts)


def occluded_copies(x: np.ndarray, patch: int, stride: int, value) -> np.ndarray:
    """x: (C, H, W) → (P, C, H, W), one copy per patch position, rows then columns.
    ``value``: one number, or ``(C,)`` one per channel (a grey patch of a normalised photo)."""
    C, H, W = x.shape
    rows, cols = patch_starts(H, patch, stride), patch_starts(W, patch, stride)
    out = np.repeat(x[None], len(rows) * len(cols), axis=0)  # (P, C, H, W)
    fill = np.broadcast_to(np.asarray(value, dtype=x.dtype), (C,))[:, None, None]  # (C, 1, 1)
    for p, (r, c) in enumerate((r, c) for r in rows for c in cols):
        out[p, :, r : r + patch, c : c + patch] = fill
    return out


@dataclass
class Occlusion:
    """sensitivity: (N, H, W) mean drop over the patches covering each pixel;
    drops: (N, rows, cols) one drop per patch position (tops ``rows``, lefts ``cols``);
    score: (N,) the unoccluded score; target: (N,)."""

    sensitivity: np.ndarray
    drops: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    score: np.ndarray
    target: np.ndarray
    patch: int
    stride: int
    value: np.ndarray  # () or (C,)
    score_kind: str


def _scores(model: Model, x: np.ndarray, kind: str, batch_size: int) -> np.ndarray:
    logits = class_scores(model, x, batch_size)
    return softmax(logits) if kind == "probability" else logits


def occlusion(
    model: Model,
    x: np.ndarray,
    target,
    patch: int = 6,
    stride: int = 2,
    value=0.0,
    score: str = "probability",
    batch_size: int = 256,
) -> Occlusion:
    """Occlusion map of class ``target``. x: (N, C, H, W); ``score`` "probability" or "logit";
    ``value``: the patch, one number or ``(C,)`` per channel."""
    x = check_input(model, x)
    N, C, H, W = x.shape
    for name, v, hi in (("patch", patch, min(H, W)), ("stride", stride, max(H, W))):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= hi:
            raise ValueError(f"{name} must be an int in 1..{hi}, got {v!r}")
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    v = np.asarray(value, dtype=np.float64)
    if v.shape not in ((), (C,)) or not np.isfinite(v).all():
        raise ValueError(f"value must be a finite number or {C} of them, got {value!r}")
    targets = check_targets(model, target, N)
    rows, cols = patch_starts(H, patch, stride), patch_starts(W, patch, stride)
    base = _scores(model, x, score, batch_size)[np.arange(N), targets]  # (N,)
    drops = np.zeros((N, len(rows), len(cols)), dtype=x.dtype)
    sensitivity = np.zeros((N, H, W), dtype=x.dtype)
    coverage = np.zeros((H, W), dtype=x.dtype)
    for r in rows:
        for c in cols:
            coverage[r : r + patch, c : c + patch] += 1
    for n in range(N):
        copies = occluded_copies(x[n], patch, stride, value)  # (P, C, H, W)
        s = _scores(model, copies, score, batch_size)[:, targets[n]]  # (P,)
        drops[n] = (base[n] - s).reshape(len(rows), len(cols))  # (P,) → (rows, cols)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                sensitivity[n, r : r + patch, c : c + patch] += drops[n, i, j]
    # a stride larger than the patch leaves pixels no patch hid: no evidence, 0 (not 0/0)
    np.divide(sensitivity, coverage, out=sensitivity, where=coverage > 0)
    return Occlusion(
        sensitivity, drops, rows, cols, base, targets, int(patch), int(stride), v, score
    )
