"""The one colour palette: the PNGs (``app.core.render``) and the pages
(``static/js/shared/palette.js``, generated from this module) colour the same numbers the same
way.

- Three colour maps as 256-entry tables: *diverging* (ColorBrewer RdBu, reversed: blue below
  zero, near-white at zero, red above) for signed values; *sequential* (ColorBrewer OrRd:
  near-white at zero up to deep red) for non-negative ones, so a ReLU map reads as the positive
  half of the convolution map before it; *ink* (paper to ink) for drawings in ``[0, 1]``.
- One rule from a value to a table index, :func:`lut_index`, which the page repeats in two
  lines (``Math.round`` is ``floor(t + 0.5)`` for ``t >= 0``, as here).
- Which scale a layer's output gets, :func:`scale_kinds`, and its range, :func:`scale_range`.
- One colour per kernel weight index ``k`` (:func:`weight_colours`): twelve hand-picked ones,
  then hues stepping by the golden angle, ``WEIGHT_COLOURS`` of them before they repeat.

``python -m app.core.palette`` writes ``static/js/shared/palette.js``; a test checks it is up to
date.
"""

from __future__ import annotations

import json
import sys
from functools import cache

import numpy as np

from app.core.settings import REPO_ROOT

LUT_SIZE = 256
STOPS = {
    "diverging": ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
                  "#fddbc7", "#f4a582", "#d6604d", "#b2182b"],
    "sequential": ["#f7f7f7", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59",
                   "#ef6548", "#d7301f", "#990000"],
    "ink": ["#ffffff", "#111827"],
}  # fmt: skip
STRUCTURAL_ZERO = "#d4d7dd"  # a weight-matrix cell / dense edge that is not a weight
EMPTY = "#ebebeb"  # a cell with no value (the padding of a wrapped vector)
FIRST_WEIGHT_COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
                        "#f032e6", "#9a6324", "#469990", "#808000", "#000075",
                        "#bfef45"]  # fmt: skip
WEIGHT_COLOURS = 4096  # distinct weight colours before they repeat (a 16×16×4×4 kernel)
JS_PATH = REPO_ROOT / "static" / "js" / "shared" / "palette.js"

# Which scale a layer's output gets, by type: non-negative outputs are sequential; layers that
# move or pick values ("inherit") keep the scale of their (first) input; anything else may be
# signed (conv, dense, batch norm, add, ...) and is diverging.
LAYER_SCALE = {
    "relu": "sequential",
    "sigmoid": "sequential",
    "softmax": "sequential",
    "softmaxdim": "sequential",
    **dict.fromkeys(
        ["maxpool2d", "avgpool2d", "minpool2d", "globalavgpool", "globalmaxpool", "flatten",
         "dropout", "identity", "concat", "reshape", "squeeze", "unsqueeze", "transpose", "pad",
         "resize2d"],
        "inherit",
    ),
}  # fmt: skip
INPUT_SCALE = "sequential"  # the network input: ink in [0, 1]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    n = int(hex_colour[1:], 16)
    return (n >> 16) & 255, (n >> 8) & 255, n & 255


def _interpolate(stops: list[str]) -> np.ndarray:
    """``(LUT_SIZE, 3)`` uint8, linear between evenly spaced ``stops``."""
    a = np.asarray([rgb(s) for s in stops], dtype=np.float64)  # a: (n, 3)
    pos = np.linspace(0.0, 1.0, len(a))
    t = np.linspace(0.0, 1.0, LUT_SIZE)
    lut = np.stack([np.interp(t, pos, a[:, i]) for i in range(3)], axis=1)
    return np.floor(lut + 0.5).astype(np.uint8)


LUTS = {name: _interpolate(stops) for name, stops in STOPS.items()}
for _lut in LUTS.values():
    _lut.flags.writeable = False


def scale_range(kind: str, vmin: float, vmax: float) -> tuple[float, float]:
    """``(lo, hi)`` a scale spans: ``[-m, m]`` with ``m = max |v|`` (diverging), or
    ``[min(0, vmin), vmax]`` (sequential); a constant layer gets a unit span (``m or 1``,
    ``hi = lo + 1``), so it sits at the neutral middle or the lightest end."""
    if kind == "diverging":
        m = max(abs(vmin), abs(vmax)) or 1.0
        return -m, m
    if kind == "ink":
        return 0.0, 1.0
    lo = min(0.0, vmin)
    return lo, vmax if vmax > lo else lo + 1.0


def lut_index(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Table index of every value: ``floor((v - lo) / (hi - lo) * 255 + 0.5)``, clipped."""
    t = (np.asarray(values, dtype=np.float64) - lo) / (hi - lo)
    return np.clip(np.floor(t * (LUT_SIZE - 1) + 0.5), 0, LUT_SIZE - 1).astype(np.intp)


def scale_kinds(layers: list[dict]) -> list[str]:
    """The scale kind of every layer's output, ``layers`` being ``LayerInfo`` dicts in order."""
    kinds: list[str] = []
    for info in layers:
        kind = LAYER_SCALE.get(info["type"], "diverging")
        if kind == "inherit":
            first = info.get("inputs", [info["index"] - 1])[0]
            kind = INPUT_SCALE if first < 0 else kinds[first]
        kinds.append(kind)
    return kinds


@cache
def _weight_table() -> np.ndarray:
    """``(WEIGHT_COLOURS, 3)`` uint8: the hand-picked colours, then golden-angle hues with
    three saturations and brightnesses; no two alike, none grey."""
    k = np.arange(WEIGHT_COLOURS)
    hue = (k * 0.6180339887498949) % 1.0
    sat = np.array([0.95, 0.75, 0.6])[k % 3]
    val = np.array([0.95, 0.8, 0.65])[(k // 3) % 3]
    table = _hsv_to_rgb(hue, sat, val)
    table[: len(FIRST_WEIGHT_COLOURS)] = [rgb(c) for c in FIRST_WEIGHT_COLOURS]
    seen: set[tuple[int, int, int]] = set()
    for i in range(WEIGHT_COLOURS):
        colour = tuple(int(v) for v in table[i])
        while colour in seen or len(set(colour)) == 1:
            colour = (colour[0], colour[1], (colour[2] + 1) % 256)
        seen.add(colour)
        table[i] = colour
    table.flags.writeable = False
    return table


def weight_colours(K: int) -> np.ndarray:
    """``(K, 3)`` uint8, the colour of kernel weight ``k`` for ``k < K`` (repeating after
    ``WEIGHT_COLOURS``)."""
    return _weight_table()[np.arange(K) % WEIGHT_COLOURS]


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectorised HSV → RGB; each argument ``(K,)`` in [0, 1]; returns ``(K, 3)`` uint8."""
    i = np.floor(h * 6).astype(int) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros((h.size, 3))
    for case, (r, g, b) in enumerate(choices):
        m = i == case
        out[m] = np.stack([r[m], g[m], b[m]], axis=1)
    return np.rint(out * 255).astype(np.uint8)


def _hex(table: np.ndarray) -> str:
    return "".join(f"{r:02x}{g:02x}{b:02x}" for r, g, b in table.tolist())


def javascript() -> str:
    """The text of ``static/js/shared/palette.js``."""
    lines = [
        "// GENERATED by `python -m app.core.palette` from app/core/palette.py — do not",
        "// edit; tests/app/core/test_palette.py fails when this file and the Python",
        "// palette disagree.",
        "// Tables are hex strings, 6 characters per colour.",
        "",
        f"export const LUT_SIZE = {LUT_SIZE};",
        f"export const stops = {json.dumps(STOPS)};",
        "export const luts = {",
        *(f'  {name}: "{_hex(lut)}",' for name, lut in LUTS.items()),
        "};",
        f"export const layerScale = {json.dumps(LAYER_SCALE)};",
        f'export const inputScale = "{INPUT_SCALE}";',
        f'export const structuralZero = "{STRUCTURAL_ZERO}";',
        f'export const empty = "{EMPTY}";',
        f'export const weightColours = "{_hex(_weight_table())}";',
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    text = javascript()
    tmp = JS_PATH.with_suffix(".js.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(JS_PATH)
    sys.stdout.write(f"wrote {JS_PATH.relative_to(REPO_ROOT)} ({len(text):,} characters)\n")
