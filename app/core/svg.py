"""A :class:`~app.core.render.Figure` as an SVG: the same layout and numbers as its PNG.

Text stays text (title, labels, the colour bar's ends and the range sentence, and a caption
naming the model, the input and the layer), so a script or an editor can read and restyle it.
The colour bar is a vector gradient through the palette; a picture of values is one embedded
PNG at one pixel per value, scaled up without smoothing, so the file stays small and every cell
keeps its exact colour. The result is standalone (no external references): it opens in a
browser and in an SVG editor.
"""

from __future__ import annotations

import base64
import io
import math
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import Image

from app.core.render import (
    BAR_HEIGHT,
    FRAME,
    LINE,
    MARGIN,
    Bar,
    Figure,
    Picture,
    Swatch,
    Text,
    _text_width,
)

GRADIENT_STOPS = 17  # colour-bar gradient stops; the palette is smooth between them
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
WIDER_FONT = 1.3  # DejaVu Sans is about this much wider than Pillow's default font


def _rgb(colour) -> str:
    r, g, b = (int(v) for v in colour)
    return f"#{r:02x}{g:02x}{b:02x}"


def _png_data(rgb: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _frame(x: float, y: float, w: float, h: float) -> str:
    return (
        f'<rect x="{x - 0.5}" y="{y - 0.5}" width="{w + 1}" height="{h + 1}" fill="none" '
        f'stroke="{_rgb(FRAME)}"/>'
    )


def _text(t: Text) -> str:
    # PIL puts a line's top at y; SVG puts its baseline there: one font size lower, nearly.
    return (
        f'<text x="{t.x}" y="{t.y + round(t.size * 0.85)}" font-size="{t.size}" '
        f'text-anchor="{t.anchor}" fill="{_rgb(t.fill)}">{escape(t.text)}</text>'
    )


def _picture(p: Picture) -> str:
    h, w = p.rgb.shape[:2]
    width, height = w * p.sx, h * p.sy
    image = (
        f'<image x="{p.x}" y="{p.y}" width="{width}" height="{height}" '
        f'preserveAspectRatio="none" image-rendering="pixelated" '
        f'style="image-rendering:pixelated;image-rendering:crisp-edges" '
        f'xlink:href="{_png_data(p.rgb)}"/>'
    )
    return image + (_frame(p.x, p.y, width, height) if p.frame else "")


def _bar(bar: Bar, n: int) -> str:
    t = np.linspace(0.0, 1.0, GRADIENT_STOPS)
    colours = bar.scale.colour(bar.scale.lo + t * (bar.scale.hi - bar.scale.lo))  # (stops, 3)
    stops = "".join(
        f'<stop offset="{o:.4f}" stop-color="{_rgb(c)}"/>' for o, c in zip(t, colours, strict=True)
    )
    gid = f"colour-bar-{n}"
    return (
        f'<linearGradient id="{gid}" x1="0" x2="1" y1="0" y2="0">{stops}</linearGradient>'
        f'<rect class="colour-bar" data-min="{bar.scale.lo}" data-max="{bar.scale.hi}" '
        f'x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{BAR_HEIGHT}" fill="url(#{gid})"/>'
        + _frame(bar.x, bar.y, bar.width, BAR_HEIGHT)
    )


def _swatch(s: Swatch) -> str:
    x0, y0, x1, y1 = s.box
    size = f'width="{x1 - x0 + 1}" height="{y1 - y0 + 1}"'
    return f'<rect x="{x0}" y="{y0}" {size} fill="{_rgb(s.fill)}"/>'


def _right_edge(t: Text) -> float:
    """Where a left-aligned text may end in a viewer's font (wider than Pillow's, at most this)."""
    return t.x + WIDER_FONT * _text_width(t.text) * t.size / 11 if t.anchor == "start" else t.x


def to_svg(fig: Figure, caption: str) -> bytes:
    """The figure as a standalone SVG document, with ``caption`` as a line of text under it
    and as its ``<title>``; wider than the PNG where a viewer's font needs it."""
    under = Text(MARGIN, fig.height - MARGIN + 4, caption, fill=(90, 90, 90))
    lines = [item for item in fig.items if isinstance(item, Text)] + [under]
    width = max(fig.width, math.ceil(max(map(_right_edge, lines)) + MARGIN))
    height = fig.height + LINE + 4
    parts = []
    for n, item in enumerate(fig.items):
        if isinstance(item, Picture):
            parts.append(_picture(item))
        elif isinstance(item, Bar):
            parts.append(_bar(item, n))
        elif isinstance(item, Swatch):
            parts.append(_swatch(item))
        else:
            parts.append(_text(item))
    parts.append(_text(under))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT)}>'
        f"<title>{escape(caption)}</title>"
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>' + "".join(parts) + "</svg>\n"
    ).encode("utf-8")
