"""The hand-made kernel of a ``/api/kernel`` or ``/api/color`` request: chosen (its weights, or
a preset), checked against the limits, and applied by the engine with its refusals as 422s."""

from __future__ import annotations

import numpy as np
from fastapi import HTTPException

from app.anatomy.limits import finite, grid
from app.core.settings import Settings
from engine.kernels import apply_kernel


def chosen_kernel(
    kernel, preset: str | None, presets: dict[str, dict], settings: Settings, name: str
) -> np.ndarray:
    """The request's kernel ``(C, kh, kw)``: exactly one of ``kernel`` or a known ``preset``."""
    if (kernel is None) == (preset is None):
        raise HTTPException(
            422, "kernel/preset: give exactly one of `kernel` (weights) or `preset`"
        )
    if preset is not None:
        if preset not in presets:
            raise HTTPException(422, f"preset: {preset!r} is not one of {', '.join(presets)}")
        k = np.asarray(presets[preset]["kernel"], dtype=np.float64)
        return k if k.ndim == 3 else k[None]  # (kh, kw) → (1, kh, kw)
    return grid(kernel, name, settings.max_kernel_side, settings.max_channels)  # (C, kh, kw)


def apply(x: np.ndarray, k: np.ndarray, bias: float, padding: str, field: str):
    """``engine.kernels.apply_kernel`` with its refusals as 422s naming ``field``."""
    try:
        return apply_kernel(x, k, finite(bias, "bias"), padding)
    except ValueError as e:
        raise HTTPException(422, f"{field}: {e}") from None
