"""Shape changes, constant padding and dropout: moves of values whose backward moves the
gradient back (or masks it).

Reshapes keep the data; only the shape changes (a view when the memory order allows), and
the backward pass reshapes the gradient to the input's shape. A transpose's backward is the
inverse permutation. Padding's backward cuts the padded border off.
"""

from __future__ import annotations

import numpy as np


def reshape_forward(x: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, tuple]:
    """x: (N, ...) → (N, *shape), in C order (PyTorch's ``reshape``); ``shape`` may hold one -1."""
    return x.reshape(x.shape[0], *shape), x.shape


def reshape_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    return dout.reshape(cache)


def transpose_forward(x: np.ndarray, perm: tuple[int, ...]) -> tuple[np.ndarray, tuple]:
    """x → ``x.transpose(perm)`` (perm includes the batch axis), a view."""
    return x.transpose(perm), perm


def transpose_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    return dout.transpose(np.argsort(cache))


def pad_forward(x: np.ndarray, pads: tuple[int, ...], value: float) -> tuple[np.ndarray, tuple]:
    """Constant padding of the spatial axes, ONNX order ``[top, left, bottom, right]``.

    x: (N, C, H, W) → (N, C, H + top + bottom, W + left + right).
    """
    top, left, bottom, right = pads
    out = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)
    return out, (pads, x.shape)


def pad_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    (top, left, _, _), (_, _, H, W) = cache
    return dout[:, :, top : top + H, left : left + W]


def dropout_forward(
    x: np.ndarray, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: zero each value with probability ``p``, scale the rest by 1/(1-p).

    x: any shape → (out, mask), mask already scaled (``0`` or ``1/(1-p)``).
    """
    if p == 0:
        mask = np.ones(x.shape, dtype=x.dtype)
    elif p == 1:
        mask = np.zeros(x.shape, dtype=x.dtype)
    else:
        mask = (rng.random(x.shape) >= p).astype(x.dtype) / np.asarray(1 - p, dtype=x.dtype)
    return x * mask, mask


def dropout_backward(dout: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return dout * mask
