"""Optimisers over a ``{name: array}`` parameter dict, updating the arrays in place."""

from __future__ import annotations

import math

import numpy as np


class SGD:
    """SGD with momentum (heavy-ball, or Nesterov's) and optional L2 weight decay, as
    ``torch.optim.SGD`` (no dampening): with ``g = grad + weight_decay·p`` and
    ``v ← momentum·v + g``, the step is ``p ← p - lr·v``, or with ``nesterov``
    ``p ← p - lr·(g + momentum·v)``."""

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr=0.01,
        momentum=0.9,
        weight_decay=0.0,
        nesterov: bool = False,
    ):
        if nesterov and not momentum > 0:
            raise ValueError(f"Nesterov momentum needs momentum > 0, got {momentum!r}")
        self.params, self.lr, self.momentum, self.weight_decay = params, lr, momentum, weight_decay
        self.nesterov = nesterov
        self.velocity = {k: np.zeros_like(p) for k, p in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        mu, lr = float(self.momentum), float(self.lr)
        for k, p in self.params.items():
            g = grads[k] + float(self.weight_decay) * p if self.weight_decay else grads[k]
            v = self.velocity[k]
            v *= mu
            v += g
            if self.nesterov:
                p -= lr * (g + mu * v)
            else:
                p -= lr * v


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction, as ``torch.optim.Adam``."""

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
    ):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.weight_decay = weight_decay
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        b1, b2 = float(self.betas[0]), float(self.betas[1])
        # Python floats throughout: a NumPy float64 scalar (np.sqrt's result, say) times a
        # float32 array is float64 under NumPy 2's promotion rules — a silent upcast of every
        # update.
        step = float(self.lr) * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        eps = float(self.eps)
        for k, p in self.params.items():
            g = grads[k] + float(self.weight_decay) * p if self.weight_decay else grads[k]
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)  # then, in place: step * m / (sqrt(v) + eps)
            denom += eps
            np.divide(m, denom, out=denom)
            denom *= step
            p -= denom


OPTIMISERS = {"sgd": SGD, "adam": Adam}


def make_optimiser(name: str, params: dict[str, np.ndarray], lr: float, **kwargs):
    """Build an optimiser by name (``"sgd"`` or ``"adam"``)."""
    if name not in OPTIMISERS:
        raise ValueError(f"optimiser must be one of {sorted(OPTIMISERS)}, got {name!r}")
    return OPTIMISERS[name](params, lr=lr, **kwargs)
