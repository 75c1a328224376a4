"""Elementwise activations (any shape) and the softmax heads ((N, K) → (N, K))."""

from __future__ import annotations

from typing import ClassVar

from engine.layers.base import NumbersOpLayer, OpLayer, expect_rank
from engine.ops import activation as act


class ReLU(OpLayer):
    """Elementwise ``max(x, 0)``; any shape."""

    type = "relu"
    forward_op = staticmethod(act.relu_forward)
    backward_op = staticmethod(act.relu_backward)


class LeakyReLU(NumbersOpLayer):
    """``x`` where positive, ``negative_slope * x`` elsewhere; any shape."""

    type = "leakyrelu"
    defaults: ClassVar[dict[str, float]] = {"negative_slope": 0.01}
    forward_op = staticmethod(act.leaky_relu_forward)
    backward_op = staticmethod(act.leaky_relu_backward)


class ELU(NumbersOpLayer):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere; any shape."""

    type = "elu"
    defaults: ClassVar[dict[str, float]] = {"alpha": 1.0}
    forward_op = staticmethod(act.elu_forward)
    backward_op = staticmethod(act.elu_backward)


class Sigmoid(OpLayer):
    """``1 / (1 + exp(-x))``; any shape."""

    type = "sigmoid"
    forward_op = staticmethod(act.sigmoid_forward)
    backward_op = staticmethod(act.sigmoid_backward)


class Tanh(OpLayer):
    """``tanh(x)``; any shape."""

    type = "tanh"
    forward_op = staticmethod(act.tanh_forward)
    backward_op = staticmethod(act.tanh_backward)


class _Head(OpLayer):
    """A softmax head: over the last axis of a vector per example. x: (N, K) → (N, K)."""

    def output_shape(self, in_shape):
        expect_rank(self, in_shape, 1, "a vector")
        return tuple(in_shape)


class Softmax(_Head):
    """Probabilities over the last axis. x: (N, K) → (N, K)."""

    type = "softmax"
    forward_op = staticmethod(act.softmax_forward)
    backward_op = staticmethod(act.softmax_backward)


class LogSoftmax(_Head):
    """Log-probabilities over the last axis. x: (N, K) → (N, K)."""

    type = "logsoftmax"
    forward_op = staticmethod(act.log_softmax_forward)
    backward_op = staticmethod(act.log_softmax_backward)
