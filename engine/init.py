"""Weight initialisation: He (Kaiming normal, for ReLU nets) and Glorot (Xavier uniform); and
zeros, for a layer whose weights are loaded next (an imported model: no random draws)."""

from __future__ import annotations

import numpy as np

SCHEMES = ("he", "glorot", "zeros")


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a dense weight ``(out, in)`` or a conv weight ``(F, C, kh, kw)``."""
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def initialise(
    shape: tuple[int, ...], scheme: str = "he", rng: np.random.Generator | None = None
) -> np.ndarray:
    """A float32 weight of ``shape``: He ``N(0, 2/fan_in)`` or Glorot ``U(±sqrt(6/(in+out)))``."""
    if scheme == "zeros":
        return np.zeros(shape, dtype=np.float32)
    rng = rng if rng is not None else np.random.default_rng()
    fan_in, fan_out = fans(shape)
    if scheme == "he":
        w = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
    elif scheme == "glorot":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-limit, limit, size=shape)
    else:
        raise ValueError(f"init scheme must be one of {SCHEMES}, got {scheme!r}")
    return w.astype(np.float32)
