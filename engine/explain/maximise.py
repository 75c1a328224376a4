"""Activation maximisation: the input a filter responds to most, found by gradient ascent.

Starting from faint seeded noise, each step (for every filter at once, one image per filter)::

    shift the image by a random jitter (≤ ``jitter`` px), forward, back-propagate the objective,
    shift the gradient back;  x += lr · g / rms(g) − l2 · ∇L2(x) − tv · ∇TV(x);
    every ``blur_every`` steps a 3×3 binomial blur;  clip to [0, 1]

(the penalties are :mod:`engine.explain.regularise`'s: ``L2`` pulls ``x`` towards the
background — blank ink for a drawing, mid-grey for a photo — and ``TV`` smooths it. The
activation's gradient is normalised, the penalties' are not: their weights are per-pixel rates.)

The objective is the activation of filter ``f``'s centre unit (``"center"``, the default: one
instance of the pattern, inside that unit's receptive field) or its mean over the whole map
(``"mean"``: a tiled texture; weaker for deep filters, whose mean is hard to raise everywhere).
A dense layer's unit ``f`` has one activation, so there the two are the same. Jitter and blur
are the regularisers that keep the image from turning into high-frequency noise; the L2 decay
pulls unused pixels back to the blank (0) background.
The same ``seed`` gives the same images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.convention import grad_to_ink, model_convention, to_network
from engine.explain.common import detached
from engine.explain.regularise import l2_penalty, total_variation
from engine.model import Model

OBJECTIVES = ("mean", "center")


def blur(x: np.ndarray) -> np.ndarray:
    """3×3 binomial blur ``[1, 2, 1] / 4`` in each direction, edges replicated. (N, C, H, W)."""
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    v = (p[:, :, :-2] + 2 * p[:, :, 1:-1] + p[:, :, 2:]) / 4  # (N, C, H, W + 2)
    return (v[..., :-2] + 2 * v[..., 1:-1] + v[..., 2:]) / 4  # (N, C, H, W)


def _objective_grad(shape: tuple[int, ...], filters: np.ndarray, objective: str, dtype):
    """d objective / d A for A: (N, F, h, w) or (N, F): one image per filter in ``filters``."""
    d = np.zeros(shape, dtype=dtype)
    rows = np.arange(len(filters))
    if len(shape) == 2:
        d[rows, filters] = 1
    elif objective == "mean":
        d[rows, filters] = 1.0 / (shape[2] * shape[3])
    else:
        d[rows, filters, shape[2] // 2, shape[3] // 2] = 1
    return d


def _objective(A: np.ndarray, filters: np.ndarray, objective: str) -> np.ndarray:
    """A: (N, F, h, w) or (N, F) → (N,) the objective of image n for filter ``filters[n]``."""
    a = A[np.arange(len(filters)), filters]  # (N, h, w) or (N,)
    if a.ndim == 1:
        return a
    if objective == "mean":
        return a.mean(axis=(1, 2))
    return a[:, a.shape[1] // 2, a.shape[2] // 2]


def regularisers(input_shape: tuple[int, ...]) -> tuple[int, int, float]:
    """``(jitter, blur_every, background)`` for an input ``(C, H, W)``.

    A drawing (one channel): 1 px of jitter, a blur every 4 steps, and the blank canvas (0) as
    the background the decay pulls unused pixels to. A photo (three channels): jitter of
    ``H / 16`` px and a blur every other step — at photo sizes a 1 px shift and a rare blur
    leave the high-frequency, adversarial-looking patterns the unregularised ascent finds
    (Mordvintsev et al., 2015; Olah et al., 2017) — and mid-grey (0.5) as the background.
    """
    C, H, _ = input_shape
    if C == 1:
        return 1, 4, 0.0
    return max(1, round(H / 16)), 2, 0.5


@dataclass
class Maximised:
    """images: (n, C, H, W) in [0, 1], one per filter; initial, activation: (n,) the objective
    before and after; history: (steps + 1, n) the objective along the way (without jitter)."""

    images: np.ndarray
    filters: np.ndarray
    initial: np.ndarray
    activation: np.ndarray
    history: np.ndarray
    layer: int
    objective: str
    seed: int


def maximise_activation(
    model: Model,
    layer: int,
    filters=None,
    steps: int = 48,
    lr: float = 0.1,
    l2: float = 0.01,
    jitter: int | None = None,
    blur_every: int | None = None,
    objective: str = "center",
    seed: int = 0,
    tv: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> Maximised:
    """Images maximising each of ``filters`` (default: all) of ``layer``'s output.

    ``jitter`` and ``blur_every`` default to :func:`regularisers` for the model's input; ``tv``
    weighs the total variation (squared differences; explicit steps are stable for
    ``tv < 1/8``). ``progress(t)`` is called before step ``t``; it may raise to stop."""
    n_layers = len(model.layers)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
        raise ValueError(f"layer must be an index in 0..{n_layers - 1}, got {layer!r}")
    if not 0 <= layer < n_layers or model.layers[layer].type == "softmax":
        raise ValueError(f"layer must be an index in 0..{n_layers - 1} (not softmax), got {layer}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    out_shape = model.shapes[layer + 1]
    F = out_shape[0]
    filters = np.arange(F) if filters is None else np.atleast_1d(np.asarray(filters))
    if not np.issubdtype(filters.dtype, np.integer) or filters.min() < 0 or filters.max() >= F:
        raise ValueError(f"filters must be indices in 0..{F - 1}, got {filters.tolist()!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    if not (0 <= l2 < 1 and 0 <= tv < 0.125):
        raise ValueError(f"l2 must be in [0, 1) and tv in [0, 0.125), got {l2!r} and {tv!r}")
    rng = np.random.default_rng(seed)
    dtype = next(iter(model.params().values()), np.zeros(0, np.float32)).dtype
    default_jitter, default_blur, background = regularisers(model.input_shape)
    jitter = default_jitter if jitter is None else jitter
    blur_every = default_blur if blur_every is None else blur_every
    noise = 0.1 * (rng.random((len(filters), *model.input_shape)) - (background > 0) / 2)
    x = (background + noise).astype(dtype)  # (n, C, H, W): faint noise on the background
    net, stop = detached(model), layer + 1
    convention = model_convention(model)  # x is ink in [0, 1]; the model sees it as trained

    def measure(img):
        return _objective(net.forward(to_network(img, convention), stop=stop), filters, objective)

    history = [measure(x)]
    for t in range(steps):
        if progress is not None:
            progress(t)
        dy, dx = rng.integers(-jitter, jitter + 1, size=2) if jitter else (0, 0)
        shifted = np.roll(x, (dy, dx), axis=(2, 3))
        A = net.forward(to_network(shifted, convention), backprop=True, stop=stop)
        dA = _objective_grad(A.shape, filters, objective, A.dtype)
        g = grad_to_ink(net.backward(dA, stop=stop, input_grad=True), convention)
        g = np.roll(g, (-dy, -dx), axis=(2, 3))  # back to the unshifted image
        rms = np.sqrt((g**2).mean(axis=(1, 2, 3), keepdims=True)) + 1e-8  # (n, 1, 1, 1)
        step = lr * g / rms - l2 * l2_penalty(x, background)[1]
        if tv:
            step -= tv * total_variation(x)[1]
        x = x + step
        if blur_every and (t + 1) % blur_every == 0:
            x = blur(x)
        x = np.clip(x, 0, 1).astype(dtype)
        history.append(measure(x))
    history = np.stack(history)  # (steps + 1, n)
    return Maximised(x, filters, history[0], history[-1], history, int(layer), objective, seed)
