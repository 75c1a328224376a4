"""The output-size arithmetic with the actual numbers, what makes it invalid, and parameter counts.

``H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1`` (PyTorch's formula, see ``engine.shapes``).
"""

from __future__ import annotations

from engine.shapes import conv_padding, output_size, pair


def conv_formula(H: int, W: int, kernel_size, stride=1, padding=0, dilation=1) -> str:
    """Both output sizes as arithmetic on the given numbers, one line each, e.g.::

        H_out = ⌊(32 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 28

    Raises ``ValueError`` with the :func:`conv_problems` messages if the combination is invalid.
    """
    k, s, p, d = _checked(H, W, kernel_size, stride, padding, dilation)
    return "\n".join(
        f"{name}_out = ⌊({n} + 2·{p[a]} − {d[a]}·({k[a]} − 1) − 1) / {s[a]}⌋ + 1 = "
        f"{output_size(n, k[a], s[a], p[a], d[a])}"
        for a, (name, n) in enumerate((("H", H), ("W", W)))
    )


def pool_formula(H: int, W: int, kernel_size, stride=None, padding=0, global_=False) -> str:
    """Pooling's output sizes, e.g. ``H_out = ⌊(4 + 2·0 − 2) / 2⌋ + 1 = 2`` (no dilation).

    ``stride=None`` means ``stride = kernel_size`` (PyTorch's default).
    """
    if global_:
        return f"global pooling: one {H}×{W} window, so H_out = W_out = 1"
    k, s, p, _ = _checked(H, W, kernel_size, kernel_size if stride is None else stride, padding)
    return "\n".join(
        f"{name}_out = ⌊({n} + 2·{p[a]} − {k[a]}) / {s[a]}⌋ + 1 = "
        f"{output_size(n, k[a], s[a], p[a])}"
        for a, (name, n) in enumerate((("H", H), ("W", W)))
    )


def conv_problems(H: int, W: int, kernel_size, stride=1, padding=0, dilation=1) -> list[str]:
    """Why a convolution's hyperparameters cannot work, one clear sentence each; ``[]`` if fine.

    Never raises: any bad value (zero stride, a kernel larger than the padded input, ...) is
    described, naming the value, instead.
    """
    problems = []
    for name, n in (("input height", H), ("input width", W)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            problems.append(f"{name} must be an int >= 1, got {n!r}")
    parsed = {}
    for name, value, minimum, why in (
        ("kernel_size", kernel_size, 1, ""),
        ("stride", stride, 1, ": a stride of 0 would never move the window"),
        ("dilation", dilation, 1, ": a dilation of 0 would collapse the kernel to one point"),
    ):
        try:
            parsed[name] = pair(value, name, minimum)
        except ValueError as err:
            zero = isinstance(value, (int, tuple, list)) and 0 in _as_tuple(value)
            problems.append(f"{err}{why if zero else ''}")
    if "kernel_size" in parsed and "dilation" in parsed:
        try:
            parsed["padding"] = conv_padding(padding, parsed["kernel_size"], parsed["dilation"])
        except ValueError as err:
            problems.append(str(err))
    if problems:
        return problems
    k, p, d = parsed["kernel_size"], parsed["padding"], parsed["dilation"]
    for a, (name, axis, n) in enumerate((("height", "rows", H), ("width", "columns", W))):
        span = d[a] * (k[a] - 1) + 1
        if span > n + 2 * p[a]:
            problems.append(
                f"the kernel {name} {k[a]} (dilation {d[a]}) spans {span} {axis}, but the "
                f"padded input has only {n + 2 * p[a]} ({n} + 2·{p[a]}): use a smaller kernel "
                f"or dilation, or more padding"
            )
    return problems


def conv_params(C: int, F: int, kh: int, kw: int, bias: bool = True) -> int:
    """Trainable parameters of a conv layer: ``F * (C*kh*kw + 1)`` with bias.

    Independent of the image size: every position shares the same filters.
    """
    _positive(C=C, F=F, kh=kh, kw=kw)
    return F * (C * kh * kw + int(bias))


def dense_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Trainable parameters of a dense layer: ``out_features * (in_features + 1)`` with bias."""
    _positive(in_features=in_features, out_features=out_features)
    return out_features * (in_features + int(bias))


def _checked(H, W, kernel_size, stride, padding, dilation=1):
    """``(k, s, p, d)`` pairs, or ``ValueError`` listing every problem."""
    problems = conv_problems(H, W, kernel_size, stride, padding, dilation)
    if problems:
        raise ValueError("; ".join(problems))
    k, d = pair(kernel_size, "kernel_size"), pair(dilation, "dilation")
    return k, pair(stride, "stride"), conv_padding(padding, k, d), d


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _positive(**sizes: int) -> None:
    for name, n in sizes.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be an int >= 1, got {n!r}")
