"""Pictures of one layer: its output maps and its filters, within a side limit.

A big layer (a ResNet's 512 channels, or 64 maps of 112×112) does not fit one picture: the
caller asks for a page of channels (``first``, ``count``) and gets at most what fits in a
``max_side × max_side`` picture; what was drawn is in the title and in the returned :class:`Page`
(the route puts it in headers). A first layer's 3-deep filters on a colour input are drawn in
colour, each filter one RGB tile — the picture of AlexNet's first layer (Krizhevsky et al.,
2012): mid-grey is 0, and each channel is ``0.5 + 0.5 · w / max|w|`` with one ``max|w|`` for the
whole layer, so filters compare. Each is a :class:`~app.core.render.Figure` (drawn as a PNG by
``app.core.render.to_png`` or as an SVG by ``app.core.svg.to_svg``) and the :class:`Page` drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.render import (
    ColourScale,
    Figure,
    _text_width,
    default_cell,
    grid_figure,
    grid_fit,
    rgb_grid_figure,
    text_legend,
    to_png,
)


@dataclass(frozen=True)
class Page:
    """Items ``[first, first + count)`` of ``total`` (channels or filters) were drawn."""

    first: int
    count: int
    total: int

    def text(self, what: str) -> str:
        if self.count == self.total:
            return f"all {self.total} {what}"
        return f"{what} {self.first}-{self.first + self.count - 1} of {self.total}"

    def header(self) -> str:
        """``first-last/total``, e.g. ``0-223/512``."""
        return f"{self.first}-{self.first + self.count - 1}/{self.total}"


def page_of(total: int, first: int, count: int | None, fits: int) -> Page:
    """The page from ``first``: ``count`` items (default: all), at most ``fits``."""
    first = min(max(first, 0), total - 1)
    n = total - first if count is None else min(count, total - first)
    return Page(first, max(1, min(n, fits)), total)


def _more(page: Page) -> str:
    nxt = page.first + page.count
    return f"; first={nxt} for more" if nxt < page.total else ""


def _paged_grid(tiles, what: str, title, scale, paging: Paging) -> tuple[Figure, Page]:
    """A page of ``tiles: (n, h, w)`` (``what``: channels or filters) that fits."""
    n, h, w = tiles.shape
    cols, rows = grid_fit(h, w, _text_width(str(n)), default_cell(h, w), paging.max_side)
    page = page_of(n, paging.first, paging.count, cols * rows)
    items = range(page.first, page.first + page.count)
    head = f"{title}; {page.text(what)}{_more(page)}"
    ncols = _ncols(page.count, cols, rows)
    fig = grid_figure(tiles[items.start : items.stop], [str(i) for i in items], head, scale,
                      ncols=ncols)  # fmt: skip
    return fig, page


@dataclass(frozen=True)
class Paging:
    """What a caller asks for: ``count`` items from ``first`` (default: all that fit), within a
    ``max_side × max_side`` picture."""

    first: int = 0
    count: int | None = None
    max_side: int = 2048


def feature_maps_figure(
    out: np.ndarray, title: str, signed: bool | None = None, paging: Paging = Paging()
) -> tuple[Figure, Page]:
    """One layer's output: ``(C, H, W)`` maps as a grid labelled by channel (a page of them that
    fits ``max_side``), or a vector ``(n,)``. The colour scale is the whole layer's.

    A vector of up to 32 values is a row of cells labelled by index (the classes, for the
    last layers); a longer one is a strip of cells wrapped 32 values a row.
    """
    out = np.asarray(out, dtype=np.float64)
    scale = ColourScale.for_values(out, signed)
    if out.ndim == 3:
        return _paged_grid(out, "channels", title, scale, paging)
    v = out.reshape(-1)
    n = v.size
    whole = Page(0, n, n)
    if n <= 32:
        cells = v.reshape(n, 1, 1)
        labels = [str(i) for i in range(n)]
        return grid_figure(cells, labels, title, scale, ncols=n, cell=(28, 28)), whole
    per_row = min(n, 32)
    strip = np.full(per_row * math.ceil(n / per_row), np.nan)
    strip[:n] = v
    strip = strip.reshape(-1, per_row)  # strip: (rows, per_row), NaN past the end
    s = max(1, min(32, 640 // per_row, (paging.max_side - 120) // len(strip)))
    label = f"values 0-{n - 1}" + (f", {per_row} a row" if n > per_row else "")
    return grid_figure(strip[None], [label], title, scale, cell=(s, s)), whole


def filters_figure(
    w: np.ndarray, title: str, colour: str | None = None, paging: Paging = Paging()
) -> tuple[Figure, Page]:
    """Weights: conv ``(F, C, kh, kw)`` or dense ``(out, in)``; a page of filters.

    ``colour`` (``"rgb"`` or ``"bgr"``, the input's channel order) draws 3-deep filters as RGB
    tiles. Otherwise filters of one input channel are a grid labelled by filter; with several
    channels each row is a filter and each column an input channel, labelled ``f,c`` — as many
    channels as fit, stated in the title. Dense weights are one ``out × in`` tile (at most
    ``max_side`` of each drawn).
    """
    w = np.asarray(w, dtype=np.float64)
    scale = ColourScale.for_values(w, signed=True)
    if w.ndim == 2:
        return _dense_figure(w, title, scale, paging.max_side)
    F, C, kh, kw = w.shape
    if colour is not None and C == 3:
        return _colour_filters_figure(w, title, colour, paging)
    if C == 1:
        return _paged_grid(w[:, 0], "filters", title, scale, paging)
    s = max(2, min(32, 1600 // (C * max(kh, kw)), 48 // max(kh, kw)))
    label_w = _text_width(f"{F - 1},{C - 1}")
    _, rows = grid_fit(kh, kw, label_w, s, paging.max_side)
    cols = max(1, (paging.max_side - 16) // (max(kw * s, label_w) + 6))  # not capped at 16
    shown = min(C, cols)
    page = page_of(F, paging.first, paging.count, rows)
    fs = range(page.first, page.first + page.count)
    tiles = w[fs.start : fs.stop, :shown].reshape(-1, kh, kw)  # (n, shown, kh, kw) → (n*shown, ..)
    labels = [f"{f},{c}" for f in fs for c in range(shown)]
    chans = f"all {C} input channels" if shown == C else f"input channels 0-{shown - 1} of {C}"
    head = f"{title}; {page.text('filters')}, {chans}{_more(page)} (tile f,c)"
    return grid_figure(tiles, labels, head, scale, ncols=shown, cell=(s, s)), page


def _dense_figure(w: np.ndarray, title: str, scale: ColourScale, max_side: int):
    out_f, in_f = w.shape
    rows, cols = min(out_f, max_side - 120), min(in_f, max_side - 40)
    cell = (max(1, min(24, 512 // rows)), max(1, min(24, 1024 // cols)))
    label = f"{out_f} outputs (rows) x {in_f} inputs (columns)"
    if (rows, cols) != (out_f, in_f):
        label += f"; the first {rows} x {cols} drawn"
    fig = grid_figure(w[None, :rows, :cols], [label], title, scale, cell=cell)
    return fig, Page(0, out_f, out_f)


def rgb_filters(w: np.ndarray, channels: str = "rgb") -> tuple[np.ndarray, float]:
    """``w: (F, 3, kh, kw)`` → ``(F, kh, kw, 3)`` uint8 RGB tiles and ``m = max|w|``:
    each channel ``0.5 + 0.5 · w / m`` (mid-grey = 0), in R, G, B order whatever the input's."""
    m = float(np.abs(w).max()) or 1.0
    if channels == "bgr":
        w = w[:, ::-1]
    rgb = np.clip(0.5 + 0.5 * w / m, 0, 1).transpose(0, 2, 3, 1)  # (F, 3, kh, kw) → (F, kh, kw, 3)
    return (255 * rgb).round().astype(np.uint8), m


def _colour_filters_figure(w, title, channels, paging: Paging) -> tuple[Figure, Page]:
    F, _, kh, kw = w.shape
    rgb, m = rgb_filters(w, channels)
    s = max(4, default_cell(kh, kw))  # a 3×3 or 7×7 filter at 9 to 21 px a weight
    cols, rows = grid_fit(kh, kw, _text_width(str(F)), s, paging.max_side)
    page = page_of(F, paging.first, paging.count, cols * rows)
    fs = range(page.first, page.first + page.count)
    head = f"{title}; {page.text('filters')} in colour (R, G, B){_more(page)}"
    legend, legend_w = text_legend([
        f"colour: each channel 0.5 + 0.5 * w / {m:.4g} (max |w| of the layer)",
        "grey = 0; red = R weights > 0, cyan = R weights < 0, and so on",
    ])  # fmt: skip
    ncols = _ncols(page.count, cols, rows)
    fig = rgb_grid_figure(rgb[fs.start : fs.stop], [str(f) for f in fs], head, legend, legend_w,
                          ncols=ncols, cell=(s, s))  # fmt: skip
    return fig, page


def feature_maps_png(*args, **kwargs) -> tuple[bytes, Page]:
    """:func:`feature_maps_figure` as a PNG."""
    fig, page = feature_maps_figure(*args, **kwargs)
    return to_png(fig), page


def filters_png(*args, **kwargs) -> tuple[bytes, Page]:
    """:func:`filters_figure` as a PNG."""
    fig, page = filters_figure(*args, **kwargs)
    return to_png(fig), page


def _ncols(n: int, cols: int, rows: int) -> int | None:
    """The grid's default (square-ish) columns for ``n`` tiles, unless then more than ``rows``
    rows would be needed: then ``cols``."""
    square = min(n, max(1, math.ceil(math.sqrt(n))), 16)
    return None if math.ceil(n / square) <= rows else min(n, cols)
