"""Gradient attributions of a class score (the pre-softmax logit) to the input pixels.

- saliency (Simonyan et al., 2014): ``d logit_c / d x`` and its magnitude;
- integrated gradients (Sundararajan et al., 2017): ``(x - x') * mean_k grad(x' + a_k (x - x'))``
  along the straight path from a baseline ``x'`` (default: zeros, a blank canvas), whose sum
  over pixels approximates ``logit_c(x) - logit_c(x')`` (completeness).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.explain.common import (
    check_input,
    check_targets,
    class_scores,
    detached,
    logits_stop,
    one_hot,
)
from engine.model import Model

MAX_IG_STEPS = 1024


def input_gradient(model: Model, x: np.ndarray, target) -> tuple[np.ndarray, np.ndarray]:
    """``d logit_target / d x`` for each example, in one forward and one backward pass.

    x: (N, C, H, W), target: int or (N,) ints → (grad: (N, C, H, W), logits: (N, K))
    """
    x = check_input(model, x)
    targets = check_targets(model, target, len(x))
    net, stop = detached(model), logits_stop(model)
    logits = net.forward(x, backprop=True, stop=stop)  # (N, K)
    grad = net.backward(one_hot(targets, logits.shape[1], logits.dtype), stop=stop, input_grad=True)
    return grad, logits


@dataclass
class Saliency:
    """gradient: (N, C, H, W) signed ``d logit_c / d x``; saliency: (N, H, W) its largest
    magnitude over channels; score: (N,) the logit explained; target: (N,) the class."""

    gradient: np.ndarray
    saliency: np.ndarray
    score: np.ndarray
    target: np.ndarray


def saliency(model: Model, x: np.ndarray, target) -> Saliency:
    """The saliency map ``max_c |d logit_target / d x_c|``. x: (N, C, H, W)."""
    grad, logits = input_gradient(model, x, target)
    targets = check_targets(model, target, len(grad))
    score = logits[np.arange(len(targets)), targets]
    return Saliency(grad, np.abs(grad).max(axis=1), score, targets)


@dataclass
class IntegratedGradients:
    """attributions: (N, C, H, W), summing to ≈ ``score - baseline_score``;
    score, baseline_score: (N,) logits of the target at ``x`` and at the baseline;
    delta: (N,) the completeness error ``attributions.sum() - (score - baseline_score)``."""

    attributions: np.ndarray
    score: np.ndarray
    baseline_score: np.ndarray
    delta: np.ndarray
    target: np.ndarray
    steps: int


def integrated_gradients(
    model: Model,
    x: np.ndarray,
    target,
    steps: int = 32,
    baseline: np.ndarray | None = None,
    batch_size: int = 128,
) -> IntegratedGradients:
    """Integrated gradients with the midpoint rule: ``a_k = (k + 1/2) / steps``.

    x: (N, C, H, W); baseline: (C, H, W) or (N, C, H, W), default zeros. The ``steps`` path
    points of all examples go through the network in batches of ``batch_size``.
    """
    x = check_input(model, x)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_IG_STEPS:
        raise ValueError(f"steps must be an int in 1..{MAX_IG_STEPS}, got {steps!r}")
    targets = check_targets(model, target, len(x))
    base = np.zeros_like(x) if baseline is None else np.broadcast_to(baseline, x.shape)
    base = base.astype(x.dtype)
    N = len(x)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(x.dtype)  # (m,)
    diff = x - base  # (N, C, H, W)
    # path: (N*m, C, H, W), example-major: row n*m + k is base[n] + alphas[k] * diff[n]
    path = (base[:, None] + alphas[None, :, None, None, None] * diff[:, None]).reshape(
        N * steps, *x.shape[1:]
    )
    path_targets = np.repeat(targets, steps)  # (N*m,)
    grads = np.concatenate(
        [
            input_gradient(model, path[i : i + batch_size], path_targets[i : i + batch_size])[0]
            for i in range(0, len(path), batch_size)
        ]
    )
    mean_grad = grads.reshape(N, steps, *x.shape[1:]).mean(axis=1)  # (N, C, H, W)
    attributions = diff * mean_grad
    rows = np.arange(N)
    score = class_scores(model, x)[rows, targets]
    baseline_score = class_scores(model, base)[rows, targets]
    delta = attributions.reshape(N, -1).sum(axis=1) - (score - baseline_score)
    return IntegratedGradients(attributions, score, baseline_score, delta, targets, steps)
