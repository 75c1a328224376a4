"""Layers that combine two or more inputs: elementwise arithmetic, concatenation and the
matrix product of two activations.

``add`` / ``sub`` / ``mul`` / ``div`` take two inputs — ``add`` of a block's output and its
input is a residual connection — or one input and a constant buffer ``"constant"`` of
``constant_shape`` (per example, no batch axis; ``(C, 1, 1)`` is one number per channel), as
ONNX graphs carry a normalisation or a bias. ``constant_first`` puts the constant on the left
(``c - x``, ``c / x``). Shapes broadcast as NumPy (and PyTorch) do.
"""

from __future__ import annotations

import numpy as np

from engine.layers.base import Layer, flag
from engine.ops import elementwise, matmul


class _Binary(Layer):
    """``type`` names the elementwise op too (``engine.ops.elementwise.binary_forward``)."""

    def __init__(self, constant_shape=None, constant_first: bool = False, name: str | None = None):
        super().__init__(name)
        self.constant_first = flag(constant_first, "constant_first")
        if constant_shape is not None:
            if not isinstance(constant_shape, (list, tuple)) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in constant_shape
            ):
                raise ValueError(
                    f"constant_shape must be a list of ints >= 1, got {constant_shape!r}"
                )
            fill = 1.0 if self.type in ("mul", "div") else 0.0
            self.buffers["constant"] = np.full(tuple(constant_shape), fill, dtype=np.float32)
        elif constant_first:
            raise ValueError("constant_first needs a constant_shape")

    @property
    def n_inputs(self) -> int:
        return 1 if "constant" in self.buffers else 2

    def forward(self, *xs, train=False, backprop=False):
        if "constant" in self.buffers:
            c = self.buffers["constant"][None].astype(xs[0].dtype, copy=False)  # (1, *shape)
            a, b = (c, xs[0]) if self.constant_first else (xs[0], c)
        else:
            a, b = xs
        out, cache = elementwise.binary_forward(self.type, a, b)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        da, db = elementwise.binary_backward(dout, self._need_cache())
        if "constant" in self.buffers:
            return db if self.constant_first else da
        return [da, db]

    def config(self):
        if "constant" not in self.buffers:
            return {}
        config = {"constant_shape": list(self.buffers["constant"].shape)}
        if self.constant_first:
            config["constant_first"] = True
        return config

    def output_shape(self, *in_shapes):
        shapes = [tuple(s) for s in in_shapes]
        if "constant" in self.buffers:
            shapes.append(self.buffers["constant"].shape)
        try:
            # batch axis first on both, so a constant never broadcasts against it
            return tuple(np.broadcast_shapes(*((1, *s) for s in shapes)))[1:]
        except ValueError:
            raise ValueError(
                f"{self.name}: shapes {' and '.join(str(s) for s in shapes)} do not broadcast"
            ) from None


class Add(_Binary):
    type = "add"


class Sub(_Binary):
    type = "sub"


class Mul(_Binary):
    type = "mul"


class Div(_Binary):
    type = "div"


class Concat(Layer):
    """Join two or more inputs along ``dim`` (counting the batch axis, as PyTorch: 1 = channels).

    Every other axis must agree. (N, C_1, H, W), (N, C_2, H, W) → (N, C_1 + C_2, H, W).
    """

    type = "concat"
    arity = None

    def __init__(self, dim: int = 1, name: str | None = None):
        super().__init__(name)
        if isinstance(dim, bool) or not isinstance(dim, int) or dim == 0:
            raise ValueError(f"dim must be a non-zero int (0 is the batch axis), got {dim!r}")
        self.dim = dim

    def _axis(self, rank: int) -> int:
        """The axis of a rank-``rank`` per-example shape (no batch axis) that ``dim`` names."""
        axis = self.dim - 1 if self.dim > 0 else rank + self.dim
        if not 0 <= axis < rank:
            raise ValueError(
                f"{self.name}: dim {self.dim} is out of range for inputs of rank "
                f"{rank + 1} (with the batch axis)"
            )
        return axis

    def forward(self, *xs, train=False, backprop=False):
        out, cache = elementwise.concat_forward(list(xs), self._axis(xs[0].ndim - 1) + 1)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return elementwise.concat_backward(dout, self._need_cache())

    def config(self):
        return {"dim": self.dim}

    def output_shape(self, *in_shapes):
        first = tuple(in_shapes[0])
        axis = self._axis(len(first))
        for s in in_shapes[1:]:
            s = tuple(s)
            if len(s) != len(first) or any(
                a != b for i, (a, b) in enumerate(zip(s, first, strict=True)) if i != axis
            ):
                raise ValueError(
                    f"{self.name}: inputs {[tuple(s) for s in in_shapes]} differ on an axis "
                    f"other than dim {self.dim}"
                )
        return (*first[:axis], sum(int(s[axis]) for s in in_shapes), *first[axis + 1 :])


class MatMul(Layer):
    """The matrix product of two activations over their last two axes, the leading ones
    equal: a (N, ..., m, k), b (N, ..., k, n) → (N, ..., m, n) (:mod:`engine.ops.matmul`)."""

    type = "matmul"
    arity = 2

    def forward(self, a, b, train=False, backprop=False):
        out, cache = matmul.matmul_forward(a, b)
        self._keep(cache, train, backprop)
        return out

    def backward(self, dout, need_dx=True):
        return list(matmul.matmul_backward(dout, self._need_cache()))

    def output_shape(self, a, b):
        a, b = tuple(a), tuple(b)
        if len(a) < 2 or len(a) != len(b) or a[:-2] != b[:-2] or a[-1] != b[-2]:
            raise ValueError(f"{self.name}: cannot multiply {a} by {b} (per example)")
        return (*a[:-1], b[-1])
