"""The ``Layer`` protocol every layer follows.

``forward(*xs, train=False, backprop=False)`` takes one array per input (most layers have one)
and returns the output. ``train`` is the training mode (batch statistics, dropout) and keeps
the op's cache for ``backward``; ``backprop`` keeps the cache in evaluation mode (saliency,
Grad-CAM: gradients of the model as it predicts). Without either nothing is kept.

``backward(dout, need_dx=True)`` fills ``grads`` and returns the input gradient: one array for
a one-input layer, a list (one per input) for a layer with several. ``params`` are trained
(``"weight"``, ``"bias"``); ``buffers`` are saved with them but not trained
(``"running_mean"``, ``"running_var"``, ``"constant"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

Shape = tuple[int, ...]


class Layer:
    """Base class. Subclasses set ``type`` and implement the forward/backward pair.

    ``arity`` is the number of inputs (``None``: two or more, as for concat).
    """

    type: ClassVar[str]
    arity: ClassVar[int | None] = 1

    def __init__(self, name: str | None = None):
        self.name = name or self.type
        self.params: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache = None

    @property
    def n_inputs(self) -> int | None:
        """How many inputs this layer takes (``None``: two or more)."""
        return self.arity

    def forward(self, *xs: np.ndarray, train: bool = False, backprop: bool = False):
        raise NotImplementedError

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        raise NotImplementedError

    def config(self) -> dict:
        return {}

    def output_shape(self, *in_shapes: Shape) -> Shape:
        """Shape of one example's output, without the batch axis, from its inputs' shapes."""
        return tuple(in_shapes[0])

    @property
    def num_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def spec(self) -> dict:
        return {"type": self.type, "name": self.name, "config": self.config()}

    def _keep(self, cache, train: bool, backprop: bool) -> None:
        """Store ``cache`` for backward if the forward was for training or back-propagation."""
        self.cache = cache if (train or backprop) else None

    def _need_cache(self):
        if self.cache is None:
            raise RuntimeError(
                f"{self.name}: backward called without a forward(train=True or backprop=True)"
            )
        return self.cache

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class OpLayer(Layer):
    """A one-input layer without parameters whose forward and backward are one pair of pure
    functions: ``forward_op(x, *self.op_args()) → (out, cache)``, ``backward_op(dout, cache)
    → dx``. Subclasses set the pair (as ``staticmethod``) and ``op_args``."""

    forward_op: ClassVar[Callable]
    backward_op: ClassVar[Callable]

    def op_args(self) -> tuple:
        return ()

    def forward(self, x, train=False, backprop=False):
        out, cache = self.forward_op(x, *self.op_args())
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return self.backward_op(dout, self._need_cache())


class NumbersOpLayer(OpLayer):
    """An :class:`OpLayer` set by a few named numbers: ``defaults`` holds them in the order
    ``forward_op`` takes them after ``x``; each may be given by position or by name, and is
    checked to be a finite number."""

    defaults: ClassVar[dict[str, float]]

    def __init__(self, *values, name: str | None = None, **named):
        super().__init__(name)
        keys = list(self.defaults)
        if (
            len(values) > len(keys)
            or set(named) - set(keys)
            or set(keys[: len(values)]) & set(named)
        ):
            raise TypeError(f"{self.type} takes {keys}, got {list(values)} and {sorted(named)}")
        given = {**dict(zip(keys, values, strict=False)), **named}
        for key, default in self.defaults.items():
            setattr(self, key, number(given.get(key, default), key))

    def op_args(self):
        return tuple(getattr(self, key) for key in self.defaults)

    def config(self):
        return {key: getattr(self, key) for key in self.defaults}


def expect_rank(layer: Layer, shape: Shape, rank: int, what: str = "(C, H, W)") -> None:
    """ValueError naming the layer unless ``shape`` has ``rank`` axes."""
    if len(shape) != rank:
        raise ValueError(f"{layer.name} expects input {what}, got {tuple(shape)!r}")


def flag(value, name: str) -> bool:
    """``value`` if it is ``True`` or ``False``; ValueError naming ``name`` otherwise (``1`` or
    ``"yes"`` are not switches)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def number(value, name: str, lo: float | None = None, hi: float | None = None) -> float:
    """``value`` as a float in ``[lo, hi]``; ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value!r}")
    return float(value)


def one_of(value, name: str, options) -> None:
    """ValueError naming ``name`` and listing ``options`` unless ``value`` is one of them."""
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")


def ints(value, count: int, name: str, what: str, lo: int = 0) -> tuple[int, ...]:
    """``value`` as ``count`` ints >= ``lo`` (a list or tuple); ValueError naming ``name`` and
    saying ``what`` they are otherwise."""
    if (
        not isinstance(value, (list, tuple))
        or len(value) != count
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= lo for v in value)
    ):
        raise ValueError(f"{name} must be {count} ints >= {lo} {what}, got {value!r}")
    return tuple(value)
