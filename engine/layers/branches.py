"""Layers that combine branches stacked on an axis (ResNeSt's and SKNet's split attention):
a sum along one axis and a softmax along one axis (:mod:`engine.ops.branches`). ``dim``
counts the batch axis as 0, as in PyTorch."""

from __future__ import annotations

from engine.layers.base import OpLayer, flag
from engine.ops import branches as ops


def _dim(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1 (0 is the batch axis), got {value!r}")
    return value


def _check(layer, in_shape) -> None:
    if layer.dim > len(in_shape):
        raise ValueError(f"{layer.name}: dim {layer.dim} is not an axis of (N, *{tuple(in_shape)})")


class _AlongAxis(OpLayer):
    """An op along axis ``dim``: its config holds its op's arguments after x, in order."""

    def op_args(self):
        return tuple(self.config().values())


class SumDim(_AlongAxis):
    """The sum over axis ``dim``, kept as size 1 if ``keepdim`` (``torch.sum(x, dim)``)."""

    type = "sum"

    def __init__(self, dim: int, keepdim: bool = False, name: str | None = None):
        super().__init__(name)
        self.dim, self.keepdim = _dim(dim, "dim"), flag(keepdim, "keepdim")

    forward_op = staticmethod(ops.sum_forward)
    backward_op = staticmethod(ops.sum_backward)

    def config(self):
        return {"dim": self.dim, "keepdim": self.keepdim}

    def output_shape(self, in_shape):
        _check(self, in_shape)
        shape = list(in_shape)
        if self.keepdim:
            shape[self.dim - 1] = 1
        else:
            del shape[self.dim - 1]
        return tuple(shape)


class SoftmaxDim(_AlongAxis):
    """Probabilities along axis ``dim`` (``torch.softmax(x, dim)``) inside a network, unlike
    the ``softmax`` head over the classes."""

    type = "softmaxdim"

    def __init__(self, dim: int, name: str | None = None):
        super().__init__(name)
        self.dim = _dim(dim, "dim")

    forward_op = staticmethod(ops.softmax_dim_forward)
    backward_op = staticmethod(ops.softmax_dim_backward)

    def config(self):
        return {"dim": self.dim}

    def output_shape(self, in_shape):
        _check(self, in_shape)
        return tuple(in_shape)
