"""Layers that move values: flatten, reshape, squeeze/unsqueeze, transpose, padding, slices
(narrow), identity and dropout. ``dim`` and ``perm`` count the batch axis, as in PyTorch;
``shape`` does not."""

from __future__ import annotations

import math

import numpy as np

from engine.layers.base import Layer, OpLayer, expect_rank, ints, number, one_of
from engine.ops import shape as ops


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    return value


class _Reshaping(Layer):
    """Base of the layers whose forward is a reshape to ``output_shape``."""

    def forward(self, x, train=False, backprop=False):
        out, cache = ops.reshape_forward(x, self.output_shape(x.shape[1:]))
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return ops.reshape_backward(dout, self._need_cache())


class Flatten(_Reshaping):
    """Merge axes ``start_dim..`` (with the batch axis counted as 0). Default: (N, C, H, W) →
    (N, C*H*W), in PyTorch's (c, h, w) order — a view whether x is NCHW or batch-last."""

    type = "flatten"

    def __init__(self, start_dim: int = 1, name: str | None = None):
        super().__init__(name)
        self.start_dim = _int(start_dim, "start_dim")
        if self.start_dim < 1:
            raise ValueError(f"start_dim must be >= 1 (0 is the batch axis), got {start_dim!r}")

    def forward(self, x, train=False, backprop=False):
        k = self.start_dim
        out, cache = ops.reshape_forward(x, (*x.shape[1:k], -1))  # a view, in any memory order
        self._keep(cache, train, backprop)
        return out

    def config(self):
        return {} if self.start_dim == 1 else {"start_dim": self.start_dim}

    def output_shape(self, in_shape):
        k = self.start_dim - 1
        if k >= max(len(in_shape), 1):
            raise ValueError(f"{self.name}: start_dim {self.start_dim} is past input {in_shape}")
        return (*tuple(in_shape)[:k], math.prod(in_shape[k:]))


class Reshape(_Reshaping):
    """x: (N, ...) → (N, *shape); ``shape`` is per example, one entry may be -1."""

    type = "reshape"

    def __init__(self, shape, name: str | None = None):
        super().__init__(name)
        if not isinstance(shape, (list, tuple)) or not all(
            isinstance(n, int) and not isinstance(n, bool) and (n >= 1 or n == -1) for n in shape
        ):
            raise ValueError(f"shape must be a list of ints >= 1 (one may be -1), got {shape!r}")
        if list(shape).count(-1) > 1:
            raise ValueError(f"shape may hold at most one -1, got {shape!r}")
        self.shape = tuple(shape)

    def config(self):
        return {"shape": list(self.shape)}

    def output_shape(self, in_shape):
        size, known = math.prod(in_shape), math.prod(n for n in self.shape if n != -1)
        if (-1 in self.shape and size % known) or (-1 not in self.shape and size != known):
            raise ValueError(
                f"{self.name}: cannot reshape {tuple(in_shape)} ({size} values) to {self.shape}"
            )
        return tuple(size // known if n == -1 else n for n in self.shape)


class _AtDim(_Reshaping):
    """A reshaping at one axis ``dim`` (batch axis counted as 0): squeeze and unsqueeze."""

    def __init__(self, dim: int, name: str | None = None):
        super().__init__(name)
        self.dim = _int(dim, "dim")

    def config(self):
        return {"dim": self.dim}


class Squeeze(_AtDim):
    """Drop axis ``dim`` (size 1; batch axis counted as 0)."""

    type = "squeeze"

    def output_shape(self, in_shape):
        axis = (self.dim if self.dim >= 0 else len(in_shape) + 1 + self.dim) - 1
        if not 0 <= axis < len(in_shape) or in_shape[axis] != 1:
            raise ValueError(
                f"{self.name}: dim {self.dim} is not a size-1 axis of (N, *{in_shape})"
            )
        return tuple(in_shape)[:axis] + tuple(in_shape)[axis + 1 :]


class Unsqueeze(_AtDim):
    """Insert a size-1 axis at ``dim`` (batch axis counted as 0)."""

    type = "unsqueeze"

    def output_shape(self, in_shape):
        axis = (self.dim if self.dim >= 0 else len(in_shape) + 2 + self.dim) - 1
        if not 0 <= axis <= len(in_shape):
            raise ValueError(f"{self.name}: dim {self.dim} is out of range for (N, *{in_shape})")
        return (*tuple(in_shape)[:axis], 1, *tuple(in_shape)[axis:])


class Transpose(OpLayer):
    """Permute axes: ``perm`` includes the batch axis and keeps it first (``perm[0] == 0``);
    ``[0, 2, 3, 1]`` is NCHW → NHWC."""

    type = "transpose"
    forward_op = staticmethod(ops.transpose_forward)
    backward_op = staticmethod(ops.transpose_backward)

    def __init__(self, perm, name: str | None = None):
        super().__init__(name)
        if (
            not isinstance(perm, (list, tuple))
            or not all(isinstance(p, int) and not isinstance(p, bool) for p in perm)
            or sorted(perm) != list(range(len(perm)))
            or not perm
            or perm[0] != 0
        ):
            raise ValueError(
                "perm must be a permutation of 0..n-1 that keeps the batch axis first, "
                f"got {perm!r}"
            )
        self.perm = tuple(int(p) for p in perm)

    def op_args(self):
        return (self.perm,)

    def config(self):
        return {"perm": list(self.perm)}

    def output_shape(self, in_shape):
        if len(in_shape) + 1 != len(self.perm):
            raise ValueError(
                f"{self.name}: perm {list(self.perm)} needs rank {len(self.perm)} "
                f"input (with the batch axis), got (N, *{tuple(in_shape)})"
            )
        full = (0, *in_shape)
        return tuple(full[p] for p in self.perm[1:])


class Pad(OpLayer):
    """Padding of H and W, ``pads`` in ONNX order ``[top, left, bottom, right]``: with
    ``value`` (mode ``constant``), mirrored without the edge (``reflect``: each pad smaller
    than its axis) or the edge repeated (``replicate``, ONNX's ``edge``) — PyTorch's names."""

    type = "pad"

    def __init__(self, pads, value: float = 0.0, mode: str = "constant", name: str | None = None):
        super().__init__(name)
        pads = ints(pads, 4, "pads", "[top, left, bottom, right]")
        one_of(mode, "mode", sorted(ops.PAD_MODES))
        self.pads = tuple(pads)
        self.value = number(value, "value")
        self.mode = mode

    forward_op = staticmethod(ops.pad_forward)
    backward_op = staticmethod(ops.pad_backward)

    def op_args(self):
        return (self.pads, self.value, self.mode)

    def config(self):
        config = {"pads": list(self.pads), "value": self.value}
        return config if self.mode == "constant" else {**config, "mode": self.mode}

    def output_shape(self, in_shape):
        expect_rank(self, in_shape, 3)
        top, left, bottom, right = self.pads
        C, H, W = in_shape
        if self.mode == "reflect" and (max(top, bottom) >= H or max(left, right) >= W):
            raise ValueError(
                f"{self.name}: reflect padding {list(self.pads)} needs each pad smaller than "
                f"its axis, input {tuple(in_shape)!r}"
            )
        return (C, H + top + bottom, W + left + right)


class Narrow(OpLayer):
    """``length`` entries of axis ``dim`` from ``start`` (PyTorch's ``narrow``; the batch axis
    is 0, so ``dim=1`` slices channels): what ONNX's Split and Slice give per output."""

    type = "narrow"

    def __init__(self, dim: int, start: int, length: int, name: str | None = None):
        super().__init__(name)
        self.dim = _int(dim, "dim")
        if self.dim < 1:
            raise ValueError(f"dim must be >= 1 (0 is the batch axis), got {dim!r}")
        self.start = _int(start, "start")
        self.length = _int(length, "length")
        if self.start < 0 or self.length < 1:
            raise ValueError(f"start must be >= 0 and length >= 1, got {start!r}, {length!r}")

    forward_op = staticmethod(ops.narrow_forward)
    backward_op = staticmethod(ops.narrow_backward)

    def op_args(self):
        return (self.dim, self.start, self.length)

    def config(self):
        return {"dim": self.dim, "start": self.start, "length": self.length}

    def output_shape(self, in_shape):
        axis = self.dim - 1
        if axis >= len(in_shape) or self.start + self.length > in_shape[axis]:
            raise ValueError(
                f"{self.name}: entries {self.start}..{self.start + self.length - 1} of dim "
                f"{self.dim} are not all in (N, *{tuple(in_shape)})"
            )
        shape = list(in_shape)
        shape[axis] = self.length
        return tuple(shape)


class Identity(Layer):
    """Passes its input through; any shape."""

    type = "identity"

    def forward(self, x, train=False, backprop=False):
        self._keep(True, train, backprop)
        return x

    def backward(self, dout, need_dx=True):
        self._need_cache()
        return dout


class Dropout(Layer):
    """Zero each value with probability ``p`` in training (scaling the rest by 1/(1-p), as
    PyTorch); the identity in evaluation. The mask comes from the layer's own seeded
    generator, so a seeded model trains the same way twice."""

    type = "dropout"

    def __init__(self, p: float = 0.5, name: str | None = None, rng=None):
        super().__init__(name)
        self.p = number(p, "p", 0.0, 1.0)
        seed = None if rng is None else int(rng.integers(2**32))
        self.rng = np.random.default_rng(seed)

    def forward(self, x, train=False, backprop=False):
        if not train:
            self._keep("eval", train, backprop)
            return x
        out, mask = ops.dropout_forward(x, self.p, self.rng)
        self._keep(mask, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        mask = self._need_cache()
        return dout if isinstance(mask, str) else ops.dropout_backward(dout, mask)

    def config(self):
        return {"p": self.p}
