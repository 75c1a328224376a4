"""A channels-last stretch between two Transposes, read as the channel-first layers it is.

ConvNeXt's blocks (and torchvision's ``LayerNorm2d``) permute to (N, H, W, C), work along the
last axis, and permute back::

    Transpose(0, 2, 3, 1) → LayerNormalization(axis -1) → MatMul(W) [→ Add(b)] → GELU
    → MatMul [→ Add] → Mul(γ) → Transpose(0, 3, 1, 2)

Along the channels, per position, each of these is a channel-first layer: LayerNormalization a
``layernorm2d``, ``MatMul`` by a (C, K) constant a 1×1 convolution (its following Add of a
(K,) constant the bias), Mul/Add by a (C,) constant a ``mul``/``add`` by (C, 1, 1), and the
elementwise activations themselves. :func:`channels_last` maps such a stretch, and only when
every node in it is one of these and read by the next alone; otherwise the Transposes import
as they are.
"""

from __future__ import annotations

import numpy as np

from engine.onnx_import import ops_gates
from engine.onnx_import.builder import Builder

TO_LAST, TO_FIRST = [0, 2, 3, 1], [0, 3, 1, 2]
UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Erf": "erf"}


def _perm(b: Builder, node) -> list[int]:
    return [int(p) for p in b.attrs(node, {"perm"}).get("perm", [])]


def _vector(b: Builder, node, t: str, C: int):
    """The (C,) constant operand of a two-input node beside ``t`` (any shape of C values
    broadcasting along the last axis), else None."""
    if len(node.input) != 2 or t not in node.input:
        return None
    other = node.input[1] if node.input[0] == t else node.input[0]
    c = b.const(other)
    if c is None or c.size != C or (c.ndim and c.shape[-1] != C):
        return None
    return c.reshape(C).astype(np.float32)


def _step(b: Builder, t: str, C: int, vector: bool):
    """The channel-first layer for the node(s) reading ``t``: ``(kind, config, params, nodes,
    out, channels out)`` or None. ``vector``: the activation is a vector of C features (a
    pooled (C, 1, 1) map, which the engine keeps as (C,)): dense, not a 1×1 convolution."""
    users = b.consumers.get(t, [])
    if len(users) != 1:  # a GELU written node by node reads x more than once
        for u in users:
            match = ops_gates.match_exact_gelu(b, u) or ops_gates.match_tanh_gelu(b, u)
            if match and match[0] == t and set(map(id, users)) <= set(map(id, [u, *match[1]])):
                return (
                    "gelu",
                    {"approximate": match[2]},
                    None,
                    [u, *match[1]],
                    match[1][-1].output[0],
                    C,
                )
        return None
    u = users[0]
    op, out = u.op_type, u.output[0]
    if op == "LayerNormalization":
        attrs = b.attrs(u, {"axis", "epsilon", "stash_type"})
        if int(attrs.get("axis", -1)) not in (-1, 3) or len(u.output) > 1 and any(u.output[1:]):
            return None
        scale = b.const(u.input[1])
        bias = b.const(u.input[2]) if len(u.input) > 2 and u.input[2] else np.zeros(C, np.float32)
        if scale is None or bias is None or scale.size != C or bias.size != C:
            return None
        params = {"weight": scale.reshape(C), "bias": bias.reshape(C)}
        config = {"num_channels": C, "eps": float(attrs.get("epsilon", 1e-5))}
        return "layernorm2d", config, params, [u], out, C
    if op == "MatMul" and u.input[0] == t:
        w = b.const(u.input[1])
        if w is None or w.ndim != 2 or w.shape[0] != C:
            return None
        K = int(w.shape[1])
        weight = w.T if vector else w.T.reshape(K, C, 1, 1)
        params, nodes = {"weight": weight.astype(np.float32)}, [u]
        add = b.single_consumer(out)
        bias = _vector(b, add, out, K) if add is not None and add.op_type == "Add" else None
        if bias is not None:
            params["bias"], out = bias, add.output[0]
            nodes.append(add)
        if vector:
            params.setdefault("bias", np.zeros(K, np.float32))
            return "dense", {"in_features": C, "out_features": K}, params, nodes, out, K
        config = {
            "in_channels": C,
            "out_channels": K,
            "kernel_size": [1, 1],
            "bias": "bias" in params,
        }
        return "conv2d", config, params, nodes, out, K
    if op in ("Add", "Mul"):
        c = _vector(b, u, t, C)
        if c is None:
            return None
        shape = [C] if vector else [C, 1, 1]
        return op.lower(), {"constant_shape": shape}, {"constant": c.reshape(shape)}, [u], out, C
    if op == "Gelu":
        approximate = b.attrs(u, {"approximate"}).get("approximate", "none")
        return "gelu", {"approximate": approximate}, None, [u], out, C
    if op in UNARY:
        return UNARY[op], {}, None, [u], out, C
    if op == "Transpose" and _perm(b, u) == TO_FIRST:
        return "end", None, None, [u], out, C
    return None


def channels_last(b: Builder, node) -> bool:
    """Map the stretch from this Transpose(0, 2, 3, 1) to its Transpose(0, 3, 1, 2) as
    channel-first layers (True), or leave everything as it is (False)."""
    if node.op_type != "Transpose" or _perm(b, node) != TO_LAST:
        return False
    x = b.acts.get(node.input[0])
    full = b.prep.shapes.get(node.input[0])
    if x is None or full is None or len(full) != 4 or None in full:
        return False
    vector = x.shape == (full[1],) and list(full[2:]) == [1, 1]  # pooled: the engine's (C,)
    if len(x.shape) != 3 and not vector:
        return False
    t, C, steps = node.output[0], x.shape[0], []
    while True:
        step = _step(b, t, C, vector)
        if step is None:
            return False
        if step[0] == "end":
            end = step[3][0]
            break
        steps.append(step)
        t, C = step[4], step[5]
    if not steps:
        return False
    act = b.act(node.input[0], node)
    for kind, config, params, nodes, _out, channels in steps:
        for n in nodes:
            b.skip(n)
        shape = (channels, *act.shape[1:])
        act = b.emit(nodes[0], kind, config, [act], None, params, shape=shape)
    b.skip(end)
    b.alias(end.output[0], act)
    b.layer_meta[act.ref]["tensor"] = end.output[0]  # channel-first again: comparable
    return True
