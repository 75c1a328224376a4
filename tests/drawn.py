"""Digits drawn the way a person draws them in the browser: round-brush strokes on a canvas.

Each digit is a few polylines in the unit square (y down), traced from how people write them;
:func:`draw` renders one with a slant, scale, offset and brush width, on a 280×280 canvas with
a round brush (what the explorer's drawing pad does), dark ink on white.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def _arc(cx, cy, rx, ry, start_deg, end_deg, n=24):
    t = np.radians(np.linspace(start_deg, end_deg, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t), strict=True))


STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.28, 0.4, -90, 270)],
    1: [[(0.38, 0.22), (0.52, 0.1), (0.52, 0.9)]],
    2: [_arc(0.5, 0.32, 0.24, 0.2, 190, 370) + [(0.62, 0.55), (0.24, 0.9), (0.8, 0.9)]],
    3: [_arc(0.48, 0.3, 0.22, 0.19, 200, 450) + _arc(0.48, 0.69, 0.26, 0.21, -90, 150)],
    4: [[(0.58, 0.1), (0.2, 0.62), (0.82, 0.62)], [(0.64, 0.32), (0.64, 0.92)]],
    5: [[(0.75, 0.1), (0.32, 0.1), (0.28, 0.46)] + _arc(0.5, 0.66, 0.26, 0.24, -120, 150)],
    6: [[(0.7, 0.08), (0.45, 0.3), (0.32, 0.55)] + _arc(0.52, 0.7, 0.21, 0.2, 180, 540)],
    7: [[(0.2, 0.12), (0.8, 0.12), (0.42, 0.92)]],
    8: [_arc(0.5, 0.29, 0.19, 0.19, 90, 450), _arc(0.5, 0.7, 0.24, 0.21, -90, 270)],
    9: [_arc(0.5, 0.31, 0.2, 0.2, 0, 360), [(0.7, 0.31), (0.66, 0.92)]],
}


def draw(
    digit: int,
    slant: float = 0.0,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    width: int = 24,
    size: int = 280,
) -> np.ndarray:
    """One drawing of ``digit``: uint8 (size, size), 255 = paper, 0 = ink.

    ``slant`` shears x by ``slant * (0.5 - y)`` (positive leans right), ``scale`` shrinks or
    grows the digit about the canvas centre, ``offset`` moves it (fractions of the canvas).
    """
    img = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(img)
    for stroke in STROKES[digit]:
        pts = []
        for x, y in stroke:
            x = x + slant * (0.5 - y)
            x, y = 0.5 + (x - 0.5) * scale + offset[0], 0.5 + (y - 0.5) * scale + offset[1]
            pts.append((x * size, y * size))
        pen.line(pts, fill=0, width=width, joint="curve")
        r = width / 2
        for px, py in (pts[0], pts[-1]):  # round caps, as the canvas's lineCap = "round"
            pen.ellipse((px - r, py - r, px + r, py + r), fill=0)
    return np.asarray(img)


def variations(seed: int = 0, per_digit: int = 8):
    """``(digit, drawing)`` pairs: every digit with seeded slant, scale, offset and brush width."""
    rng = np.random.default_rng(seed)
    for digit in range(10):
        for _ in range(per_digit):
            yield (
                digit,
                draw(
                    digit,
                    slant=float(rng.uniform(-0.3, 0.3)),
                    scale=float(rng.uniform(0.55, 1.0)),
                    offset=(float(rng.uniform(-0.12, 0.12)), float(rng.uniform(-0.12, 0.12))),
                    width=int(rng.integers(14, 34)),
                ),
            )
