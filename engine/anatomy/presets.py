"""Small named examples for the convolution and pooling playgrounds, each from a source text.

Every preset is JSON-ready and named by what it shows: ``name`` (a stable slug), ``title`` (what
a page labels it with, e.g. "2×2 filter on a 3×3 image"), a one-line ``description``, and
``source``: the explanation it reproduces (one of :data:`SOURCES`, which the pages cite in a
footnote or tooltip). Convolution presets hold ``input: (C, H, W)`` and ``kernel: (C, kh, kw)``
as nested lists, ``bias`` a float, ``stride``/``padding``/``dilation`` as ``[h, w]`` pairs;
pooling presets hold ``input: (H, W)``, ``mode``, ``kernel_size``, ``stride``, ``padding`` and
``global``.
"""

from __future__ import annotations

import copy

import numpy as np

SOURCES: dict[str, dict] = {
    "viewpoints": {
        "author": "Matthew Kleinsmith",
        "title": "CNNs from different viewpoints",
        "year": None,
    },
    "jordan": {
        "author": "Jeremy Jordan",
        "title": "Convolutional neural networks",
        "year": None,
    },
    "washington": {
        "author": "Peter Washington",
        "title": "Convolutional Neural Networks (CNNs)",
        "year": 2021,
    },
    "volumes": {
        "author": "TechnologyMadeEasy",
        "title": "The best explanation of Convolutional Neural Networks on the Internet!",
        "year": None,
    },
    "rathi": {
        "author": "Mukul Rathi",
        "title": "Demystifying Deep Learning, Part 8: Convolutional Neural Networks",
        "year": 2018,
    },
}
"""The five introductions the explorer is built from (``shared/seeds/``), by a short key; the
year only where the text itself gives it."""


def cite(key: str) -> str:
    """``Author, "Title" (year)`` of ``SOURCES[key]`` (no year if it is not known)."""
    s = SOURCES[key]
    year = f" ({s['year']})" if s["year"] else ""
    return f'{s["author"]}, "{s["title"]}"{year}'


def _source(key: str) -> dict:
    return {"key": key, **SOURCES[key], "citation": cite(key)}


def _preset(name, title, source, x, kernel, description, bias=0.0, stride=1, padding=0) -> dict:
    return {
        "name": name,
        "title": title,
        "description": description,
        "source": _source(source),
        "input": np.asarray(x, dtype=np.float64).tolist(),
        "kernel": np.asarray(kernel, dtype=np.float64).tolist(),
        "bias": float(bias),
        "stride": [stride, stride],
        "padding": [padding, padding],
        "dilation": [1, 1],
    }


def _volume() -> tuple[list, list]:
    """Seeded random ``x: (3, 32, 32)`` in [0, 1] and ``w: (3, 5, 5)`` in [-1, 1], 1 decimal."""
    rng = np.random.default_rng(3)
    x = np.round(rng.uniform(0.0, 1.0, size=(3, 32, 32)), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    w = np.round(rng.uniform(-1.0, 1.0, size=(3, 5, 5)), 1) + 0.0
    return x, w


_ABC = [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]  # the pixels A..I of "CNNs from different viewpoints"
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
_DOTS_IMAGE = [[4, 5, 1, 2], [9, 2, 7, 2], [3, 8, 6, 1], [0, 4, 2, 5]]

_CONV = [
    _preset(
        "filter-2x2-on-3x3",
        "2×2 filter on a 3×3 image",
        "viewpoints",
        _ABC,
        [[[1, 2], [3, 4]]],
        "A 2×2 filter (α β γ δ = 1 2 3 4, bias 1) fits a 3×3 image (A…I = 1…9) four times: "
        "four results, a 4×9 weight matrix with 16 shared non-zeros.",
        bias=1.0,
    ),
    _preset(
        "two-dot-products",
        "two dot products: −34 and −16",
        "washington",
        [_DOTS_IMAGE],
        [[[1, -5], [-3, 7]]],
        "The 2×2 kernel [[1, −5], [−3, 7]] with stride 2 on a 4×4 image; the first two dot "
        "products are −34 and −16.",
        stride=2,
    ),
    _preset(
        "same-padding",
        "same padding",
        "viewpoints",
        _ABC,
        [[[1, 0, -1], [2, 0, -2], [1, 0, -1]]],
        "Zero padding 1 lets a 3×3 filter centre on every pixel, so the 3×3 image stays 3×3.",
        padding=1,
    ),
    _preset(
        "stride-2",
        "stride 2",
        "jordan",
        _SEVEN,
        [[[1, 0, -1], [1, 0, -1], [1, 0, -1]]],
        "Stride 2 moves a 3×3 edge filter two pixels at a time, shrinking a 5×5 digit "
        "(padding 1) to 3×3: ⌊(5 + 2·1 − 3) / 2⌋ + 1 = 3.",
        stride=2,
        padding=1,
    ),
    _preset(
        "1x1-across-channels",
        "1×1 across channels",
        "rathi",
        _RGB,
        [[[1]], [[-1]], [[2]]],
        "A 1×1 convolution sees one pixel but weights and sums it across the 3 input "
        "channels, giving one 4×4 map.",
    ),
    _preset(
        "5x5x3-on-32x32x3",
        "5×5×3 on 32×32×3",
        "volumes",
        *_volume(),
        "A 32×32×3 image convolved with one 5×5×3 filter gives a 28×28×1 map (seeded random "
        "values, rounded to 1 decimal).",
    ),
]
PRESETS: dict[str, dict] = {p["name"]: p for p in _CONV}
"""The convolution presets by name, in the order the page offers them."""

_FEATURE_MAP = [
    [0.1, 0.9, 0.3, 0.0, 0.2],
    [0.5, 0.2, 0.8, 0.4, 0.1],
    [0.0, 0.6, 0.1, 0.7, 0.3],
    [0.3, 0.2, 0.9, 0.5, 0.6],
    [0.4, 0.0, 0.2, 0.8, 0.1],
]


def _pool(name, title, source, description, x, mode, k=2, s=None, p=0, global_=False) -> dict:
    return {
        "name": name,
        "title": title,
        "description": description,
        "source": _source(source),
        "input": [[float(v) for v in row] for row in x],
        "mode": mode,
        "kernel_size": [k, k],
        "stride": [s or k, s or k],
        "padding": [p, p],
        "global": global_,
    }


POOL_PRESETS: list[dict] = [
    _pool(
        "max-2x2",
        "max pooling, 2×2",
        "washington",
        "Max pooling with a 2×2 window (stride 2) keeps the largest number of each window: "
        "9, 7, 8 and 6.",
        _DOTS_IMAGE,
        "max",
    ),
    _pool(
        "average",
        "average pooling",
        "jordan",
        "Average pooling summarises each 2×2 window by its mean (padding would count as zeros).",
        [row[:4] for row in _FEATURE_MAP[:4]],
        "avg",
    ),
    _pool(
        "minimum",
        "minimum pooling",
        "jordan",
        "Minimum pooling keeps the smallest value of each window.",
        [row[:4] for row in _FEATURE_MAP[:4]],
        "min",
    ),
    _pool(
        "overlapping-3x3-stride-2",
        "overlapping 3×3 windows, stride 2",
        "rathi",
        "N = 1 + ⌊(W − F + 2P) / S⌋ with F = 3, S = 2, P = 1: a 5×5 map pools to 3×3, the "
        "windows overlap, and the padding never wins a max.",
        _FEATURE_MAP,
        "max",
        k=3,
        s=2,
        p=1,
    ),
    _pool(
        "global-max",
        "global max pooling",
        "jordan",
        "Global max pooling shrinks the whole map to one number (1×1), whatever its size.",
        _FEATURE_MAP,
        "max",
        k=5,
        s=1,
        global_=True,
    ),
]
"""The pooling presets, in the order the page offers them."""


def get_preset(name: str) -> dict:
    """A deep copy of ``PRESETS[name]`` (safe to modify); ``ValueError`` names the choices."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)!r}")
    return copy.deepcopy(PRESETS[name])
