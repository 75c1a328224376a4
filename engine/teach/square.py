"""From lines to a square: a network whose every weight is set by hand (Jeremy Jordan asks "how
would you describe a square to someone who has never seen one?" — lines, meeting at corners).

Three conv layers of the engine's own ``Model``, each followed by a ReLU, on a small 0/1
drawing of one-pixel-wide lines:

1. **lines** (1 → 2 channels, 3×3, padding 1): a horizontal-line detector (the middle row of
   the kernel, bias −2: it fires 1 on a pixel with ink on both sides) and a vertical one;
2. **corners** (2 → 4, 3×3, padding 1): top-left, top-right, bottom-left, bottom-right. The
   top-left unit at ``(r, c)`` adds the horizontal map at ``(r, c + 1)`` (a line goes right)
   and the vertical map at ``(r + 1, c)`` (a line goes down), subtracts the lines that would
   carry on past the corner (left, up), bias −1: it fires 1 where the two lines meet;
3. **square** (4 → 1, ``SIDE × SIDE``, no padding): +1 on each corner type at its corner of a
   ``SIDE``-pixel square, bias −3: it fires where all four corners are in place, one
   ``SIDE`` apart — equal sides, so a rectangle's unequal sides leave it silent.

Then a global max pool: one number, "is there a square of side ``SIDE``?". Every weight can be
replaced (``weights``), and the maps follow.
"""

from __future__ import annotations

import numpy as np

from engine.model import Model

GRID = 14  # the drawing is GRID × GRID
SIDE = 7  # the square unit's square, in pixels (its kernel is SIDE × SIDE)
LAYERS = ("lines", "corners", "square")
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")

SPEC = [
    {
        "type": "conv2d",
        "name": "lines",
        "config": {"out_channels": 2, "kernel_size": 3, "padding": 1},
    },
    {"type": "relu", "name": "lines_relu"},
    {
        "type": "conv2d",
        "name": "corners",
        "config": {"out_channels": 4, "kernel_size": 3, "padding": 1},
    },
    {"type": "relu", "name": "corners_relu"},
    {"type": "conv2d", "name": "square", "config": {"out_channels": 1, "kernel_size": SIDE}},
    {"type": "relu", "name": "square_relu"},
    {"type": "globalmaxpool", "name": "found"},
]


def default_weights() -> dict[str, dict[str, list]]:
    """``{layer: {"weight": (F, C, kh, kw), "bias": (F,)}}`` as nested lists."""
    lines = np.zeros((2, 1, 3, 3))
    lines[0, 0, 1, :] = 1.0  # horizontal: ink left, here and right
    lines[1, 0, :, 1] = 1.0  # vertical: ink above, here and below
    corners = np.zeros((4, 2, 3, 3))
    H, V = 0, 1
    # (horizontal line goes to column offset dc, vertical line to row offset dr)
    for f, (dc, dr) in enumerate(((1, 1), (-1, 1), (1, -1), (-1, -1))):
        corners[f, H, 1, 1 + dc] = 1.0  # the horizontal line leaves the corner this way
        corners[f, H, 1, 1 - dc] = -1.0  # ... and does not carry on the other way
        corners[f, V, 1 + dr, 1] = 1.0  # the vertical line leaves it this way
        corners[f, V, 1 - dr, 1] = -1.0
    square = np.zeros((1, 4, SIDE, SIDE))
    last = SIDE - 1
    for f, (r, c) in enumerate(((0, 0), (0, last), (last, 0), (last, last))):
        square[0, f, r, c] = 1.0
    return {
        "lines": {"weight": lines.tolist(), "bias": [-2.0, -2.0]},
        "corners": {"weight": corners.tolist(), "bias": [-1.0] * 4},
        "square": {"weight": square.tolist(), "bias": [-3.0]},
    }


def network(weights: dict | None = None) -> Model:
    """The hand-built network with ``weights`` (default :func:`default_weights`); any layer
    left out keeps its default. ``ValueError`` names a layer or array of the wrong shape."""
    net = Model.from_spec(
        SPEC, (1, GRID, GRID), seed=None, name="lines to a square", classes=["square"]
    )
    given = default_weights() | (weights or {})
    unknown = sorted(set(given) - set(LAYERS))
    if unknown:
        raise ValueError(f"weights: unknown layer(s) {unknown}; the layers are {list(LAYERS)}")
    for layer in net.layers:
        if layer.name not in LAYERS:
            continue
        for k in ("weight", "bias"):
            want = layer.params[k].shape
            try:
                a = np.asarray(given[layer.name].get(k, default_weights()[layer.name][k]), float)
            except (TypeError, ValueError):
                raise ValueError(
                    f"weights.{layer.name}.{k}: must be {want} finite numbers (a rectangular "
                    "nested list)"
                ) from None
            if a.shape != want or not np.isfinite(a).all():
                raise ValueError(
                    f"weights.{layer.name}.{k}: must be {want} finite numbers, got shape {a.shape}"
                )
            layer.params[k] = a
    return net


def shapes() -> dict[str, list[list[float]]]:
    """The drawings the page offers, ``GRID × GRID`` 0/1: a square of side ``SIDE``, a
    rectangle, a right triangle, an L and a single line."""

    def blank():
        return np.zeros((GRID, GRID))

    r0, c0, last = 3, 3, SIDE - 1
    square = blank()
    square[r0, c0 : c0 + SIDE] = square[r0 + last, c0 : c0 + SIDE] = 1
    square[r0 : r0 + SIDE, c0] = square[r0 : r0 + SIDE, c0 + last] = 1
    rect = blank()
    rect[4, 3:10] = rect[8, 3:10] = 1  # as wide as the square, but only 5 tall
    rect[4:9, 3] = rect[4:9, 9] = 1
    triangle = blank()
    triangle[3, 3:10] = 1  # the top leg
    triangle[3:10, 3] = 1  # the left leg
    for k in range(SIDE):
        triangle[3 + k, 9 - k] = 1  # the hypotenuse
    ell = blank()
    ell[3:10, 4] = 1
    ell[9, 4:10] = 1
    line = blank()
    line[6, 3:11] = 1
    return {
        "square": square.tolist(),
        "rectangle": rect.tolist(),
        "triangle": triangle.tolist(),
        "L": ell.tolist(),
        "line": line.tolist(),
    }


def run(image, weights: dict | None = None) -> dict:
    """Every map of the network on ``image: (GRID, GRID)`` (values in [0, 1]).

    ``{"lines": (2, G, G), "corners": (4, G, G), "square": (1, G−SIDE+1, G−SIDE+1),
    "found": float}`` — each after its ReLU — plus the pre-activation sums under
    ``"<layer>_sum"``.
    """
    x = np.asarray(image, dtype=np.float64)
    if x.shape != (GRID, GRID):
        raise ValueError(f"image: must be {GRID}×{GRID}, got shape {x.shape}")
    outs = network(weights).forward(x[None, None], return_all=True)  # outs[i]: (1, ...)
    return {
        "lines_sum": outs[0][0],
        "lines": outs[1][0],
        "corners_sum": outs[2][0],
        "corners": outs[3][0],
        "square_sum": outs[4][0],
        "square": outs[5][0],
        "found": float(outs[6][0, 0]),
    }
