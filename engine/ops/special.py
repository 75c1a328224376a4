"""The error function in NumPy (SciPy is not a run-time dependency), for GELU's
``x · Φ(x)`` with ``Φ(x) = (1 + erf(x/√2)) / 2`` and for ONNX's ``Erf``::

    erf(x) = 2/√π ∫₀ˣ exp(-t²) dt

by Taylor polynomials around the nodes ``x₀ = 0, 0.25, …, 6`` (beyond 6, erf is ±1 in
float64). At ``|x| = x₀ + d``, ``|d| ≤ 1/8``::

    erf(x₀ + d) = erf(x₀) + Σ_{n≥1} erf⁽ⁿ⁾(x₀) dⁿ / n!,   erf⁽ⁿ⁾(x) = 2/√π (-1)ⁿ⁻¹ Hₙ₋₁(x) e^(-x²)

(Hₙ the physicists' Hermite polynomials, ``Hₙ₊₁ = 2x Hₙ - 2n Hₙ₋₁``). The coefficients are
computed once, from Python's ``math.erf`` at the nodes; 15 terms in float64 (agreeing with
``math.erf`` to 2e-16), 9 in float32 (to within one float32 step), evaluated in the input's
dtype: a gather and a multiply-add per term (``tests/engine/test_layers_gates.py``).
"""

from __future__ import annotations

import math

import numpy as np

STEP, LAST = 0.25, 6.0  # the nodes x₀ = k · STEP up to LAST
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _coefficients(terms: int) -> np.ndarray:
    """(terms, nodes): row n holds erf⁽ⁿ⁾(x₀)/n! at every node."""
    rows = []
    for x0 in np.arange(0.0, LAST + STEP / 2, STEP):
        hermite = [1.0, 2 * x0]
        for k in range(1, terms):
            hermite.append(2 * x0 * hermite[k] - 2 * k * hermite[k - 1])
        g = TWO_OVER_SQRT_PI * math.exp(-x0 * x0)
        derivatives = [
            g * (-1) ** (n - 1) * hermite[n - 1] / math.factorial(n) for n in range(1, terms)
        ]
        rows.append([math.erf(x0), *derivatives])
    return np.array(rows).T.copy()


TABLES = {
    np.dtype(np.float64): _coefficients(15),
    np.dtype(np.float32): _coefficients(9).astype(np.float32),
}
MULTIPLY_ADDS = 2 * 15 + 10  # per value, float64, for request cost limits (engine/cost.py)


def erf(x: np.ndarray) -> np.ndarray:
    """erf of every value of ``x`` (any shape), in its float dtype (float32 or float64; other
    input as float64). NaN stays NaN, ±inf gives ±1, and the sign of zero is kept."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype in TABLES else np.dtype(np.float64)
    table, one = TABLES[dtype], dtype.type(1)
    x = x.astype(dtype, copy=False)
    a = np.abs(x)
    s = np.fmin(a, dtype.type(LAST))  # NaN and ±inf: the last node (NaN is put back below)
    nearest = np.rint(s * (one / dtype.type(STEP)))  # the nearest node's number, as a float
    d = s - nearest * dtype.type(STEP)
    k = nearest.astype(np.intp)
    out = np.take(table[-1], k)
    for row in table[-2::-1]:  # Horner in d, each coefficient gathered by node
        out *= d
        out += np.take(row, k)
    out = np.where(a != a, a, out)
    return np.copysign(out, x)
