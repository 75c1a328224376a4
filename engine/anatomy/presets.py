"""Small named examples for the convolution playground, each reproducing one of the seed texts.

Every preset is JSON-ready: ``input: (C, H, W)`` and ``kernel: (C, kh, kw)`` as nested lists,
``bias`` a float, ``stride``/``padding``/``dilation`` as ``[h, w]`` pairs, and a one-line
``description`` citing the seed it comes from.
"""

from __future__ import annotations

import copy

import numpy as np


def _preset(x, kernel, description, bias=0.0, stride=1, padding=0, dilation=1) -> dict:
    return {
        "input": np.asarray(x, dtype=np.float64).tolist(),
        "kernel": np.asarray(kernel, dtype=np.float64).tolist(),
        "bias": float(bias),
        "stride": [stride, stride],
        "padding": [padding, padding],
        "dilation": [dilation, dilation],
        "description": description,
    }


def _volume() -> tuple[list, list]:
    """Seeded random ``x: (3, 32, 32)`` in [0, 1] and ``w: (3, 5, 5)`` in [-1, 1], 1 decimal."""
    rng = np.random.default_rng(3)
    x = np.round(rng.uniform(0.0, 1.0, size=(3, 32, 32)), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    w = np.round(rng.uniform(-1.0, 1.0, size=(3, 5, 5)), 1) + 0.0
    return x, w


_ABC = [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]  # seed 000's pixels A..I
_SEVEN = [
    [
        [0, 1, 1, 1, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 1, 0, 0],
        [0, 1, 0, 0, 0],
        [0, 1, 0, 0, 0],
    ]
]
_RGB = [
    [[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 3, 2, 0]],
    [[0, 1, 1, 0], [2, 2, 0, 1], [1, 0, 3, 2], [0, 1, 0, 1]],
    [[3, 0, 2, 1], [1, 1, 0, 0], [0, 2, 1, 3], [2, 0, 1, 2]],
]

PRESETS: dict[str, dict] = {
    "seed000": _preset(
        _ABC,
        [[[1, 2], [3, 4]]],
        "Seed 000: a 2×2 filter (α β γ δ = 1 2 3 4, bias 1) fits a 3×3 image (A…I = 1…9) "
        "four times: four results, a 4×9 weight matrix with 16 shared non-zeros.",
        bias=1.0,
    ),
    "seed002": _preset(
        [[[4, 5, 1, 2], [9, 2, 7, 2], [3, 8, 6, 1], [0, 4, 2, 5]]],
        [[[1, -5], [-3, 7]]],
        "Seed 002: the 2×2 kernel [[1, −5], [−3, 7]] with stride 2 on a 4×4 image; the first "
        "two dot products are −34 and −16.",
        stride=2,
    ),
    "seed000-padding": _preset(
        _ABC,
        [[[1, 0, -1], [2, 0, -2], [1, 0, -1]]],
        "Seed 000 (bonus): zero padding 1 lets a 3×3 filter centre on every pixel, so the "
        "3×3 image stays 3×3.",
        padding=1,
    ),
    "seed001-stride": _preset(
        _SEVEN,
        [[[1, 0, -1], [1, 0, -1], [1, 0, -1]]],
        "Seed 001: stride 2 moves a 3×3 edge filter two pixels at a time, shrinking a 5×5 "
        "digit (padding 1) to 3×3: ⌊(5 + 2·1 − 3) / 2⌋ + 1 = 3.",
        stride=2,
        padding=1,
    ),
    "seed004-1x1": _preset(
        _RGB,
        [[[1]], [[-1]], [[2]]],
        "Seed 004: a 1×1 convolution sees one pixel but weights and sums it across the 3 "
        "input channels, giving one 4×4 map.",
    ),
    "seed003-volume": _preset(
        *_volume(),
        "Seed 003: a 32×32×3 image convolved with one 5×5×3 filter gives a 28×28×1 map "
        "(seeded random values, rounded to 1 decimal).",
    ),
}


def get_preset(name: str) -> dict:
    """A deep copy of ``PRESETS[name]`` (safe to modify); ``ValueError`` names the choices."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)!r}")
    return copy.deepcopy(PRESETS[name])
