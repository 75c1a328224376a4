"""Pooling layers: windowed (max, min, average) and global (every position of a channel)."""

from __future__ import annotations

from typing import ClassVar

from engine.layers.base import Layer, expect_rank, flag
from engine.ops import pool
from engine.shapes import Pair, pair, pool_output_shape


class _Pool2D(Layer):
    """Windowed pooling. x: (N, C, H, W) → (N, C, H_out, W_out); stride defaults to the kernel.

    ``ceil_mode`` and (average pooling) ``count_include_pad`` as in PyTorch.
    """

    mode: ClassVar[str]

    def __init__(
        self,
        kernel_size=2,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        name: str | None = None,
    ):
        super().__init__(name)
        self.kernel_size: Pair = pair(kernel_size, "kernel_size")
        self.stride: Pair = pair(self.kernel_size if stride is None else stride, "stride")
        self.padding: Pair = pair(padding, "padding", minimum=0)
        self.ceil_mode = flag(ceil_mode, "ceil_mode")
        self.count_include_pad = True
        if self.padding[0] > self.kernel_size[0] // 2 or self.padding[1] > self.kernel_size[1] // 2:
            raise ValueError(
                f"padding must be at most half the kernel size {self.kernel_size!r}, "
                f"got {self.padding!r}"
            )

    def forward(self, x, train=False, backprop=False):
        out, cache = pool.pool2d_forward(
            x,
            self.mode,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return pool.pool2d_backward(dout, self._need_cache())

    def config(self):
        config = {
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
        }
        if self.ceil_mode:
            config["ceil_mode"] = True
        return config

    def output_shape(self, in_shape):
        expect_rank(self, in_shape, 3)
        hw = pool_output_shape(
            in_shape[1:], self.kernel_size, self.stride, self.padding, self.ceil_mode
        )
        return (in_shape[0], *hw)


class MaxPool2D(_Pool2D):
    type = "maxpool2d"
    mode = "max"


class AvgPool2D(_Pool2D):
    type = "avgpool2d"
    mode = "avg"

    def __init__(self, *args, count_include_pad: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_include_pad = flag(count_include_pad, "count_include_pad")

    def config(self):
        config = super().config()
        if not self.count_include_pad:
            config["count_include_pad"] = False
        return config


class MinPool2D(_Pool2D):
    type = "minpool2d"
    mode = "min"


class _GlobalPool(Layer):
    """Pool each channel to one number. x: (N, C, H, W) → (N, C), or (N, C, 1, 1) with
    ``keepdims`` (ONNX's GlobalAveragePool; e.g. before a 1×1 conv)."""

    mode: ClassVar[str]

    def __init__(self, keepdims: bool = False, name: str | None = None):
        super().__init__(name)
        self.keepdims = flag(keepdims, "keepdims")

    def forward(self, x, train=False, backprop=False):
        out, cache = pool.global_pool_forward(x, self.mode)
        self._keep(cache, train, backprop)
        return out[:, :, None, None] if self.keepdims else out

    def backward(self, dout, need_dx=True):
        if self.keepdims:
            dout = dout[:, :, 0, 0]
        return pool.global_pool_backward(dout, self._need_cache())

    def config(self):
        return {"keepdims": True} if self.keepdims else {}

    def output_shape(self, in_shape):
        expect_rank(self, in_shape, 3)
        return (in_shape[0], 1, 1) if self.keepdims else (in_shape[0],)


class GlobalAvgPool(_GlobalPool):
    type = "globalavgpool"
    mode = "avg"


class GlobalMaxPool(_GlobalPool):
    type = "globalmaxpool"
    mode = "max"
