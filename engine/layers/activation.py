"""Elementwise activations (any shape) and the softmax heads ((N, K) → (N, K))."""

from __future__ import annotations

from engine.layers.base import OpLayer, expect_rank, number
from engine.ops import activation as act


class ReLU(OpLayer):
    """Elementwise ``max(x, 0)``; any shape."""

    type = "relu"
    forward_op = staticmethod(act.relu_forward)
    backward_op = staticmethod(act.relu_backward)


class LeakyReLU(OpLayer):
    """``x`` where positive, ``negative_slope * x`` elsewhere; any shape."""

    type = "leakyrelu"
    forward_op = staticmethod(act.leaky_relu_forward)
    backward_op = staticmethod(act.leaky_relu_backward)

    def __init__(self, negative_slope: float = 0.01, name: str | None = None):
        super().__init__(name)
        self.negative_slope = number(negative_slope, "negative_slope")

    def op_args(self):
        return (self.negative_slope,)

    def config(self):
        return {"negative_slope": self.negative_slope}


class ELU(OpLayer):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere; any shape."""

    type = "elu"
    forward_op = staticmethod(act.elu_forward)
    backward_op = staticmethod(act.elu_backward)

    def __init__(self, alpha: float = 1.0, name: str | None = None):
        super().__init__(name)
        self.alpha = number(alpha, "alpha")

    def op_args(self):
        return (self.alpha,)

    def config(self):
        return {"alpha": self.alpha}


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
