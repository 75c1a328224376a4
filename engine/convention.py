"""The input convention of a model: how ink values become the numbers it was trained on.

A model's ``meta["input"]`` is ``{"invert": bool, "scale": float, "mean": [..], "std": [..]}``
(api.md, "Bringing your own model"): with ink ``x ∈ [0, 1]`` (1 = ink),

    network input = ((1 − x if invert else x) · scale − mean) / std

per channel. PyTorch's ``Normalize((0.1307,), (0.3081,))`` is ``mean [0.1307], std [0.3081]``;
a model trained on raw 0–255 pixels is ``scale 255``; a model that wants white paper and black
ink is ``invert``. Absent, or all defaults, it is the identity (models trained here). It is an
affine map per channel, ``network = a · x + c``, so a gradient with respect to the network
input becomes one with respect to the ink by multiplying by ``a``.
"""

from __future__ import annotations

import numpy as np

IDENTITY = {"invert": False, "scale": 1.0, "mean": [0.0], "std": [1.0]}


def affine(convention: dict | None, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, c)``, each ``(C, 1, 1)`` float32, with ``network = a · ink + c``."""
    conv = {**IDENTITY, **(convention or {})}
    scale = float(conv["scale"])
    mean = np.broadcast_to(np.asarray(conv["mean"], dtype=np.float64).reshape(-1), (channels,))
    std = np.broadcast_to(np.asarray(conv["std"], dtype=np.float64).reshape(-1), (channels,))
    sign = -1.0 if conv["invert"] else 1.0
    a = sign * scale / std
    c = ((scale if conv["invert"] else 0.0) - mean) / std
    return (
        a.astype(np.float32).reshape(channels, 1, 1),
        c.astype(np.float32).reshape(channels, 1, 1),
    )


def is_identity(convention: dict | None) -> bool:
    if not convention:
        return True
    conv = {**IDENTITY, **convention}
    return (
        not conv["invert"]
        and float(conv["scale"]) == 1.0
        and all(float(m) == 0.0 for m in np.ravel(conv["mean"]))
        and all(float(s) == 1.0 for s in np.ravel(conv["std"]))
    )


def to_network(x: np.ndarray, convention: dict | None) -> np.ndarray:
    """Ink ``x: (N, C, H, W)`` in [0, 1] → the model's input (a new array; ``x`` untouched)."""
    if is_identity(convention):
        return x
    a, c = affine(convention, x.shape[1])
    return (x * a + c).astype(x.dtype, copy=False)


def grad_to_ink(g: np.ndarray, convention: dict | None) -> np.ndarray:
    """A gradient with respect to the network input → with respect to the ink (chain rule)."""
    if is_identity(convention):
        return g
    a, _ = affine(convention, g.shape[1])
    return (g * a).astype(g.dtype, copy=False)


def model_convention(model) -> dict | None:
    """The model's stored convention, or ``None`` (identity)."""
    conv = getattr(model, "meta", {}).get("input")
    return conv if isinstance(conv, dict) else None
