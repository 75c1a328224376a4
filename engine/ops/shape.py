"""Shape changes, slices, padding and dropout: moves of values whose backward moves the
gradient back (or masks it).

Reshapes keep the data; only the shape changes (a view when the memory order allows), and
the backward pass reshapes the gradient to the input's shape. A transpose's backward is the
inverse permutation. Constant padding's backward cuts the padded border off; a slice's puts
the gradient back into zeros.
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


PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}  # → np.pad's


def pad_source(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For ``reflect``/``replicate`` padding of an axis of ``n``: the input index each of the
    ``before + n + after`` padded positions copies (reflect: ``[2, 1, 0, 1, 2, …]``)."""
    return np.pad(np.arange(n), (before, after), mode=PAD_MODES[mode])


def _selection(source: np.ndarray, n: int, dtype) -> np.ndarray:
    """The 0/1 matrix (len(source), n) whose row i picks input ``source[i]``."""
    m = np.zeros((len(source), n), dtype=dtype)
    m[np.arange(len(source)), source] = 1
    return m


def pad_forward(
    x: np.ndarray, pads: tuple[int, ...], value: float, mode: str = "constant"
) -> tuple[np.ndarray, tuple]:
    """Padding of the spatial axes, ONNX order ``[top, left, bottom, right]``: with ``value``
    (``constant``), the mirror image without the edge (``reflect``) or the edge repeated
    (``replicate``, ONNX's ``edge``).

    x: (N, C, H, W) → (N, C, H + top + bottom, W + left + right).
    """
    top, left, bottom, right = pads
    width = ((0, 0), (0, 0), (top, bottom), (left, right))
    if mode == "constant":
        out = np.pad(x, width, constant_values=value)
    else:
        out = np.pad(x, width, mode=PAD_MODES[mode])
    return out, (pads, x.shape, mode)


def pad_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Constant: the border cut off. Reflect/replicate: each padded position's gradient added
    to the input position it copied — ``R.T @ dout @ Q`` with the row and column selection
    matrices R (Hp, H) and Q (Wp, W) of the forward ``out = R @ x @ Q.T``."""
    (top, left, bottom, right), (_, _, H, W), mode = cache
    if mode == "constant":
        return dout[:, :, top : top + H, left : left + W]
    rows = _selection(pad_source(H, top, bottom, mode), H, dout.dtype)  # (Hp, H)
    cols = _selection(pad_source(W, left, right, mode), W, dout.dtype)  # (Wp, W)
    return rows.T @ dout @ cols  # (H, Hp) @ (N, C, Hp, Wp) @ (Wp, W) → (N, C, H, W)


def narrow_forward(x: np.ndarray, axis: int, start: int, length: int) -> tuple[np.ndarray, tuple]:
    """``length`` entries of ``axis`` (the batch axis is 0) from ``start``: a view.
    x: (N, ..., n, ...) → (N, ..., length, ...)."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, start + length)
    return x[tuple(index)], (x.shape, tuple(index))


def narrow_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Zeros of x's shape with ``dout`` where the slice came from."""
    shape, index = cache
    dx = np.zeros(shape, dtype=dout.dtype)
    dx[index] = dout
    return dx


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
