"""What follows a convolution in an inference forward, done to each block of its output while
the block is still in cache: an evaluation-mode batch norm, then a clamp (ReLU, ReLU6).

Apart, a batch norm is a new array and two passes over main memory, and the ReLU after it one
more array and pass; MobileNetV2 at batch 1 spent a third of its layers' time there. Fused, the
convolution's block of output rows (or of channels, for a depthwise layer) gets, in place::

    block -= offset          only where the batch norm centres first (a mean far from 0)
    block *= a;  block += b  the batch norm's x * a + b, (C,) vectors in the output's dtype
    block = clip(block, lo, hi)  one pass, as the separate ReLU and Clip layers do

the same float32 operations, in the same order, that the separate layers do
(:func:`engine.ops.batchnorm.batchnorm_forward` in evaluation,
:func:`engine.ops.gates.clamp_forward`, :func:`engine.ops.activation.relu_forward`): the fused
output equals theirs bit for bit. Where the convolution's weights are fewer values than its
output (MobileNetV2's depthwise and early layers; not ResNet-18's last ones), scaling the
weights is cheaper than scaling the output: :meth:`Epilogue.fold` puts the batch norm there
(``w * a``, ``(b - offset) * a + shift``), as onnxruntime does, and the output then differs
from the separate layers' by float32 rounding. NumPy's per-channel ``x * a`` (an ``(C, 1)``
operand) runs at 2–3 values per ns here, against ~8 for a clamp (one ``np.clip``,
:func:`engine.ops.activation.clip_values`).
:mod:`engine.fusion` decides where it applies; tests compare the forwards.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.ops.activation import clip_values
from engine.ops.batchnorm import affine, eval_offset


class Epilogue(NamedTuple):
    """Per-channel (C,) vectors in the output's dtype (None: no batch norm) and clamp bounds
    (None: open)."""

    offset: np.ndarray | None
    scale: np.ndarray | None
    shift: np.ndarray | None
    lo: float | None
    hi: float | None

    def apply(self, block: np.ndarray, channels: slice = slice(None)) -> None:
        """In place. block: (n, ...), channel-first, holding ``channels`` of the output."""
        shape = (-1,) + (1,) * (block.ndim - 1)  # (n, 1, ...) against the block
        if self.offset is not None:
            np.subtract(block, self.offset[channels].reshape(shape), out=block)
        if self.scale is not None:
            np.multiply(block, self.scale[channels].reshape(shape), out=block)
            np.add(block, self.shift[channels].reshape(shape), out=block)
        if self.lo is not None or self.hi is not None:
            clip_values(block, self.lo, self.hi, out=block)

    def fold(self, w: np.ndarray, b: np.ndarray | None, out_values: int):
        """``(w', b', rest)``: the batch norm folded into the convolution's weights and bias,
        ``w' = w * a`` and ``b' = (b - offset) * a + shift``, where the weights are fewer
        values than the output (so scaling them is the cheaper pass), leaving the clamp;
        otherwise ``(w, b, self)``. w: (F, ...), b: (F,) or None; ``out_values``: the output's
        size. Folded, the output differs from the separate layers' by float32 rounding."""
        if self.scale is None or w.size > out_values:
            return w, b, self
        a = self.scale.astype(np.float64)
        bias = np.zeros(len(a)) if b is None else b.astype(np.float64)
        if self.offset is not None:
            bias = bias - self.offset
        w_folded = w * self.scale.reshape((-1,) + (1,) * (w.ndim - 1))  # (F, ...)
        b_folded = (bias * a + self.shift).astype(self.scale.dtype)  # (F,)
        return w_folded, b_folded, self._replace(offset=None, scale=None, shift=None)


def epilogue(dtype, norm: tuple | None = None, clamp: tuple = (None, None)) -> Epilogue:
    """``norm``: an evaluation batch norm's ``(gamma, beta, running_mean, running_var, eps)``,
    or None; ``clamp``: ``(lo, hi)``, ReLU's is ``(0, None)``."""
    offset = scale = shift = None
    if norm is not None:
        gamma, beta, mean, var, eps = norm
        offset = eval_offset(mean, var, dtype)
        zero = np.zeros(mean.shape, dtype=dtype)
        a, b, _, _ = affine(zero if offset is None else offset, gamma, beta, mean, var, eps)
        scale, shift = a.astype(dtype), b.astype(dtype)
    return Epilogue(offset, scale, shift, *clamp)
