"""Limit checks of the convolution anatomy: every grid and hyperparameter a request sends is
checked here against the limits in ``Settings`` before any array is built, so no request can
allocate more than the limits allow. Every refusal is an ``HTTPException`` naming the field and the
limit (413 for too large, 422 for malformed or impossible).
"""

from __future__ import annotations

import math

import numpy as np
from fastapi import HTTPException

from app.core.settings import Settings
from engine.anatomy import conv_problems
from engine.shapes import conv_padding, pair

MAX_DEPTH = 5  # deeper nesting is reported as such, not walked
# Every filter's feature map goes with a layer's anatomy ("six filters give six maps") when the
# layer's whole output has at most this many values (cifar10-lenet's first layer: 6 × 28 × 28).
ALL_MAPS_MAX_VALUES = 65_536


def grid(value, name: str, max_side: int, max_channels: int, allow_3d: bool = True) -> np.ndarray:
    """``value`` (a nested list) as a finite float64 ``(C, H, W)`` array.

    ``(H, W)`` is one channel. Sizes are checked on the lists' lengths before anything is
    converted, then every row's length, then the numbers.
    """
    shapes = "(H, W) or (C, H, W)" if allow_3d else "(H, W)"
    if not isinstance(value, list) or not value:
        raise HTTPException(422, f"{name}: must be a non-empty {shapes} nested list of numbers")
    depth = _depth(value[0]) + 1
    if depth not in ((2, 3) if allow_3d else (2,)):
        raise HTTPException(422, f"{name}: must be {shapes}, got {depth} levels of nesting")
    planes = value if depth == 3 else [value]
    limit = "max_conv_input_side" if name == "input" else "max_kernel_side"
    if len(planes) > max_channels:
        raise HTTPException(
            413,
            f"{name}: {len(planes)} channels, more than the limit max_channels = {max_channels}",
        )
    height = width = None
    for c, plane in enumerate(planes):
        where = f"{name}[{c}]" if depth == 3 else name
        if not isinstance(plane, list) or not plane:
            raise HTTPException(422, f"{where}: must be a non-empty list of rows")
        height = len(plane) if height is None else height
        if len(plane) != height:
            raise HTTPException(
                422,
                f"{where}: has {len(plane)} rows but {name}[0] has {height}; channels must match",
            )
        if len(plane) > max_side:
            raise HTTPException(
                413, f"{where}: height {len(plane)} is more than the limit {limit} = {max_side}"
            )
        for r, row in enumerate(plane):
            if not isinstance(row, list) or not row:
                raise HTTPException(422, f"{where}[{r}]: must be a non-empty list of numbers")
            width = len(row) if width is None else width
            if len(row) > max_side:
                raise HTTPException(
                    413,
                    f"{where}[{r}]: width {len(row)} is more than the limit {limit} = {max_side}",
                )
            if len(row) != width:
                first = f"{name}[0][0]" if depth == 3 else f"{name}[0]"
                raise HTTPException(
                    422,
                    f"{where}[{r}]: has {len(row)} numbers but {first} has {width}; "
                    f"{name} must be rectangular (a ragged grid has no shape)",
                )
            for s, v in enumerate(row):
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise HTTPException(
                        422, f"{where}[{r}][{s}]: must be a number, got {_shown(v)}"
                    )
                if not math.isfinite(v):
                    raise HTTPException(
                        422, f"{where}[{r}][{s}]: must be a finite number, got {v!r}"
                    )
    return np.asarray(planes, dtype=np.float64)  # (C, H, W)


def _depth(v) -> int:
    """Nesting depth of lists along the first elements (a number is depth 0)."""
    d = 0
    while isinstance(v, list) and v and d < MAX_DEPTH:
        v, d = v[0], d + 1
    return d


def _shown(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise HTTPException(422, f"{name}: must be a finite number, got {value!r}")
    return float(value)


def bounded_pair(value, name: str, minimum: int, maximum: int, limit: str) -> tuple[int, int]:
    """``value`` as an ``(h, w)`` pair in ``[minimum, maximum]``, else 422 / 413."""
    try:
        p = pair(value, name, minimum)
    except ValueError as e:
        hint = ""
        if name == "stride" and _has(value, 0):
            hint = ": a stride of 0 would never move the window"
        elif name == "dilation" and _has(value, 0):
            hint = ": a dilation of 0 would collapse the kernel to one point"
        raise HTTPException(422, f"{e}{hint}") from None  # the message starts with `name`
    if max(p) > maximum:
        raise HTTPException(413, f"{name}: {max(p)} is more than the limit {limit} = {maximum}")
    return p


def _has(value, n: int) -> bool:
    return value == n or (isinstance(value, list) and n in value)


def check_windows(H_out: int, W_out: int, C: int, kh: int, kw: int, settings: Settings) -> None:
    """Refuse a convolution whose windows (``H_out*W_out × C*kh*kw`` positions, each an entry
    of the weight matrix) are more than ``max_weight_matrix_entries``, before any is built."""
    n = H_out * W_out * C * kh * kw
    limit = settings.max_weight_matrix_entries
    if n > limit:
        raise HTTPException(
            413,
            f"input/kernel: {H_out}×{W_out} outputs × {C}·{kh}·{kw} kernel weights = {n:,} "
            f"window positions (weight-matrix entries), more than the limit "
            f"max_weight_matrix_entries = {limit:,}",
        )


def conv_hyper(H: int, W: int, k, stride, padding, dilation, settings: Settings):
    """``(stride, padding, dilation)`` pairs of a convolution with kernel ``k = (kh, kw)`` on
    an ``H × W`` input, within the limits and fitting; else ``HTTPException`` saying why."""
    side = settings.max_conv_input_side
    stride = bounded_pair(stride, "stride", 1, side, "max_conv_input_side")
    dilation = bounded_pair(dilation, "dilation", 1, side, "max_conv_input_side")
    if isinstance(padding, str):
        try:
            padding = conv_padding(padding, k, dilation)
        except ValueError as e:
            raise HTTPException(422, f"padding: {e}") from None
    else:
        padding = bounded_pair(padding, "padding", 0, settings.max_conv_padding, "max_conv_padding")
    problems = conv_problems(H, W, k, stride, padding, dilation)
    if problems:
        raise HTTPException(422, "; ".join(problems))
    return stride, padding, dilation


def pool_hyper(H: int, W: int, kernel_size, stride, padding, global_: bool, settings: Settings):
    """``(kernel_size, stride, padding)`` pairs of pooling an ``H × W`` input (``stride=None``:
    the kernel size), within the limits and fitting; else ``HTTPException`` saying why."""
    if global_:
        return (H, W), (1, 1), (0, 0)
    limit = ("max_kernel_side", settings.max_kernel_side)
    k = bounded_pair(kernel_size, "kernel_size", 1, limit[1], limit[0])
    side = settings.max_conv_input_side
    s = k if stride is None else bounded_pair(stride, "stride", 1, side, "max_conv_input_side")
    p = bounded_pair(padding, "padding", 0, limit[1], limit[0])
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise HTTPException(
            422,
            f"padding: {list(p)} is more than half the kernel {list(k)}; pooling padding "
            f"may be at most ⌊k/2⌋ = {[k[0] // 2, k[1] // 2]}, so no window is all padding",
        )
    problems = [q.replace(" (dilation 1)", "") for q in conv_problems(H, W, k, s, p)]
    if problems:
        raise HTTPException(422, "; ".join(problems))
    return k, s, p


def sizes(settings: Settings, **sides: int) -> None:
    """Refuse a size beyond its limit (``channels``; ``height``/``width`` of the input;
    ``kernel_*``) as the grids would, before any grid is sent."""
    for name, n in sides.items():
        if name == "channels":
            limit, value = "max_channels", settings.max_channels
        elif name.startswith("kernel"):
            limit, value = "max_kernel_side", settings.max_kernel_side
        else:
            limit, value = "max_conv_input_side", settings.max_conv_input_side
        if n < 1:
            raise HTTPException(422, f"{name}: must be at least 1, got {n}")
        if n > value:
            raise HTTPException(413, f"{name}: {n} is more than the limit {limit} = {value}")


def check_terms(H_out: int, W_out: int, C: int, kh: int, kw: int, step, settings: Settings):
    """Refuse writing out more than ``max_conv_terms`` terms (all outputs, or the one ``step``),
    and a ``step`` outside the ``H_out × W_out`` output."""
    n_terms = (1 if step else H_out * W_out) * C * kh * kw
    if n_terms > settings.max_conv_terms:
        raise HTTPException(
            413,
            f"input/kernel: {H_out}×{W_out} outputs × {C}·{kh}·{kw} kernel weights = "
            f"{n_terms:,} terms to write out, more than the limit max_conv_terms = "
            f"{settings.max_conv_terms:,} (ask for one output's terms with `step`)",
        )
    if step is not None:
        check_output(step, H_out, W_out, "step", "output")


def check_pool_positions(H_out: int, W_out: int, k, settings: Settings) -> None:
    """Refuse a pooling of more than ``max_pool_positions`` window positions."""
    n = H_out * W_out * k[0] * k[1]
    if n > settings.max_pool_positions:
        raise HTTPException(
            413,
            f"input/kernel_size: {H_out}×{W_out} outputs × {k[0]}·{k[1]} window positions = "
            f"{n:,}, more than the limit max_pool_positions = {settings.max_pool_positions:,}",
        )


def check_output(
    output, H_out: int, W_out: int, name: str = "output", what: str = "feature map"
) -> None:
    """Refuse a position ``[i, j]`` (field ``name``) outside an ``H_out × W_out`` output."""
    i, j = output
    if not (0 <= i < H_out and 0 <= j < W_out):
        raise HTTPException(
            422,
            f"{name}: {[i, j]} is outside the {H_out}×{W_out} {what} "
            f"(i from 0 to {H_out - 1}, j from 0 to {W_out - 1})",
        )
