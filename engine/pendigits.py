"""Pen-tablet digits (UCI "pendigits", UNIPEN text) drawn the way the explorer's pad draws them.

The explorer's pad (``static/js/shared/draw.js``) paints each stroke as one canvas path with a
round brush of diameter ``brush`` × the pad's side (``static/js/shared/config.js``: 24/280), and
sends the server a transparent ``exportSize`` = 140 px PNG with the ink in alpha; the server then
runs :func:`engine.preprocess.preprocess` on it. :func:`render` re-implements that brush in NumPy
and :func:`to_network_input` adds the server's preprocessing, so real pen strokes become training
images exactly as a person drawing them on the page would produce.

A digit's strokes are ``(K, 2)`` float arrays of ``(x, y)`` points. In the file they are tablet
units with y pointing up; after :func:`place` they are pad coordinates in ``[0, 1]``, y down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.preprocess import preprocess

PAD_BRUSH = 24 / 280  # static/js/shared/config.js drawing.brush: diameter / the pad's side
PAD_EXPORT = 140  # static/js/shared/config.js drawing.exportSize: the PNG's side in pixels

_COMMENT = re.compile(r"\.COMMENT\s+(\d+)\s+(\d+)\s+(\d+)")


@dataclass
class PenDigit:
    """One digit: its ``label``, its ``writer`` (1-based) and its ``strokes`` ((K, 2) each)."""

    label: int
    writer: int
    strokes: list[np.ndarray]


def load(path: str | Path) -> list[PenDigit]:
    """Parse a UNIPEN pendigits file (``.SEGMENT``, ``.COMMENT label writer n``, ``.PEN_DOWN``
    points ``.PEN_UP``) into :class:`PenDigit` s, in file order."""
    digits: list[PenDigit] = []
    stroke: list[tuple[float, float]] | None = None
    for line in Path(path).read_text().splitlines():
        if line.startswith(".COMMENT"):
            m = _COMMENT.match(line)
            if m is None:
                raise ValueError(f"{path}: unreadable .COMMENT line {line!r}")
            digits.append(PenDigit(int(m.group(1)), int(m.group(2)), []))
        elif line.startswith(".PEN_DOWN"):
            stroke = []
        elif line.startswith(".PEN_UP"):
            if stroke:
                digits[-1].strokes.append(np.array(stroke, dtype=np.float64))
            stroke = None
        elif stroke is not None and line.strip():
            x, y = line.split()
            stroke.append((float(x), float(y)))
    return [d for d in digits if d.strokes]


def writers_from(spec: str) -> set[int]:
    """``"1-22"`` or ``"1-5,9,12-14"`` → the set of writer numbers."""
    out: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"writers: {spec!r} is not like '1-22' or '1-5,9'")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def place(
    strokes: list[np.ndarray],
    rng: np.random.Generator,
    size: tuple[float, float] = (0.35, 0.85),
    margin: float = 0.04,
    rotate: float = 0.0,
    shear: float = 0.0,
) -> list[np.ndarray]:
    """Tablet strokes → pad strokes in ``[0, 1]`` (y down), as a person might draw the digit.

    The digit's longer side becomes a random fraction ``size`` of the pad (aspect kept), at a
    random position at least ``margin`` from the edges. ``rotate`` (degrees) and ``shear``
    (slant, ``x += shear * y``) are random strengths in ``[-s, s]``, applied first.
    """
    pts = [s * np.array([1.0, -1.0]) for s in strokes]  # y up -> y down, each (K, 2)
    theta = np.deg2rad(rotate) * rng.uniform(-1, 1)
    k = shear * rng.uniform(-1, 1)
    c, s = np.cos(theta), np.sin(theta)
    A = np.array([[1.0, k], [0.0, 1.0]]) @ np.array([[c, -s], [s, c]])  # (2, 2)
    pts = [p @ A.T for p in pts]
    allp = np.concatenate(pts)  # (sum K, 2)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    extent = max(float((hi - lo).max()), 1e-9)
    scale = rng.uniform(*size) / extent
    box = (hi - lo) * scale  # (2,): the digit's width and height on the pad
    free = np.maximum(1 - 2 * margin - box, 0.0)
    origin = margin + rng.uniform(0, 1, size=2) * free  # (2,): top-left corner
    return [(p - lo) * scale + origin for p in pts]


def _capsule_cover(side: int, a: np.ndarray, b: np.ndarray, r: float):
    """Coverage of the segment ``a → b`` (canvas pixels, ``(2,)`` each, ``(x, y)``) drawn with a
    round brush of radius ``r``, on the pixels of its bounding box → ``(rows, cols, cover)``,
    the box's slices and ``cover: (h, w)`` float32 = ``clip(r + 0.5 - d, 0, 1)``, ``d`` the
    distance of each pixel centre to the segment; ``None`` when the box is off the canvas."""
    lo = np.clip(np.floor(np.minimum(a, b) - r - 1), 0, side).astype(int)  # (2,): x0, y0
    hi = np.clip(np.ceil(np.maximum(a, b) + r + 1), 0, side).astype(int)
    if (hi <= lo).any():
        return None
    px = (np.arange(lo[0], hi[0]) + 0.5)[None, :] - a[0]  # (1, w): x - a_x
    py = (np.arange(lo[1], hi[1]) + 0.5)[:, None] - a[1]  # (h, 1): y - a_y
    ab = b - a
    t = np.clip((px * ab[0] + py * ab[1]) / max(float(ab @ ab), 1e-12), 0.0, 1.0)  # (h, w)
    d = np.hypot(px - t * ab[0], py - t * ab[1])  # (h, w): distance to the nearest point
    cover = np.clip(r + 0.5 - d, 0.0, 1.0).astype(np.float32)
    return slice(lo[1], hi[1]), slice(lo[0], hi[0]), cover


def render(strokes: list[np.ndarray], side: int = PAD_EXPORT, brush: float = PAD_BRUSH):
    """Paint pad strokes (``[0, 1]`` coordinates) with the pad's round brush → alpha ``(side,
    side)`` float32 in ``[0, 1]``.

    Like the canvas: one path per stroke, round caps and joins (the stroke covers every pixel
    within ``brush * side / 2`` of its polyline: the union, i.e. the max, of its segments'
    coverage), anti-aliased by coverage ``clip(r + 0.5 - d)`` at the pixel centre, and strokes
    composited "source-over" (``a + b - a b``).
    """
    r = brush * side / 2
    alpha = np.zeros((side, side), dtype=np.float32)
    for points in strokes:
        p = np.asarray(points, dtype=np.float64) * side  # (K, 2) canvas pixels, (x, y)
        if len(p) == 1:
            p = np.concatenate([p, p])  # a dot: a zero-length segment
        path = np.zeros_like(alpha)  # this stroke's coverage
        for a, b in zip(p[:-1], p[1:], strict=True):  # one segment at a time, on its own box
            box = _capsule_cover(side, a, b, r)
            if box is not None:
                rows, cols, cover = box
                np.maximum(path[rows, cols], cover, out=path[rows, cols])
        alpha += path * (1 - alpha)  # source-over
    return alpha


def render_naive(strokes: list[np.ndarray], side: int = PAD_EXPORT, brush: float = PAD_BRUSH):
    """Plain-loop reference for :func:`render` (same arguments, same result); slow."""
    r = brush * side / 2
    alpha = np.zeros((side, side), dtype=np.float64)
    for points in strokes:
        p = np.asarray(points, dtype=np.float64) * side
        segments = list(zip(p[:-1], p[1:], strict=True)) if len(p) > 1 else [(p[0], p[0])]
        for i in range(side):
            for j in range(side):
                c = np.array([j + 0.5, i + 0.5])  # the pixel centre, (x, y)
                d = np.inf
                for a, b in segments:
                    ab = b - a
                    t = 0.0 if ab @ ab == 0 else min(max((c - a) @ ab / (ab @ ab), 0.0), 1.0)
                    d = min(d, float(np.linalg.norm(c - a - t * ab)))
                cover = min(max(r + 0.5 - d, 0.0), 1.0)
                alpha[i, j] += cover * (1 - alpha[i, j])
    return alpha.astype(np.float32)


def to_network_input(alpha: np.ndarray) -> np.ndarray:
    """Pad alpha ``(side, side)`` → the 28×28 the server computes on: quantised to the PNG's
    uint8 alpha, then :func:`engine.preprocess.preprocess`."""
    a8 = np.round(alpha * 255).astype(np.uint8)
    rgba = np.zeros((*a8.shape, 4), dtype=np.uint8)
    rgba[..., 3] = a8
    return preprocess(rgba)


def rendered_set(
    digits: list[PenDigit],
    copies: int,
    seed: int,
    rotate: float = 8.0,
    shear: float = 0.25,
    size: tuple[float, float] = (0.3, 0.9),
) -> tuple[np.ndarray, np.ndarray]:
    """``copies`` renderings of every digit at random size, position, rotation and slant,
    preprocessed as the server does → ``(images: (N, 28, 28) uint8, labels: (N,) uint8)``,
    ``N = copies * len(digits)`` (uint8 like the MNIST IDX images)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((copies * len(digits), 28, 28), dtype=np.uint8)
    labels = np.zeros(copies * len(digits), dtype=np.uint8)
    for i in range(copies):
        for j, digit in enumerate(digits):
            strokes = place(digit.strokes, rng, size=size, rotate=rotate, shear=shear)
            x = to_network_input(render(strokes))  # (28, 28) float32
            images[i * len(digits) + j] = np.round(x * 255).astype(np.uint8)
            labels[i * len(digits) + j] = digit.label
    return images, labels
