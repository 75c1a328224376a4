"""A regularised feature visualisation of one unit: :func:`~engine.explain.maximise_activation`
with defaults that suit the unit, and the penalties of the picture it found.

The defaults (:func:`unit_regularisers`) follow the unit's receptive field: jitter moves the
picture under the unit, so it may not be larger than about an eighth of what the unit sees — a
first layer's 5×5 filter jittered by 2 px sees a different patch every step and never settles
(the ascent then lowers the activation it should raise). Blur every 4 steps and a small total
variation weight keep the picture smooth; the L2 decay pulls unused pixels to the background.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.explain.geometry import receptive_field
from engine.explain.maximise import Maximised, maximise_activation, regularisers
from engine.explain.regularise import l2_penalty, total_variation
from engine.model import Model

DEFAULT_STEPS = 96
DEFAULT_TV = 0.03
DEFAULT_L2 = 0.01


@dataclass(frozen=True)
class Regularisers:
    """jitter: px; blur_every: steps (0: never); l2, tv: the penalties' weights."""

    jitter: int
    blur_every: int
    l2: float
    tv: float


def unit_regularisers(model: Model, layer: int) -> Regularisers:
    """The defaults for a unit of ``layer``: jitter ≤ its receptive field / 8 (the input's
    default, :func:`regularisers`, where the unit has no box: a dense layer sees everything)."""
    jitter, _, _ = regularisers(model.input_shape)
    if len(model.shapes[layer + 1]) == 3:
        try:
            h, w = receptive_field(model, layer)
            jitter = min(jitter, min(h, w) // 8)
        except ValueError:  # no box (a layer after a flatten): the input's default
            pass
    return Regularisers(jitter=jitter, blur_every=4, l2=DEFAULT_L2, tv=DEFAULT_TV)


@dataclass
class Visualisation:
    """The maximised picture of one unit and what was asked: ``result.images[0]``:
    (C, H, W) in [0, 1]; ``l2``, ``tv``: the penalties of that picture (unweighted)."""

    result: Maximised
    regularisers: Regularisers
    steps: int
    l2: float
    tv: float


def visualise_unit(
    model: Model,
    layer: int,
    unit: int,
    steps: int = DEFAULT_STEPS,
    regs: Regularisers | None = None,
    objective: str = "center",
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Visualisation:
    """Gradient ascent on the input for ``unit`` of ``layer``, regularised by ``regs``
    (default :func:`unit_regularisers`)."""
    regs = unit_regularisers(model, layer) if regs is None else regs
    _, _, background = regularisers(model.input_shape)
    result = maximise_activation(
        model, layer, [unit], steps=steps, l2=regs.l2, jitter=regs.jitter,
        blur_every=regs.blur_every, objective=objective, seed=seed, tv=regs.tv,
        progress=progress,
    )  # fmt: skip
    x = result.images.astype(np.float64)  # (1, C, H, W)
    l2 = float(l2_penalty(x, background)[0][0])
    tv = float(total_variation(x, eps=0.0)[0][0])
    return Visualisation(result, regs, steps, l2, tv)
