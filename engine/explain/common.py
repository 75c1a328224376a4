"""What every explanation needs: a private copy of the model to back-propagate through, the
index where the logits are, and target classes checked against the model.

The served model is shared by concurrent requests, and ``forward(backprop=True)`` stores each
layer's cache on the layer. :func:`detached` makes a copy whose layers share the (read-only)
weights but own their caches and gradients, so explanations never touch the shared model.
Explanations run the model as it predicts: evaluation mode (running statistics, no dropout)
with the caches kept (``backprop=True``).
"""

from __future__ import annotations

import numpy as np

from engine.model import Model


def detached(model: Model) -> Model:
    """A copy of ``model`` sharing its weight arrays, with its own caches and gradients."""
    return model.copy_for_backprop()


def logits_stop(model: Model) -> int:
    """Number of layers up to the logits: all of them, or up to what a final softmax reads."""
    return model.logits_stop


def check_input(model: Model, x: np.ndarray) -> np.ndarray:
    """``x`` as a floating array shaped ``(N, *model.input_shape)``; ValueError otherwise."""
    x = np.asarray(x)
    if x.ndim != 4 or tuple(x.shape[1:]) != model.input_shape:
        raise ValueError(f"x must be (N, *{model.input_shape}), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    return x


def check_targets(model: Model, target, n: int) -> np.ndarray:
    """``target`` (an int or one per example) as an ``(n,)`` int array of valid class indices."""
    k = len(model.classes)
    t = np.broadcast_to(np.asarray(target), (n,)) if np.ndim(target) == 0 else np.asarray(target)
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"target must be an int or {n} ints, got {target!r}")
    if t.size and (t.min() < 0 or t.max() >= k):
        raise ValueError(f"target must be a class index in 0..{k - 1}, got {target!r}")
    return t.astype(np.int64)


def class_scores(model: Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Pre-softmax logits. x: (N, C, H, W) → (N, K), in batches of ``batch_size``."""
    stop = logits_stop(model)
    out = [model.forward(x[i : i + batch_size], stop=stop) for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, len(model.classes)), dtype=x.dtype)


def one_hot(targets: np.ndarray, k: int, dtype) -> np.ndarray:
    """targets: (N,) → (N, K) with a 1 at each target: ``d logit_t / d logits``."""
    out = np.zeros((len(targets), k), dtype=dtype)
    out[np.arange(len(targets)), targets] = 1
    return out
