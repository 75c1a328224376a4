"""Hyperparameter normalisation and the output-size arithmetic shared by conv and pooling.

``H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1`` — PyTorch's formula, used everywhere.
"""

from __future__ import annotations

Pair = tuple[int, int]


def pair(value: int | tuple[int, int] | list[int], name: str, minimum: int = 1) -> Pair:
    """Return ``value`` as an ``(h, w)`` pair of ints, each ``>= minimum``.

    Raises ``ValueError`` naming ``name`` and the bad value.
    """
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {tuple(value)!r}")
    return (value[0], value[1])


def positive_int(value, name: str) -> int:
    """Return ``value`` if it is an int >= 1; else raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def conv_padding(padding, kernel_size: Pair, dilation: Pair) -> Pair:
    """Resolve ``padding`` (int, pair, ``"same"`` or ``"valid"``) to an ``(ph, pw)`` pair.

    ``"same"`` keeps ``H_out == H`` at stride 1; like PyTorch's symmetric padding it needs
    ``d(k - 1)`` to be even in both directions.
    """
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel_size, dilation, strict=True)]
        if any(t % 2 for t in total):
            raise ValueError(
                f"padding='same' needs an odd effective kernel size, got kernel_size="
                f"{kernel_size!r} with dilation={dilation!r}"
            )
        return (total[0] // 2, total[1] // 2)
    if isinstance(padding, str):
        raise ValueError(f"padding must be 'same', 'valid' or >= 0, got {padding!r}")
    return pair(padding, "padding", minimum=0)


def output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """``floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``.

    Raises ``ValueError`` when the (dilated) kernel does not fit in the padded input.
    """
    span = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if span > padded:
        raise ValueError(
            f"kernel spans {span} (kernel {kernel}, dilation {dilation}) but the padded input is "
            f"only {padded} ({size} + 2*{padding})"
        )
    return (padded - span) // stride + 1


def output_shape(
    hw: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1)
) -> Pair:
    """``(H_out, W_out)`` for an ``(H, W)`` input; see :func:`output_size`."""
    return (
        output_size(hw[0], kernel[0], stride[0], padding[0], dilation[0]),
        output_size(hw[1], kernel[1], stride[1], padding[1], dilation[1]),
    )


def pool_output_size(size: int, kernel: int, stride: int, padding: int, ceil_mode: bool) -> int:
    """Pooling's output size: :func:`output_size`, or with ``ceil_mode`` rounded up — but, as in
    PyTorch, the last window must start inside the input or its left padding."""
    out = output_size(size, kernel, stride, padding)
    if ceil_mode:
        out = -(-(size + 2 * padding - kernel) // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
    return out


def pool_output_shape(hw: Pair, kernel: Pair, stride: Pair, padding: Pair, ceil_mode: bool) -> Pair:
    """``(H_out, W_out)`` of a pooling layer; see :func:`pool_output_size`."""
    return (
        pool_output_size(hw[0], kernel[0], stride[0], padding[0], ceil_mode),
        pool_output_size(hw[1], kernel[1], stride[1], padding[1], ceil_mode),
    )
