"""Pooling, one window at a time: which inputs each output summarises, and which one won.

PyTorch semantics: max/min ignore the padding (it acts as -inf / +inf), average pooling
counts it (``count_include_pad=True``, dividing by ``kh*kw``); ties go to the first position
in row-major order; padding may be at most half the kernel, so no window is all padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.anatomy.formulas import pool_formula
from engine.anatomy.windows import Geometry, Windows, as_volume, geometry, windows
from engine.shapes import pair

MODES = ("max", "avg", "min")
MAX_POOL_POSITIONS = 100_000
"""Most window positions :func:`pool_steps` writes out (outputs × kernel positions)."""


@dataclass(frozen=True)
class PoolStep:
    """Output ``(i, j)``: its in-bounds ``window`` of ``(r, s)``, its ``value``, and ``source``,
    the winning ``(r, s)`` for max/min (``None`` for avg)."""

    output: tuple[int, int]
    window: tuple[tuple[int, int], ...]
    value: float
    source: tuple[int, int] | None

    def to_dict(self) -> dict:
        return {
            "output": list(self.output),
            "window": [list(rs) for rs in self.window],
            "value": self.value,
            "source": None if self.source is None else list(self.source),
        }


@dataclass(frozen=True, eq=False)
class PoolResult:
    """``output: (H_out, W_out)`` float64, its shape, the size formula and one step per output."""

    output: np.ndarray
    output_shape: tuple[int, int]
    formula: str
    steps: tuple[PoolStep, ...]

    def to_dict(self) -> dict:
        """JSON-ready ``/api/pool`` response."""
        return {
            "output": self.output.tolist(),
            "output_shape": list(self.output_shape),
            "formula": self.formula,
            "steps": [s.to_dict() for s in self.steps],
        }


def pool_steps(
    x, mode: str, kernel_size=2, stride=None, padding=0, global_: bool = False
) -> PoolResult:
    """Pool ``x: (H, W)`` and explain every output.

    ``kernel_size``, ``stride``: int or pair ``>= 1`` (``stride=None`` means ``kernel_size``);
    ``padding``: int or pair, ``0 <= p <= k // 2``; ``global_``: one window over the whole
    input (the other hyperparameters are then ignored). ``output: (H_out, W_out)`` with
    ``H_out = floor((H + 2p - k) / s) + 1``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES!r}, got {mode!r}")
    x = as_volume(x, "input")  # x: (1, H, W)
    if x.shape[0] != 1:
        raise ValueError(f"pooling input must be 2-D (H, W), got shape {x.shape!r}")
    _, H, W = x.shape
    if global_:
        kernel_size, stride, padding = (H, W), (1, 1), (0, 0)
    k = pair(kernel_size, "kernel_size")
    stride = k if stride is None else pair(stride, "stride")
    padding = pair(padding, "padding", minimum=0)
    if padding[0] > k[0] // 2 or padding[1] > k[1] // 2:
        raise ValueError(f"padding must be at most half the kernel size {k!r}, got {padding!r}")
    g = geometry(x.shape, (1, *k), stride, padding, (1, 1))
    win = windows(g)
    if g.P * g.K > MAX_POOL_POSITIONS:
        raise ValueError(
            f"pooling steps would list {g.P * g.K} window positions ({g.P} outputs × {g.K}), "
            f"more than the limit of {MAX_POOL_POSITIONS}"
        )
    xs = win.gather(x.reshape(-1))  # xs: (P, K), 0 where padded
    values, winner = _reduce(xs, win.valid, mode)
    return PoolResult(
        output=values.reshape(g.H_out, g.W_out),  # output: (H_out, W_out)
        output_shape=(g.H_out, g.W_out),
        formula=pool_formula(H, W, k, stride, padding, global_=global_),
        steps=_explain(g, win, values, winner),
    )


def _reduce(xs: np.ndarray, valid: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``values: (P,)`` of every window ``xs: (P, K)``, and ``winner: (P,)``, the kernel index
    of the max/min (``None`` for avg); padded positions never win, but count for avg."""
    if mode == "avg":
        return xs.sum(axis=1) / xs.shape[1], None  # count_include_pad=True: divide by kh*kw
    fill, pick = (-np.inf, np.argmax) if mode == "max" else (np.inf, np.argmin)
    winner = pick(np.where(valid, xs, fill), axis=1)  # winner: (P,), the first on ties
    return xs[np.arange(len(xs)), winner], winner


def _explain(g: Geometry, win: Windows, values: np.ndarray, winner) -> tuple[PoolStep, ...]:
    """One :class:`PoolStep` per output, row-major; plain Python numbers throughout."""
    r, s, valid, value = win.r.tolist(), win.s.tolist(), win.valid.tolist(), values.tolist()
    best = None if winner is None else winner.tolist()
    return tuple(
        PoolStep(
            output=divmod(row, g.W_out),
            window=tuple((r[row][q], s[row][q]) for q in range(g.K) if valid[row][q]),
            value=value[row],
            source=None if best is None else (r[row][best[row]], s[row][best[row]]),
        )
        for row in range(g.P)
    )
