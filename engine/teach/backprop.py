"""Backpropagation on one input: "it is a 3" → the loss, then every layer's gradient, then one
SGD step on a copy of the weights.

The chain the source texts walk through, in the order it runs:

- softmax + cross-entropy: ``dL/dz = p − y`` for the logits ``z``;
- a dense layer passes ``Wᵀ · dout`` back, and its weights get ``dout ⊗ x``;
- ReLU passes ``dout`` where its input was positive;
- max pooling routes each window's gradient to its winner only;
- a conv filter's gradient is the correlation of the layer's input with ``dout``.

Everything runs in float64 on a copy of the model, so the stored model never changes and the
gradients agree with centred finite differences (``tests/engine/test_teach_backprop.py``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from engine.ops.activation import softmax_cross_entropy

MAX_PROB_GRAD = 1e300  # dL/dp = -1/p is reported clipped: JSON has no infinity


@dataclass
class LayerGrad:
    """One layer's part of the backward pass (arrays without the batch axis).

    ``grad_output``: ``dL/d(output)``, shaped like the layer's output; ``grad_weights`` /
    ``grad_bias``: shaped like its parameters (None for a layer without weights); ``routing``:
    for a max/min-pooling layer, ``(C, H, W)`` 0/1 of the inputs that won a window, i.e. the
    only ones its gradient reaches.
    """

    index: int
    name: str
    type: str
    output: np.ndarray
    grad_output: np.ndarray
    grad_weights: np.ndarray | None = None
    grad_bias: np.ndarray | None = None
    routing: np.ndarray | None = None


@dataclass
class Backprop:
    """``loss`` = −log p[target]; ``grad_input``: ``dL/dx`` of the network input ``(C, H, W)``."""

    target: int
    loss: float
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    loss_after: float
    learning_rate: float
    grad_input: np.ndarray
    layers: list[LayerGrad] = field(default_factory=list)


def float64_copy(model):
    """A deep copy of ``model`` with float64 parameters and buffers and no caches (the stored
    one is untouched)."""
    twin = copy.deepcopy(model)
    for layer in twin.layers:
        for store in (layer.params, layer.buffers):
            for k, p in store.items():
                store[k] = np.asarray(p, dtype=np.float64)
        layer.grads = {}
        layer.cache = None
        if hasattr(layer, "_spare_cols"):
            layer._spare_cols = []  # float32 scratch buffers of the original's training
    return twin


def logits_stop(model) -> int:
    """Number of layers up to the logits (before any final softmax or log-softmax)."""
    return model.logits_stop


def loss_of(model, x: np.ndarray, target: int) -> float:
    """Cross-entropy of ``model`` on ``x: (1, C, H, W)`` against class ``target`` (evaluation
    mode: batch norm uses its running statistics, dropout is off)."""
    logits = model.forward(x, stop=logits_stop(model))
    return softmax_cross_entropy(np.asarray(logits, dtype=np.float64), np.array([target]))[0]


def backprop(model, x: np.ndarray, target: int, learning_rate: float = 0.001) -> Backprop:
    """The whole backward pass of ``model`` (a chain or a graph) for ``x: (1, C, H, W)``
    labelled ``target``, in evaluation mode.

    Runs on a float64 copy; then takes one SGD step ``θ ← θ − learning_rate · dL/dθ`` on that
    copy and reports the probabilities before and after. Where a layer's output feeds several
    layers (a residual block), its ``grad_output`` is the sum of what comes back from each.
    ``ValueError`` names a bad ``target`` or ``learning_rate``.
    """
    n_classes = len(model.classes)
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise ValueError(f"target must be an int class index, got {target!r}")
    if not 0 <= target < n_classes:
        raise ValueError(f"target must be from 0 to {n_classes - 1}, got {target}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a finite number > 0, got {learning_rate!r}")
    net = float64_copy(model)
    x = np.asarray(x, dtype=np.float64)  # x: (1, C, H, W)
    stop = logits_stop(net)
    outputs = net.forward(x, backprop=True, return_all=True)  # outputs[i]: (1, *out_shape_i)
    logits = outputs[stop - 1]  # (1, K)
    loss, dlogits = softmax_cross_entropy(logits, np.array([target]))  # dlogits = p - y
    z = logits - logits.max()
    probs = np.exp(z) / np.exp(z).sum()  # (1, K)
    grads_out = _head_grads(net, stop, probs, target)
    pending: dict[int, np.ndarray] = {stop - 1: dlogits}
    for i in range(stop - 1, -1, -1):
        layer, d = net.layers[i], pending.pop(i, None)
        if d is None:  # not upstream of the logits: no gradient reaches it
            d = np.zeros_like(outputs[i])
            layer.grads = {k: np.zeros_like(p) for k, p in layer.params.items()}
            dxs = [None] * len(net.inputs[i])
        else:
            dxs = layer.backward(d, need_dx=True)
            dxs = dxs if isinstance(dxs, list) else [dxs]
        grads_out[i] = d
        for j, dx in zip(net.inputs[i], dxs, strict=True):
            if dx is not None:
                pending[j] = pending[j] + dx if j in pending else dx
    grad_input = pending.get(-1, np.zeros_like(x))  # (1, C, H, W)
    layers = []
    for i, layer in enumerate(net.layers):
        entry = LayerGrad(i, layer.name, layer.type, outputs[i][0], grads_out[i][0])
        if "weight" in layer.params and i < stop:
            w = layer.grads["weight"]
            entry.grad_weights = w.copy()
            b = layer.grads.get("bias")
            entry.grad_bias = b.copy() if b is not None else np.zeros(w.shape[0])
        if layer.type in ("maxpool2d", "minpool2d"):
            j = net.inputs[i][0]
            entry.routing = _winners(layer, x if j < 0 else outputs[j])
        layers.append(entry)
    for layer in net.layers[:stop]:  # one SGD step, on the copy only
        for k, p in layer.params.items():
            if k in layer.grads:
                p -= learning_rate * layer.grads[k]
    after = net.predict_proba(x)[0]
    return Backprop(
        target=int(target),
        loss=float(loss),
        probabilities_before=probs[0],
        probabilities_after=np.asarray(after, dtype=np.float64),
        loss_after=loss_of(net, x, target) + 0.0,  # + 0.0: no "-0.0"
        learning_rate=float(learning_rate),
        grad_input=grad_input[0],
        layers=layers,
    )


def _head_grads(net, stop: int, probs: np.ndarray, target: int) -> dict[int, np.ndarray]:
    """``dL/d(output)`` of the layers after the logits: a final softmax's ``−1/p`` at the
    target (clipped: JSON has no infinity), a final log-softmax's ``−1`` there."""
    grads = {}
    for i in range(stop, len(net.layers)):
        d = np.zeros_like(probs)
        if net.layers[i].type == "logsoftmax":
            d[0, target] = -1.0
        else:
            d[0, target] = -min(1.0 / max(float(probs[0, target]), 1e-300), MAX_PROB_GRAD)
        grads[i] = d
    return grads


def _winners(layer, x: np.ndarray) -> np.ndarray:
    """``(C, H, W)`` 0/1: which inputs of a max/min-pooling layer win a window (the only
    positions its backward sends gradient to): its backward of all-ones, made binary."""
    out = layer.forward(x, backprop=True)
    routed = layer.backward(np.ones_like(out))
    layer.cache = None
    return (routed[0] > 0).astype(np.float64)
