"""Clamps and gated activations: Hardtanh (ReLU6 is ``Hardtanh(0, 6)``), Hardsigmoid,
Hardswish, SiLU, GELU, Erf, SELU (elementwise, any shape) and PReLU (a learnt slope per
channel)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.layers.base import Layer, NumbersOpLayer, OpLayer, number, one_of
from engine.ops import gates
from engine.shapes import positive_int


def _bound(value, name: str) -> float | None:
    return None if value is None else number(value, name)


class Hardtanh(OpLayer):
    """``min(max(x, min_val), max_val)``; either bound may be ``None`` (open), as ONNX's Clip,
    Max and Min by constants allow. ReLU6: ``min_val=0, max_val=6``."""

    type = "hardtanh"

    def __init__(self, min_val: float | None = -1.0, max_val: float | None = 1.0, name=None):
        super().__init__(name)
        self.min_val = _bound(min_val, "min_val")
        self.max_val = _bound(max_val, "max_val")
        if None not in (self.min_val, self.max_val) and self.min_val > self.max_val:
            raise ValueError(f"min_val {min_val!r} must not exceed max_val {max_val!r}")

    forward_op = staticmethod(gates.clamp_forward)
    backward_op = staticmethod(gates.clamp_backward)

    def op_args(self):
        return (self.min_val, self.max_val)

    def config(self):
        return {"min_val": self.min_val, "max_val": self.max_val}


class Hardsigmoid(NumbersOpLayer):
    """``clip(alpha * x + beta, 0, 1)``: PyTorch's is alpha = 1/6, beta = 1/2 (the default
    here); ONNX's own default, and Keras's ``hard_sigmoid``, is alpha = 0.2."""

    type = "hardsigmoid"
    defaults: ClassVar[dict[str, float]] = {"alpha": 1 / 6, "beta": 0.5}
    forward_op = staticmethod(gates.hardsigmoid_forward)
    backward_op = staticmethod(gates.hardsigmoid_backward)


class Hardswish(OpLayer):
    """``x * hardsigmoid(x)`` (MobileNetV3's h-swish)."""

    type = "hardswish"

    forward_op = staticmethod(gates.hardswish_forward)
    backward_op = staticmethod(gates.hardswish_backward)


class SiLU(OpLayer):
    """``x * sigmoid(x)`` (Swish)."""

    type = "silu"

    forward_op = staticmethod(gates.silu_forward)
    backward_op = staticmethod(gates.silu_backward)


class GELU(OpLayer):
    """``x · Φ(x)`` (Φ the standard normal's distribution function), PyTorch's ``nn.GELU``:
    ``approximate="none"`` (exact, through erf) or ``"tanh"``."""

    type = "gelu"

    def __init__(self, approximate: str = "none", name=None):
        super().__init__(name)
        one_of(approximate, "approximate", gates.GELU_APPROXIMATIONS)
        self.approximate = approximate

    forward_op = staticmethod(gates.gelu_forward)
    backward_op = staticmethod(gates.gelu_backward)

    def op_args(self):
        return (self.approximate,)

    def config(self):
        return {"approximate": self.approximate}


class Erf(OpLayer):
    """The error function, value by value (ONNX's Erf: an exported exact GELU's core)."""

    type = "erf"

    forward_op = staticmethod(gates.erf_forward)
    backward_op = staticmethod(gates.erf_backward)


class SELU(NumbersOpLayer):
    """``gamma * x`` where positive, ``gamma * alpha * (exp(x) - 1)`` elsewhere, with the
    self-normalising constants by default."""

    type = "selu"
    defaults: ClassVar[dict[str, float]] = {"alpha": gates.SELU_ALPHA, "gamma": gates.SELU_GAMMA}
    forward_op = staticmethod(gates.selu_forward)
    backward_op = staticmethod(gates.selu_backward)


class PReLU(Layer):
    """``x`` where positive, ``weight * x`` elsewhere, ``weight`` learnt: one slope per channel
    (``num_parameters = C``; channels are axis 1 of (N, C, ...)) or one for all (1).
    weight: (num_parameters,), 0.25 to start, as PyTorch."""

    type = "prelu"

    def __init__(self, num_parameters: int = 1, init: float = 0.25, name: str | None = None):
        super().__init__(name)
        self.num_parameters = positive_int(num_parameters, "num_parameters")
        value = number(init, "init")
        self.params["weight"] = np.full(self.num_parameters, value, dtype=np.float32)

    def forward(self, x, train=False, backprop=False):
        out, cache = gates.prelu_forward(x, self.params["weight"])
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        dx, self.grads["weight"] = gates.prelu_backward(dout, self._need_cache())
        return dx

    def config(self):
        return {"num_parameters": self.num_parameters}

    def output_shape(self, in_shape):
        if self.num_parameters != 1 and (not in_shape or in_shape[0] != self.num_parameters):
            raise ValueError(
                f"{self.name} has {self.num_parameters} slopes for input {tuple(in_shape)!r}; "
                "expected as many channels (axis 1)"
            )
        return tuple(in_shape)
