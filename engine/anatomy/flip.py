"""Convolution against cross-correlation: what deep-learning libraries call convolution does
not flip the kernel; the mathematical convolution does.

``(x ∗ w)[i, j] = Σ_a Σ_b x[i·s + a, j·s + b] · w[kh − 1 − a, kw − 1 − b] = (x ⋆ flip(w))[i, j]``
on the padded input ``x``, with ``flip(w) = w[:, ::-1, ::-1]`` (both spatial axes, every
channel). So a convolution is a cross-correlation with the flipped kernel, and everything the
anatomy shows for one holds for the other on that kernel.
"""

from __future__ import annotations

import numpy as np

from engine.anatomy.windows import as_volume

MODES = ("cross-correlation", "convolution")


def check_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`MODES`, else ``ValueError`` naming the choices."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)!r}, got {mode!r}")
    return mode


def flip_kernel(kernel) -> np.ndarray:
    """``kernel: (C, kh, kw)`` (or ``(kh, kw)``) flipped in both spatial axes, ``(C, kh, kw)``."""
    w = as_volume(kernel, "kernel")  # w: (C, kh, kw)
    return w[:, ::-1, ::-1] + 0.0  # a fresh array; + 0.0 keeps -0.0 from showing


def kernel_for(kernel, mode: str) -> np.ndarray:
    """The kernel a cross-correlation slides to compute ``mode``: as given, or flipped."""
    check_mode(mode)
    w = as_volume(kernel, "kernel")
    return flip_kernel(w) if mode == "convolution" else w


def relation(kernel_size, stride=(1, 1)) -> str:
    """The one line of maths relating the two, with this kernel's size and stride, e.g.::

    (x ∗ w)[i, j] = Σ_a Σ_b x[2i + a, 2j + b] · w[1 − a, 1 − b] = (x ⋆ flip(w))[i, j]
    """
    kh, kw = kernel_size
    si, sj = (f"{s}" if s != 1 else "" for s in stride)
    return (
        f"(x ∗ w)[i, j] = Σ_a Σ_b x[{si}i + a, {sj}j + b] · w[{kh - 1} − a, {kw - 1} − b]"
        f" = (x ⋆ flip(w))[i, j]"
    )
