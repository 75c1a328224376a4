"""Normalisation layers → ONNX: batch norm (BatchNormalization), group norm (as PyTorch writes
``nn.GroupNorm``: Reshape, InstanceNormalization, Reshape back, Mul, Add) and layer norm over
channels (LayerNormalization between Transposes to channels-last and back)."""

from __future__ import annotations

import numpy as np

from engine.onnx_export.layers import Emitter, converts


@converts("batchnorm2d", "batchnorm1d")
def batchnorm(em: Emitter, layer, info, srcs):
    """Inference batch norm, running statistics: ``(x - mean) / sqrt(var + eps) * w + b``."""
    c = info["config"]
    n = int(c.get("num_features") or em.state[f"{em.layer}.running_mean"].shape[0])
    scale = em.param("weight") if em.has("weight") else em.const("scale", np.ones(n), np.float32)
    shift = em.param("bias") if em.has("bias") else em.const("shift", np.zeros(n), np.float32)
    stats = [em.param("running_mean"), em.param("running_var")]
    eps = float(c.get("eps", 1e-5))
    em.node("BatchNormalization", [srcs[0], scale, shift, *stats], epsilon=eps)


@converts("groupnorm")
def groupnorm(em: Emitter, layer, info, srcs):
    """As PyTorch writes ``nn.GroupNorm``: Reshape to (N, G, -1), InstanceNormalization
    (scale 1, B 0), Reshape back, Mul by the weight and Add the bias per channel."""
    c, shape = info["config"], [int(d) for d in info["input_shape"]]
    G, C, f32 = int(c["num_groups"]), shape[0], np.float32
    grouped = em.node(
        "Reshape", [srcs[0], em.const("groups", [0, G, -1], np.int64)], step="reshape"
    )
    normed = em.node(
        "InstanceNormalization",
        [grouped, em.const("ones", np.ones(G), f32), em.const("zeros", np.zeros(G), f32)],
        step="instancenorm",
        epsilon=float(c.get("eps", 1e-5)),
    )
    back = em.node("Reshape", [normed, em.const("shape", [0, *shape], np.int64)], step="back")
    per_channel = (C,) + (1,) * (len(shape) - 1)
    weight = em.const("weight", em.state[f"{em.layer}.weight"].reshape(per_channel), f32)
    scaled = em.node("Mul", [back, weight], step="scaled")
    em.node(
        "Add", [scaled, em.const("bias", em.state[f"{em.layer}.bias"].reshape(per_channel), f32)]
    )


@converts("layernorm2d")
def layernorm2d(em: Emitter, layer, info, srcs):
    """LayerNormalization over the last axis: of a vector as it is, of a map between the
    Transposes to channels-last and back (what PyTorch writes for ConvNeXt's norms)."""
    rank, eps = len(info["input_shape"]), float(info["config"].get("eps", 1e-5))
    weights = [em.param("weight"), em.param("bias")]
    if rank == 1:
        em.node("LayerNormalization", [srcs[0], *weights], axis=-1, epsilon=eps)
        return
    last = em.node("Transpose", [srcs[0]], step="transpose", perm=[0, *range(2, rank + 1), 1])
    normed = em.node(
        "LayerNormalization", [last, *weights], step="layernormalization", axis=-1, epsilon=eps
    )
    em.node("Transpose", [normed], perm=[0, rank, *range(1, rank)])
