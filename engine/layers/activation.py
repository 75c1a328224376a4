"""Elementwise activations (any shape) and the softmax heads ((N, K) → (N, K))."""

from __future__ import annotations

from engine.layers.base import Layer, expect_rank, number
from engine.ops import activation as act


class ReLU(Layer):
    """Elementwise ``max(x, 0)``; any shape."""

    type = "relu"

    def forward(self, x, train=False, backprop=False):
        out, cache = act.relu_forward(x)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return act.relu_backward(dout, self._need_cache())


class LeakyReLU(Layer):
    """``x`` where positive, ``negative_slope * x`` elsewhere; any shape."""

    type = "leakyrelu"

    def __init__(self, negative_slope: float = 0.01, name: str | None = None):
        super().__init__(name)
        self.negative_slope = number(negative_slope, "negative_slope")

    def forward(self, x, train=False, backprop=False):
        out, cache = act.leaky_relu_forward(x, self.negative_slope)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return act.leaky_relu_backward(dout, self._need_cache())

    def config(self):
        return {"negative_slope": self.negative_slope}


class ELU(Layer):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere; any shape."""

    type = "elu"

    def __init__(self, alpha: float = 1.0, name: str | None = None):
        super().__init__(name)
        self.alpha = number(alpha, "alpha")

    def forward(self, x, train=False, backprop=False):
        out, cache = act.elu_forward(x, self.alpha)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return act.elu_backward(dout, self._need_cache())

    def config(self):
        return {"alpha": self.alpha}


class Sigmoid(Layer):
    """``1 / (1 + exp(-x))``; any shape."""

    type = "sigmoid"

    def forward(self, x, train=False, backprop=False):
        out, cache = act.sigmoid_forward(x)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return act.sigmoid_backward(dout, self._need_cache())


class Tanh(Layer):
    """``tanh(x)``; any shape."""

    type = "tanh"

    def forward(self, x, train=False, backprop=False):
        out, cache = act.tanh_forward(x)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return act.tanh_backward(dout, self._need_cache())


class Softmax(Layer):
    """Probabilities over the last axis. x: (N, K) → (N, K)."""

    type = "softmax"

    def forward(self, x, train=False, backprop=False):
        out, cache = act.softmax_forward(x)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return act.softmax_backward(dout, self._need_cache())

    def output_shape(self, in_shape):
        expect_rank(self, in_shape, 1, "a vector")
        return tuple(in_shape)


class LogSoftmax(Layer):
    """Log-probabilities over the last axis. x: (N, K) → (N, K)."""

    type = "logsoftmax"

    def forward(self, x, train=False, backprop=False):
        out, cache = act.log_softmax_forward(x)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return act.log_softmax_backward(dout, self._need_cache())

    def output_shape(self, in_shape):
        expect_rank(self, in_shape, 1, "a vector")
        return tuple(in_shape)
