"""Normalisation layers: batch norm (1-D and 2-D), group norm (instance norm is one group per
channel), layer norm over channels, ONNX's MeanVarianceNormalization and local response
normalisation (LRN)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.layers.base import Layer, OpLayer, number
from engine.ops import batchnorm, norm
from engine.shapes import positive_int


class _BatchNorm(Layer):
    """Batch normalisation per channel, as PyTorch's ``BatchNorm{1,2}d`` (affine, tracking
    running statistics). ``weight`` (gamma) and ``bias`` (beta) are trained; ``running_mean``
    and ``running_var`` are buffers, updated by every training forward with ``momentum`` —
    or, with ``momentum=None``, PyTorch's cumulative average: after ``n`` training batches
    each running statistic is the plain mean of the ``n`` batches' (the count is the buffer
    ``num_batches_tracked``, saved with the model so resumed training keeps averaging).

    In a training step split over threads each replica's layer holds a ``sync`` seat
    (:mod:`engine.batch_sync`): its statistics and gradient sums are the whole batch's, and
    only the lead seat moves the (shared) running statistics."""

    ranks: ClassVar[tuple[int, ...]]
    what: ClassVar[str]

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        name: str | None = None,
    ):
        super().__init__(name)
        self.num_features = positive_int(num_features, "num_features")
        self.eps = number(eps, "eps", 0.0)
        self.momentum = None if momentum is None else number(momentum, "momentum", 0.0, 1.0)
        if self.momentum is None:
            self.buffers["num_batches_tracked"] = np.zeros((), dtype=np.int64)
        C = self.num_features
        self.params["weight"] = np.ones(C, dtype=np.float32)
        self.params["bias"] = np.zeros(C, dtype=np.float32)
        self.buffers["running_mean"] = np.zeros(C, dtype=np.float32)
        self.buffers["running_var"] = np.ones(C, dtype=np.float32)

    sync = None  # a split training step's seat where the replicas' batch norms meet (parallel.py)

    def forward(self, x, train=False, backprop=False):
        b = self.buffers
        stats = (None, None) if train else (b["running_mean"], b["running_var"])
        seat = self.sync if train else None
        out, cache = batchnorm.batchnorm_forward(
            x,
            self.params["weight"],
            self.params["bias"],
            *stats,
            self.eps,
            combine=seat and (lambda part: seat.moments(self.name, part)),
        )
        if train and (seat is None or seat.lead):  # the whole batch's statistics, once
            momentum = self.momentum
            if momentum is None:  # the cumulative average: batch n weighs 1/n
                b["num_batches_tracked"] += 1
                momentum = 1.0 / float(b["num_batches_tracked"])
            batchnorm.running_update(b["running_mean"], b["running_var"], cache, momentum)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        cache = self._need_cache()
        seat = self.sync if cache[-2] else None  # a training cache
        dx, dgamma, dbeta = batchnorm.batchnorm_backward(
            dout, cache, combine=seat and (lambda sums: seat.grad_sums(self.name, sums))
        )
        self.grads["weight"], self.grads["bias"] = dgamma, dbeta
        return dx

    def config(self):
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    def output_shape(self, in_shape):
        if len(in_shape) not in self.ranks or in_shape[0] != self.num_features:
            raise ValueError(
                f"{self.name} expects input {self.what} with C={self.num_features}, got "
                f"{tuple(in_shape)!r}"
            )
        return tuple(in_shape)


class BatchNorm2d(_BatchNorm):
    """x: (N, C, H, W) → same shape."""

    type = "batchnorm2d"
    ranks = (3,)
    what = "(C, H, W)"


class BatchNorm1d(_BatchNorm):
    """x: (N, C) or (N, C, L) → same shape."""

    type = "batchnorm1d"
    ranks = (1, 2)
    what = "(C,) or (C, L)"


class _ChannelAffineNorm(Layer):
    """A normalisation by each example's own statistics, then a learnt ``weight`` and ``bias``
    per channel; the same in training and evaluation. Subclasses set the op pair (x, weight,
    bias, eps and ``op_args()`` → out, cache; dout, cache → dx, dweight, dbias) and the
    smallest per-example rank."""

    forward_op: ClassVar
    backward_op: ClassVar
    min_rank: ClassVar[int]

    def __init__(self, num_channels: int, eps: float = 1e-5, name=None):
        super().__init__(name)
        self.num_channels = positive_int(num_channels, "num_channels")
        self.eps = number(eps, "eps", 0.0)
        self.params["weight"] = np.ones(self.num_channels, dtype=np.float32)
        self.params["bias"] = np.zeros(self.num_channels, dtype=np.float32)

    def op_args(self) -> tuple:
        return ()

    def forward(self, x, train=False, backprop=False):
        p = self.params
        out, cache = self.forward_op(x, *self.op_args(), p["weight"], p["bias"], self.eps)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        dx, self.grads["weight"], self.grads["bias"] = self.backward_op(dout, self._need_cache())
        return dx

    def config(self):
        return {"num_channels": self.num_channels, "eps": self.eps}

    def output_shape(self, in_shape):
        if len(in_shape) < self.min_rank or in_shape[0] != self.num_channels:
            raise ValueError(
                f"{self.name}: expects {self.num_channels} channels first, got {in_shape}"
            )
        return tuple(in_shape)


class GroupNorm(_ChannelAffineNorm):
    """PyTorch's ``GroupNorm(num_groups, num_channels, eps, affine=True)``: each example's
    channels in groups normalised by the group's own mean and variance, in training and
    evaluation alike, then a learnt ``weight`` and ``bias`` per channel. ``num_groups ==
    num_channels`` is ``InstanceNorm2d(affine=True)``; ONNX writes both with
    InstanceNormalization (:mod:`engine.onnx_import.ops_norm`)."""

    type = "groupnorm"
    forward_op = staticmethod(norm.groupnorm_forward)
    backward_op = staticmethod(norm.groupnorm_backward)
    min_rank = 2

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, name=None):
        super().__init__(num_channels, eps, name)
        self.num_groups = positive_int(num_groups, "num_groups")
        if self.num_channels % self.num_groups:
            raise ValueError(f"num_groups={num_groups} must divide num_channels={num_channels}")

    def op_args(self):
        return (self.num_groups,)

    def config(self):
        return {"num_groups": self.num_groups, **super().config()}


class LayerNorm2d(_ChannelAffineNorm):
    """Layer normalisation over the channels at each position, with a learnt ``weight`` and
    ``bias`` per channel: torchvision's ``LayerNorm2d`` and ConvNeXt's ``LayerNorm`` between
    its channels-last permutes (ONNX: Transpose → LayerNormalization → Transpose), and
    ``nn.LayerNorm(C)`` on a vector of C features. x: (N, C, ...) or (N, C)."""

    type = "layernorm2d"
    forward_op = staticmethod(norm.channelnorm_forward)
    backward_op = staticmethod(norm.channelnorm_backward)
    min_rank = 1


class MeanVarianceNormalization(Layer):
    """``(x - mean) / (std + 1e-9)`` over ``axes`` (with the batch axis; default (0, 2, 3))."""

    type = "meanvariancenormalization"

    def __init__(self, axes=(0, 2, 3), name: str | None = None):
        super().__init__(name)
        if (
            not isinstance(axes, (list, tuple))
            or not axes
            or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes)
        ):
            raise ValueError(f"axes must be a non-empty list of ints, got {axes!r}")
        self.axes = tuple(axes)

    def forward(self, x, train=False, backprop=False):
        axes = tuple(a % x.ndim for a in self.axes)
        out, cache = norm.mvn_forward(x, axes)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return norm.mvn_backward(dout, self._need_cache())

    def config(self):
        return {"axes": list(self.axes)}

    def output_shape(self, in_shape):
        rank = len(in_shape) + 1
        if len(set(a % rank for a in self.axes)) != len(self.axes) or any(
            not -rank <= a < rank for a in self.axes
        ):
            raise ValueError(f"{self.name}: axes {list(self.axes)} do not fit rank-{rank} input")
        return tuple(in_shape)


class LocalResponseNorm(OpLayer):
    """Local response normalisation across channels (AlexNet, GoogLeNet), as ONNX's LRN:
    ``x / (k + alpha/size * Σ x²) ** beta``, the sum over a window of ``size`` channels
    (``floor((size-1)/2)`` before each, ``ceil((size-1)/2)`` after). x: (N, C, ...) → x's shape.
    """

    type = "localresponsenorm"

    def __init__(
        self,
        size: int,
        alpha: float = 1e-4,
        beta: float = 0.75,
        k: float = 1.0,
        name: str | None = None,
    ):
        super().__init__(name)
        self.size = positive_int(size, "size")
        self.alpha = number(alpha, "alpha")
        self.beta = number(beta, "beta")
        self.k = number(k, "k")
        if self.k <= 0:
            raise ValueError(f"k must be positive (it keeps the base above 0), got {k!r}")
        if self.alpha < 0:
            raise ValueError(f"alpha must not be negative, got {alpha!r}")

    forward_op = staticmethod(norm.lrn_forward)
    backward_op = staticmethod(norm.lrn_backward)

    def op_args(self):
        return (self.size, self.alpha, self.beta, self.k)

    def config(self):
        return {"size": self.size, "alpha": self.alpha, "beta": self.beta, "k": self.k}

    def output_shape(self, in_shape):
        if not in_shape:
            raise ValueError(f"{self.name} expects input (C, ...), got {tuple(in_shape)!r}")
        return tuple(in_shape)
