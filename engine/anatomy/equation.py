"""The equation view: each output of one filter written out as ``sum of x*w, plus b``.

``out[i, j] = b + sum over (c, a, b') of x[c, i*sh - ph + a*dh, j*sw - pw + b'*dw] * w[c, a, b']``,
a padded position reading ``x = 0``. :func:`convolve`, :func:`equation` and :func:`steps` share
one vectorised gather, so every ``Step.sum`` is bit-for-bit the matching output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.anatomy.windows import Geometry, Windows, as_bias, as_volume, geometry, windows

MAX_STEP_TERMS = 100_000
"""Most terms :func:`steps` writes out (outputs × kernel weights); 32×32×3 with 5×5×3 is 58,800."""


@dataclass(frozen=True)
class Term:
    """One product ``x * w``; ``input`` is ``(c, r, s)``, or ``None`` for a padded position."""

    input: tuple[int, int, int] | None
    x: float
    w: float
    product: float

    def to_dict(self) -> dict:
        return {
            "input": None if self.input is None else list(self.input),
            "x": self.x,
            "w": self.w,
            "product": self.product,
        }


@dataclass(frozen=True)
class Step:
    """Output ``(i, j)`` as ``sum(term.product) + bias``; ``terms`` in kernel order ``k``."""

    output: tuple[int, int]
    terms: tuple[Term, ...]
    bias: float
    sum: float

    def to_dict(self) -> dict:
        """JSON-ready API ``Step``."""
        return {
            "output": list(self.output),
            "terms": [t.to_dict() for t in self.terms],
            "bias": self.bias,
            "sum": self.sum,
        }


@dataclass(frozen=True, eq=False)
class _Products:
    """Every window of one filter, gathered once; ``P = H_out*W_out``, ``K = C*kh*kw``."""

    g: Geometry
    win: Windows
    xs: np.ndarray  # (P, K) window values, 0 where padded
    ws: np.ndarray  # (K,) kernel weights
    products: np.ndarray  # (P, K)
    sums: np.ndarray  # (P,) including the bias
    bias: float


def _products(x, kernel, bias, stride, padding, dilation) -> _Products:
    """Gather every window of ``x: (C, H, W)`` and multiply by ``kernel: (C, kh, kw)``."""
    x = as_volume(x, "input")  # x: (C, H, W)
    w = as_volume(kernel, "kernel")  # w: (C, kh, kw)
    b = as_bias(bias)
    g = geometry(x.shape, w.shape, stride, padding, dilation)
    win = windows(g)
    xs = win.gather(x.reshape(-1))  # xs: (P, K)
    ws = w.reshape(g.K)  # ws: (K,)
    # + 0.0 turns -0.0 (e.g. a padded 0 times a negative weight) into 0.0 for display
    products = xs * ws[None, :] + 0.0  # products: (P, K)
    sums = products.sum(axis=1) + b + 0.0  # sums: (P,)
    return _Products(g, win, xs, ws, products, sums, b)


def convolve(x, kernel, bias=0.0, stride=1, padding=0, dilation=1) -> np.ndarray:
    """One filter's output map ``(H_out, W_out)`` float64.

    ``x: (C, H, W)``, ``kernel: (C, kh, kw)`` (2-D means one channel);
    ``H_out = floor((H + 2*ph - dh*(kh - 1) - 1) / sh) + 1``, likewise ``W_out``.
    """
    p = _products(x, kernel, bias, stride, padding, dilation)
    return p.sums.reshape(p.g.H_out, p.g.W_out)  # out: (H_out, W_out)


def equation(x, kernel, bias, i: int, j: int, stride=1, padding=0, dilation=1) -> Step:
    """Every term of output ``(i, j)``; ``x: (C, H, W)``, ``kernel: (C, kh, kw)``."""
    p = _products(x, kernel, bias, stride, padding, dilation)
    for name, v, n in (("i", i, p.g.H_out), ("j", j, p.g.W_out)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < n:
            raise ValueError(f"{name} must be an int in [0, {n}), got {v!r}")
    return _step(p, int(i) * p.g.W_out + int(j))


def steps(x, kernel, bias=0.0, stride=1, padding=0, dilation=1) -> list[Step]:
    """One :class:`Step` per output, row-major (the sliding-window animation).

    Raises ``ValueError`` if the steps would hold more than ``MAX_STEP_TERMS`` terms.
    """
    p = _products(x, kernel, bias, stride, padding, dilation)
    n_terms = p.g.P * p.g.K
    if n_terms > MAX_STEP_TERMS:
        raise ValueError(
            f"steps would hold {n_terms} terms ({p.g.P} outputs × {p.g.K} kernel weights), "
            f"more than the limit of {MAX_STEP_TERMS}"
        )
    return [_step(p, row) for row in range(p.g.P)]


def _step(p: _Products, row: int) -> Step:
    """The step of output ``row = i*W_out + j``; plain Python numbers throughout."""
    c, r, s = p.win.c[row].tolist(), p.win.r[row].tolist(), p.win.s[row].tolist()
    valid = p.win.valid[row].tolist()
    xs, ws, products = p.xs[row].tolist(), p.ws.tolist(), p.products[row].tolist()
    terms = tuple(
        Term((c[k], r[k], s[k]) if valid[k] else None, xs[k], ws[k], products[k])
        for k in range(p.g.K)
    )
    i, j = divmod(row, p.g.W_out)
    return Step(output=(i, j), terms=terms, bias=p.bias, sum=float(p.sums[row]))
