"""Layers: thin holders of hyperparameters and weights over the pure functions in ``engine.ops``.

Every layer has ``forward(x, train)`` and ``backward(dout)``; during training ``forward`` keeps
the op's cache for ``backward``, at inference it keeps nothing. ``params`` and ``grads`` map
PyTorch-style names (``"weight"``, ``"bias"``) to arrays. ``config()`` is the JSON the API's
``LayerInfo`` shows and :func:`layer_from_spec` reads back.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine import init
from engine.ops import activation, conv, dense, pool
from engine.shapes import Pair, conv_padding, output_shape, pair, positive_int

Shape = tuple[int, ...]


class Layer:
    """Base class. Subclasses set ``type`` and implement the forward/backward pair."""

    type: ClassVar[str]

    def __init__(self, name: str | None = None):
        self.name = name or self.type
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache = None

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def config(self) -> dict:
        return {}

    def output_shape(self, in_shape: Shape) -> Shape:
        """Shape of one example's output, without the batch axis."""
        return in_shape

    @property
    def num_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def spec(self) -> dict:
        return {"type": self.type, "name": self.name, "config": self.config()}

    def _need_cache(self):
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward called without a forward(train=True)")
        return self.cache

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class Conv2D(Layer):
    """2-D convolution. x: (N, C, H, W) → (N, F, H_out, W_out); weight (F, C, kh, kw).

    ``H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1``. The output is batch-last in memory
    (see ``engine.ops.conv``). ``backward`` spends the cache (its patch matrix is reused), so
    each ``forward(train=True)`` allows one ``backward``, as in PyTorch without
    ``retain_graph``.
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
        name: str | None = None,
        rng: np.random.Generator | None = None,
        init_scheme: str = "he",
    ):
        super().__init__(name)
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.dilation = pair(dilation, "dilation")
        self.padding = conv_padding(padding, self.kernel_size, self.dilation)
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels, kh, kw)
        self.params["weight"] = init.initialise(shape, init_scheme, rng)
        if bias:
            self.params["bias"] = np.zeros(self.out_channels, dtype=np.float32)
        # Patch matrices free for the next training step's forward: a fresh one (40 MB for the
        # shipped conv2 at batch 128) costs more in page faults than the copy into it. Only
        # ever popped and appended, so layer copies in other threads never get the same one.
        self._spare_cols: list[np.ndarray] = []

    def forward(self, x, train=False):
        b = self.params.get("bias")
        spare = self._take_spare() if train else None
        out, cache = conv.conv2d_forward(
            x, self.params["weight"], b, self.stride, self.padding, self.dilation, spare
        )
        self.cache = cache if train else None
        return out

    def backward(self, dout, need_dx=True):
        cache = self._need_cache()
        dx, dw, db = conv.conv2d_backward(dout, cache, need_dx, spend_cache=True)
        self.cache = None  # spent: its patch matrix now holds the column gradient
        self._spare_cols[:] = [cache[1]]
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
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "dilation": list(self.dilation),
            "bias": "bias" in self.params,
        }

    def output_shape(self, in_shape):
        if len(in_shape) != 3 or in_shape[0] != self.in_channels:
            raise ValueError(
                f"{self.name} expects input (C={self.in_channels}, H, W), got {tuple(in_shape)!r}"
            )
        hw = output_shape(in_shape[1:], self.kernel_size, self.stride, self.padding, self.dilation)
        return (self.out_channels, *hw)


class ReLU(Layer):
    """Elementwise ``max(x, 0)``; any shape."""

    type = "relu"

    def forward(self, x, train=False):
        out, cache = activation.relu_forward(x)
        self.cache = cache if train else None
        return out

    def backward(self, dout, need_dx=True):
        return activation.relu_backward(dout, self._need_cache())


class _Pool2D(Layer):
    """Windowed pooling. x: (N, C, H, W) → (N, C, H_out, W_out); stride defaults to the kernel."""

    mode: ClassVar[str]

    def __init__(self, kernel_size=2, stride=None, padding=0, name: str | None = None):
        super().__init__(name)
        self.kernel_size: Pair = pair(kernel_size, "kernel_size")
        self.stride: Pair = pair(self.kernel_size if stride is None else stride, "stride")
        self.padding: Pair = pair(padding, "padding", minimum=0)
        if self.padding[0] > self.kernel_size[0] // 2 or self.padding[1] > self.kernel_size[1] // 2:
            raise ValueError(
                f"padding must be at most half the kernel size {self.kernel_size!r}, "
                f"got {self.padding!r}"
            )

    def forward(self, x, train=False):
        out, cache = pool.pool2d_forward(x, self.mode, self.kernel_size, self.stride, self.padding)
        self.cache = cache if train else None
        return out

    def backward(self, dout, need_dx=True):
        return pool.pool2d_backward(dout, self._need_cache())

    def config(self):
        return {
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
        }

    def output_shape(self, in_shape):
        if len(in_shape) != 3:
            raise ValueError(f"{self.name} expects input (C, H, W), got {tuple(in_shape)!r}")
        hw = output_shape(in_shape[1:], self.kernel_size, self.stride, self.padding)
        return (in_shape[0], *hw)


class MaxPool2D(_Pool2D):
    type = "maxpool2d"
    mode = "max"


class AvgPool2D(_Pool2D):
    type = "avgpool2d"
    mode = "avg"


class MinPool2D(_Pool2D):
    type = "minpool2d"
    mode = "min"


class _GlobalPool(Layer):
    """Pool each channel to one number. x: (N, C, H, W) → (N, C)."""

    mode: ClassVar[str]

    def forward(self, x, train=False):
        out, cache = pool.global_pool_forward(x, self.mode)
        self.cache = cache if train else None
        return out

    def backward(self, dout, need_dx=True):
        return pool.global_pool_backward(dout, self._need_cache())

    def output_shape(self, in_shape):
        if len(in_shape) != 3:
            raise ValueError(f"{self.name} expects input (C, H, W), got {tuple(in_shape)!r}")
        return (in_shape[0],)


class GlobalAvgPool(_GlobalPool):
    type = "globalavgpool"
    mode = "avg"


class GlobalMaxPool(_GlobalPool):
    type = "globalmaxpool"
    mode = "max"


class Flatten(Layer):
    """x: (N, C, H, W) → (N, C*H*W)."""

    type = "flatten"

    def forward(self, x, train=False):
        out, cache = dense.flatten_forward(x)
        self.cache = cache if train else None
        return out

    def backward(self, dout, need_dx=True):
        return dense.flatten_backward(dout, self._need_cache())

    def output_shape(self, in_shape):
        return (int(np.prod(in_shape)),)


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

    def forward(self, x, train=False):
        out, cache = dense.dense_forward(x, self.params["weight"], self.params.get("bias"))
        self.cache = cache if train else None
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


class Softmax(Layer):
    """Probabilities over the last axis. x: (N, K) → (N, K)."""

    type = "softmax"

    def forward(self, x, train=False):
        out, cache = activation.softmax_forward(x)
        self.cache = cache if train else None
        return out

    def backward(self, dout, need_dx=True):
        return activation.softmax_backward(dout, self._need_cache())

    def output_shape(self, in_shape):
        if len(in_shape) != 1:
            raise ValueError(f"{self.name} expects a vector input, got shape {tuple(in_shape)!r}")
        return in_shape


LAYER_TYPES: dict[str, type[Layer]] = {
    cls.type: cls
    for cls in (
        Conv2D,
        ReLU,
        MaxPool2D,
        AvgPool2D,
        MinPool2D,
        GlobalAvgPool,
        GlobalMaxPool,
        Flatten,
        Dense,
        Softmax,
    )
}


def layer_from_spec(spec: dict, rng: np.random.Generator | None = None) -> Layer:
    """Build a layer from ``{"type", "name"?, "config"?}`` (the vocabulary of ``LayerInfo``)."""
    if not isinstance(spec, dict):
        raise ValueError(f"a layer spec must be an object, got {spec!r}")
    kind = spec.get("type")
    if kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {kind!r}; expected one of {sorted(LAYER_TYPES)}")
    config = dict(spec.get("config") or {})
    if not all(isinstance(k, str) for k in config):
        raise ValueError(f"layer config keys must be strings, got {list(config)!r}")
    cls = LAYER_TYPES[kind]
    kwargs = {"name": spec.get("name")}
    if cls in (Conv2D, Dense):
        kwargs["rng"] = rng
    try:
        return cls(**config, **kwargs)
    except TypeError as e:
        raise ValueError(f"bad config for {kind} layer {spec.get('name')!r}: {e}") from None
