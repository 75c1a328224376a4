"""The split-attention and attention layers as ONNX: ``sum`` as ReduceSum over its axis (the
axes an input, opset 13 on), ``softmaxdim`` as Softmax along its axis, ``matmul`` as MatMul."""

from __future__ import annotations

import numpy as np

from engine.onnx_export.layers import Emitter, converts


@converts("sum")
def sum_(em: Emitter, layer, info, srcs):
    c = info["config"]
    axes = em.const("axes", [int(c["dim"])], np.int64)
    em.node("ReduceSum", [srcs[0], axes], keepdims=int(bool(c.get("keepdim", False))))


@converts("softmaxdim")
def softmax_dim(em: Emitter, layer, info, srcs):
    em.node("Softmax", [srcs[0]], axis=int(info["config"]["dim"]))


@converts("matmul")
def matmul(em: Emitter, layer, info, srcs):
    em.node("MatMul", [srcs[0], srcs[1]])
