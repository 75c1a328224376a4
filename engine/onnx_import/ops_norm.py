"""ONNX's InstanceNormalization → the engine's groupnorm layer.

PyTorch writes ``nn.GroupNorm(G, C)`` (both exporters) as::

    Reshape(x, [N, G, -1]) → InstanceNormalization(scale = 1, B = 0) → Reshape(back to x's shape)
    → Mul(weight, per channel) → Add(bias, per channel)

one groupnorm layer here, its four later nodes skipped; and ``nn.InstanceNorm2d(C,
affine=True)`` as one InstanceNormalization over (N, C, H, W): a groupnorm of C groups. An
InstanceNormalization's own scale and bias (per group) become the channels' weight and bias.
"""

from __future__ import annotations

import numpy as np

from engine.onnx_import.builder import Builder
from engine.onnx_import.ops_layers import constant_reader

EPS = 1e-5  # ONNX's default epsilon


def _emit(b: Builder, node, x, groups: int, eps: float, affine, later: list) -> None:
    """One groupnorm layer reading ``x``; the per-channel Mul and Add after the pattern's last
    node (``later``, or ``node`` itself) are its weight and bias too."""
    C = x.shape[0]
    weight, bias = affine
    out = later[-1].output[0] if later else node.output[0]
    scaled = constant_reader(b, out, C, per_channel=True, op="Mul")
    if scaled is not None:
        later.append(scaled[0])
        weight, bias, out = weight * scaled[1], bias * scaled[1], scaled[0].output[0]
    shifted = constant_reader(b, out, C, per_channel=True)
    if shifted is not None:
        later.append(shifted[0])
        bias, out = bias + shifted[1], shifted[0].output[0]
    for n in later:
        b.skip(n)
    config = {"num_groups": groups, "num_channels": C, "eps": eps}
    b.emit(node, "groupnorm", config, [x], out, {"weight": weight, "bias": bias}, shape=x.shape)


def _instance_norm(b: Builder, node, channels: int):
    """(epsilon, scale (channels,), bias (channels,)) of an InstanceNormalization node."""
    eps = float(b.attrs(node, {"epsilon"}).get("epsilon", EPS))
    scale, bias = (b.const(n) for n in node.input[1:3])
    if scale is None or bias is None:
        b.fail(node, "scale and B must be constants")
    if scale.size != channels or bias.size != channels:
        b.fail(
            node,
            f"scale and B must hold one value per channel of its input ({channels}), "
            f"not {scale.size} and {bias.size}",
        )
    return eps, scale.reshape(-1).astype(np.float32), bias.reshape(-1).astype(np.float32)


def group_norm(b: Builder, node) -> bool:
    """The GroupNorm pattern from this Reshape (see the module docstring); False if it is not."""
    if node.op_type != "Reshape" or len(node.input) < 2 or node.input[0] in b.prep.consts:
        return False
    x = b.acts.get(node.input[0])
    target = b.const(node.input[1])
    if x is None or len(x.shape) != 3 or target is None or target.size != 3:
        return False
    C, groups = x.shape[0], int(target.reshape(-1)[1])
    inorm = b.single_consumer(node.output[0])
    if groups < 1 or C % groups or inorm is None or inorm.op_type != "InstanceNormalization":
        return False
    back = b.single_consumer(inorm.output[0])
    shape = b.prep.shapes.get(back.output[0]) if back is not None else None
    if back is None or back.op_type != "Reshape" or shape is None or tuple(shape[1:]) != x.shape:
        return False
    eps, scale, bias = _instance_norm(b, inorm, groups)
    affine = (np.repeat(scale, C // groups), np.repeat(bias, C // groups))  # per channel
    _emit(b, node, b.act(node.input[0], node), groups, eps, affine, [inorm, back])
    return True


def instance_norm(b: Builder, node) -> None:
    """A lone InstanceNormalization over (N, C, H, W): a groupnorm of C groups."""
    x = b.act(node.input[0], node)
    if len(x.shape) != 3:
        b.fail(node, f"an input of per-example shape {list(x.shape)} is not supported (C, H, W)")
    eps, scale, bias = _instance_norm(b, node, x.shape[0])
    _emit(b, node, x, x.shape[0], eps, (scale, bias), [])


def layer_norm_parts(b: Builder, node, C: int, last: int):
    """``(config, params)`` of a layernorm2d for a LayerNormalization over the last axis
    (``last``, or -1) of C values, with its Scale and B constants; else why not (a str)."""
    attrs = b.attrs(node, {"axis", "epsilon", "stash_type"})
    if int(attrs.get("axis", -1)) not in (-1, last):
        return f"axis = {attrs.get('axis', -1)} is not the last axis"
    if len(node.output) > 1 and any(node.output[1:]):
        return "its mean and inverse-deviation outputs are used (a training graph)"
    scale = b.const(node.input[1])
    bias = b.const(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(C)
    if scale is None or bias is None or scale.size != C or bias.size != C:
        return f"Scale and B must be constants of {C} values, one per channel"
    config = {"num_channels": C, "eps": float(attrs.get("epsilon", 1e-5))}
    return config, {"weight": scale.reshape(C), "bias": bias.reshape(C)}


def layer_norm(b: Builder, node) -> None:
    """LayerNormalization over the last axis of a vector of C features (``nn.LayerNorm(C)``
    on pooled features): a layernorm2d. Over (C, H, W), or channels-last outside a Transpose
    pair (:mod:`engine.onnx_import.ops_channels_last`), it is refused."""
    x = b.act(node.input[0], node)
    parts = layer_norm_parts(b, node, x.shape[0], 1) if len(x.shape) == 1 else None
    if not isinstance(parts, tuple):
        axis = b.attrs(node, {"axis", "epsilon", "stash_type"}).get("axis", -1)
        why = parts or "not supported (a vector of features, or channels-last between Transposes)"
        b.fail(node, f"axis = {axis} over per-example shape {list(x.shape)}: {why}")
    config, params = parts
    b.emit(node, "layernorm2d", config, [x], node.output[0], params, shape=x.shape)
