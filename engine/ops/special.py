"""The error function in NumPy (SciPy is not a run-time dependency), for GELU's
``x · Φ(x)`` with ``Φ(x) = (1 + erf(x/√2)) / 2`` and for ONNX's ``Erf``::

    erf(x) = 2/√π ∫₀ˣ exp(-t²) dt

    |x| ≤ 3:  erf(x) = 2/√π · Σ_{n≥0} (-1)ⁿ x^(2n+1) / (n! (2n+1))        52 terms, Horner in x²
    |x| > 3:  erfc(x) = exp(-x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + 2/(x + …)))))   60 levels

computed in float64 and returned in the input's float dtype. It agrees with Python's
``math.erf`` to 5e-14 over [-8, 8] (``tests/engine/test_gelu.py``), so a float64 centred
difference of it matches its exact derivative ``2/√π · exp(-x²)``. Cost: about a hundred
passes over the values, float64 — fine for an activation, not for a hot inner loop.
"""

from __future__ import annotations

import math

import numpy as np

SERIES_MAX = 3.0  # the series below it, the continued fraction above
SERIES = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(52)]  # x^(2n+1) terms
FRACTION_DEPTH = 60
FAR = 30.0  # erfc(30) is below float64's smallest number: erf is ±1 there
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
MULTIPLY_ADDS = len(SERIES) + 8  # per value, for request cost limits (engine/cost.py)


def erf(x: np.ndarray) -> np.ndarray:
    """erf of every value of ``x`` (any shape): its float dtype, or float64. NaN stays NaN,
    ±inf gives ±1, and the sign of zero is kept."""
    dtype = x.dtype if np.issubdtype(np.asarray(x).dtype, np.floating) else np.float64
    x64 = np.asarray(x, dtype=np.float64)
    a = np.abs(x64)
    s = np.minimum(a, SERIES_MAX)
    z2 = s * s
    out = np.full_like(s, SERIES[-1])
    for c in reversed(SERIES[:-1]):
        out *= z2
        out += c
    out *= s
    out *= TWO_OVER_SQRT_PI
    far = a > SERIES_MAX  # NaN is not
    if far.any():
        z = np.minimum(a[far], FAR)
        f = z.copy()
        for k in range(FRACTION_DEPTH, 0, -1):
            f = z + (k / 2) / f
        out[far] = 1.0 - np.exp(-z * z) / (math.sqrt(math.pi) * f)
    return np.copysign(out, x64).astype(dtype, copy=False)
