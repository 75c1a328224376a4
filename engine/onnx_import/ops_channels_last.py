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

from typing import NamedTuple

import numpy as np

from engine.onnx_import import ops_gates, ops_norm
from engine.onnx_import.builder import Builder

TO_LAST, TO_FIRST = [0, 2, 3, 1], [0, 3, 1, 2]
UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Erf": "erf"}


class Step(NamedTuple):
    """One channel-first layer standing for ``nodes`` of the stretch."""

    kind: str
    config: dict
    params: dict | None
    nodes: list
    out: str  # the tensor the last of ``nodes`` writes
    channels: int  # of its output


def _perm(b: Builder, node) -> list[int]:
    return [int(p) for p in b.attrs(node, {"perm"}).get("perm", [])]


def _vector(b: Builder, node, t: str, C: int):
    """The (C,) constant operand of a two-input node beside ``t`` (any shape of C values
    broadcasting along the last axis), else None."""
    c = b.const_beside(node, t)
    if c is None or c.size != C or (c.ndim and c.shape[-1] != C):
        return None
    return c.reshape(C).astype(np.float32)


def _step(b: Builder, t: str, C: int, vector: bool):
    """The :class:`Step` for the node(s) reading ``t``, or None. ``vector``: the activation is
    a vector of C features (a pooled (C, 1, 1) map, which the engine keeps as (C,)): dense,
    not a 1×1 convolution."""
    users = b.consumers.get(t, [])
    if len(users) != 1:  # a GELU written node by node reads x more than once
        for u in users:
            match = ops_gates.match_exact_gelu(b, u) or ops_gates.match_tanh_gelu(b, u)
            if match and match[0] == t and set(map(id, users)) <= set(map(id, [u, *match[1]])):
                later = match[1]
                return Step(
                    "gelu", {"approximate": match[2]}, None, [u, *later], later[-1].output[0], C
                )
        return None
    u = users[0]
    op, out = u.op_type, u.output[0]
    if op == "LayerNormalization":
        parts = ops_norm.layer_norm_parts(b, u, C, 3)
        return Step("layernorm2d", *parts, [u], out, C) if isinstance(parts, tuple) else None
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
            return Step("dense", {"in_features": C, "out_features": K}, params, nodes, out, K)
        config = {
            "in_channels": C,
            "out_channels": K,
            "kernel_size": [1, 1],
            "bias": "bias" in params,
        }
        return Step("conv2d", config, params, nodes, out, K)
    if op in ("Add", "Mul"):
        c = _vector(b, u, t, C)
        if c is None:
            return None
        shape = [C] if vector else [C, 1, 1]
        constant = {"constant": c.reshape(shape)}
        return Step(op.lower(), {"constant_shape": shape}, constant, [u], out, C)
    if op == "Gelu":
        approximate = b.attrs(u, {"approximate"}).get("approximate", "none")
        return Step("gelu", {"approximate": approximate}, None, [u], out, C)
    if op in UNARY:
        return Step(UNARY[op], {}, None, [u], out, C)
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
    while (end := b.single_consumer(t)) is None or not (
        end.op_type == "Transpose" and _perm(b, end) == TO_FIRST
    ):
        step = _step(b, t, C, vector)
        if step is None:
            return False
        steps.append(step)
        t, C = step.out, step.channels
    if not steps:
        return False
    act = b.act(node.input[0], node)
    for step in steps:
        for n in step.nodes:
            b.skip(n)
        shape = (step.channels, *act.shape[1:])
        act = b.emit(step.nodes[0], step.kind, step.config, [act], None, step.params, shape=shape)
    b.skip(end)
    b.alias(end.output[0], act)
    b.layer_meta[act.ref]["tensor"] = end.output[0]  # channel-first again: comparable
    return True
