"""The penalties a feature visualisation subtracts from the unit's activation, with gradients.

Gradient ascent on the input alone finds high-frequency, adversarial-looking patterns; a
feature visualisation maximises instead the *regularised* objective (Mahendran & Vedaldi,
2015; Olah et al., 2017)::

    R(x) = a(x) − λ₂ · L2(x) − λ_tv · TV(x)

with, for one image ``x: (C, H, W)`` and a background ``b`` (blank ink, or mid-grey)::

    L2(x) = ½ Σ (x − b)²                      pulls unused pixels back to the background
    TV(x) = Σ_{c,i,j} (Δh² + Δv² + ε)^(β/2)    penalises edges; Δh = x[c,i,j+1] − x[c,i,j],
                                               Δv = x[c,i+1,j] − x[c,i,j], over i < H−1, j < W−1

(``β = 2``: squared differences, smooth everywhere; ``β = 1``: the isotropic total variation,
which keeps sharp edges but costs more steps). Each function takes a batch ``(N, C, H, W)`` and
returns ``(value: (N,), gradient: (N, C, H, W))``, the gradient of each image's own value.
"""

from __future__ import annotations

import numpy as np


def l2_penalty(x: np.ndarray, background: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``½ Σ (x − b)²`` per image and its gradient ``x − b``. x: (N, C, H, W)."""
    d = x - background  # (N, C, H, W)
    return 0.5 * (d**2).sum(axis=(1, 2, 3)), d


def total_variation(
    x: np.ndarray, beta: float = 2.0, eps: float = 1e-8
) -> tuple[np.ndarray, np.ndarray]:
    """``Σ (Δh² + Δv² + ε)^(β/2)`` per image and its gradient. x: (N, C, H, W), H, W ≥ 2.

    With ``s = Δh² + Δv² + ε`` at each of the ``(H − 1) × (W − 1)`` top-left positions,
    ``∂ s^(β/2) / ∂Δ = β · s^(β/2 − 1) · Δ``; ``Δh`` adds ``+`` that to ``x[i, j+1]`` and ``−``
    to ``x[i, j]``, ``Δv`` to ``x[i+1, j]`` and ``x[i, j]``.
    """
    if x.shape[2] < 2 or x.shape[3] < 2:
        raise ValueError(f"total variation needs H, W >= 2, got {x.shape[2:]}")
    dh = x[:, :, :-1, 1:] - x[:, :, :-1, :-1]  # (N, C, H-1, W-1)
    dv = x[:, :, 1:, :-1] - x[:, :, :-1, :-1]  # (N, C, H-1, W-1)
    s = dh**2 + dv**2 + eps
    value = (s ** (beta / 2)).sum(axis=(1, 2, 3))  # (N,)
    k = beta * s ** (beta / 2 - 1)  # (N, C, H-1, W-1): d s^(β/2) / dΔ = k · Δ
    gh, gv = k * dh, k * dv
    grad = np.zeros_like(x)
    grad[:, :, :-1, 1:] += gh
    grad[:, :, :-1, :-1] -= gh + gv
    grad[:, :, 1:, :-1] += gv
    return value, grad
