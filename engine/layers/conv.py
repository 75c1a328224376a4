"""Convolution and fully connected layers: the two with weights."""

from __future__ import annotations

import numpy as np

from engine import init
from engine.layers.base import Layer
from engine.ops import conv, dense
from engine.shapes import conv_padding, output_shape, pair, positive_int


class Conv2D(Layer):
    """2-D convolution. x: (N, C, H, W) → (N, F, H_out, W_out); weight (F, C/groups, kh, kw).

    ``H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1``. The output is batch-last in memory
    (see ``engine.ops.conv``). ``backward`` spends the cache (its padded input is reused), so
    each forward allows one ``backward``, as in PyTorch without ``retain_graph``. ``groups``
    splits channels and filters into independent groups (``groups == in_channels``:
    depthwise), as in PyTorch.
    """

    type = "conv2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias: bool = True,
        groups: int = 1,
        name: str | None = None,
        rng: np.random.Generator | None = None,
        init_scheme: str = "he",
    ):
        super().__init__(name)
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.groups = positive_int(groups, "groups")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"groups={self.groups} must divide in_channels={self.in_channels} and "
                f"out_channels={self.out_channels}"
            )
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.dilation = pair(dilation, "dilation")
        self.padding = conv_padding(padding, self.kernel_size, self.dilation)
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels // self.groups, kh, kw)
        self.params["weight"] = init.initialise(shape, init_scheme, rng)
        if bias:
            self.params["bias"] = np.zeros(self.out_channels, dtype=np.float32)
        # Padded inputs free for the next training step's forward: a fresh one (28 MB for the
        # colour model's conv2 at batch 256) costs more in page faults than the copy into it.
        # Only ever popped and appended, so layer copies in other threads never get the same one.
        self._spare_cols: list[np.ndarray] = []

    def __copy__(self):
        """A shallow copy (shared weights) with its own spare padded inputs: copies running
        in other threads (``engine.parallel``) build padded inputs of their own shapes."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._spare_cols = []
        return clone

    def forward(self, x, train=False, backprop=False, epilogue=None, weights=None):
        """``epilogue`` (inference only): the batch norm and clamp that follow, done in place
        on each block of the output (:mod:`engine.ops.epilogue`); ``weights``: ``(w, b)`` to
        use instead of the layer's, e.g. with that batch norm folded in
        (:class:`engine.fusion.PreparedConvs`)."""
        if epilogue is not None and (train or backprop):
            raise ValueError("an epilogue is for an inference forward: backward needs the output")
        w, b = weights or (self.params["weight"], self.params.get("bias"))
        spare = self._take_spare() if train else None
        out, cache = conv.conv2d_forward(
            x, w, b, *self._hyper(), self.groups, spare, epilogue, need_cache=train or backprop
        )
        self._keep(cache, train, backprop)
        return out

    def _hyper(self):
        return self.stride, self.padding, self.dilation

    def backward(self, dout, need_dx=True):
        cache = self._need_cache()
        dx, dw, db = conv.conv2d_backward(dout, cache, need_dx)
        x_pad = conv.scratch(cache)
        self._spare_cols[:] = [] if x_pad is None else [x_pad]
        self.cache = None  # spent: its padded input is the next forward's to fill
        self.grads["weight"] = dw
        if db is not None:
            self.grads["bias"] = db
        return dx

    def _take_spare(self) -> np.ndarray | None:
        try:
            return self._spare_cols.pop()
        except IndexError:
            return None

    def config(self):
        config = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "dilation": list(self.dilation),
            "bias": "bias" in self.params,
        }
        if self.groups != 1:
            config["groups"] = self.groups
        return config

    def output_shape(self, in_shape):
        if len(in_shape) != 3 or in_shape[0] != self.in_channels:
            raise ValueError(
                f"{self.name} expects input (C={self.in_channels}, H, W), got {tuple(in_shape)!r}"
            )
        hw = output_shape(in_shape[1:], self.kernel_size, self.stride, self.padding, self.dilation)
        return (self.out_channels, *hw)


class Dense(Layer):
    """Fully connected: ``x @ w.T + b``. x: (N, in) → (N, out); weight (out, in)."""

    type = "dense"

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        name: str | None = None,
        rng: np.random.Generator | None = None,
        init_scheme: str = "he",
    ):
        super().__init__(name)
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        shape = (self.out_features, self.in_features)
        self.params["weight"] = init.initialise(shape, init_scheme, rng)
        if bias:
            self.params["bias"] = np.zeros(self.out_features, dtype=np.float32)

    def forward(self, x, train=False, backprop=False):
        out, cache = dense.dense_forward(x, self.params["weight"], self.params.get("bias"))
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        dx, dw, db = dense.dense_backward(dout, self._need_cache(), need_dx)
        self.grads["weight"] = dw
        if db is not None:
            self.grads["bias"] = db
        return dx

    def config(self):
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": "bias" in self.params,
        }

    def output_shape(self, in_shape):
        if tuple(in_shape) != (self.in_features,):
            raise ValueError(
                f"{self.name} expects {self.in_features} input features, got shape "
                f"{tuple(in_shape)!r} (add a flatten layer or change in_features)"
            )
        return (self.out_features,)
