"""The resize layer: feature maps to another height and width, nearest or bilinear
(PyTorch's ``nn.Upsample`` / ``F.interpolate``, ONNX's Resize; the math is
:mod:`engine.ops.resize`)."""

from __future__ import annotations

import numpy as np

from engine.layers.base import Layer, expect_rank, ints, number, one_of
from engine.ops import resize as ops

DEFAULT_COORDINATE = {"nearest": "asymmetric", "bilinear": "half_pixel"}  # PyTorch's defaults


class Resize2d(Layer):
    """x: (N, C, H, W) → (N, C, *size).

    ``mode`` ``nearest`` or ``bilinear``; ``coordinate`` how an output index maps onto the
    input (ONNX's ``coordinate_transformation_mode``; by default PyTorch's: ``asymmetric`` for
    nearest, ``half_pixel`` for bilinear, ``align_corners`` for ``align_corners=True``);
    ``nearest_mode`` how nearest rounds; ``scale`` the factors (height, width) the coordinates
    use when they were given instead of the size (default: size over input size)."""

    type = "resize2d"

    def __init__(
        self,
        size,
        mode: str = "nearest",
        coordinate: str | None = None,
        nearest_mode: str = "floor",
        scale=None,
        name: str | None = None,
    ):
        super().__init__(name)
        size = ints(size, 2, "size", "(height, width)", lo=1)
        one_of(mode, "mode", ops.MODES)
        coordinate = DEFAULT_COORDINATE[mode] if coordinate is None else coordinate
        one_of(coordinate, "coordinate", ops.COORDINATES)
        one_of(nearest_mode, "nearest_mode", ops.NEAREST_MODES)
        if scale is not None:
            if not isinstance(scale, (list, tuple)) or len(scale) != 2:
                raise ValueError(f"scale must be 2 numbers (height, width) or null, got {scale!r}")
            scale = tuple(number(s, "scale", 1e-6) for s in scale)
        self.size, self.mode, self.coordinate = size, mode, coordinate
        self.nearest_mode, self.scale = nearest_mode, scale
        self._matrices: dict[tuple, tuple] = {}

    def matrices(self, H: int, W: int, dtype=np.float64) -> tuple:
        """``(A_h (H_out, H), A_w (W_out, W))`` for an input of H × W, in ``dtype``, made once
        per size and dtype."""
        key = (H, W, np.dtype(dtype))
        if key not in self._matrices:
            how = (self.mode, self.coordinate, self.nearest_mode)
            pairs = zip((H, W), self.size, self.scale or (None, None), strict=True)
            made = [ops.axis_matrix(n, m, *how, scale=s) for n, m, s in pairs]
            self._matrices[key] = tuple(A.astype(dtype) for A in made)
        return self._matrices[key]

    def forward(self, x, train=False, backprop=False):
        A_h, A_w = self.matrices(*x.shape[2:], x.dtype)
        out, cache = ops.resize_forward(x, A_h, A_w, self.mode == "nearest")
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return ops.resize_backward(dout, self._need_cache())

    def config(self):
        config = {"size": list(self.size), "mode": self.mode, "coordinate": self.coordinate}
        if self.mode == "nearest":
            config["nearest_mode"] = self.nearest_mode
        return config if self.scale is None else {**config, "scale": list(self.scale)}

    def output_shape(self, in_shape):
        expect_rank(self, in_shape, 3)
        if self.scale is not None:  # ONNX and PyTorch: size = floor(input size * scale)
            made = tuple(
                ops.output_size(n, s) for n, s in zip(in_shape[1:], self.scale, strict=True)
            )
            if made != self.size:
                raise ValueError(
                    f"{self.name}: scale {list(self.scale)} makes {tuple(in_shape[1:])} "
                    f"{made}, not the size {self.size}"
                )
        return (in_shape[0], *self.size)
