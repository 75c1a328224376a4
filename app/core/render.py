"""Pictures of tensors: labelled grids of maps and filters, and the weight matrix.

Each is laid out once as a :class:`Figure` (text, pictures, colour bars, swatches) and drawn
as a PNG here or as an SVG by ``app.core.svg``, so both show the same numbers.

Colour maps (``app.core.palette``, the same tables the pages use): a *diverging* one (blue, white,
red; symmetric around 0) for signed values — weights, pre-activation conv maps — and a
*sequential* one (near-white to deep red) for non-negative values such as ReLU and pooling
outputs. One scale is shared by every tile of an image so tiles can be
compared, and a colour bar under the grid states the range in numbers. Text in the images is
ASCII: Pillow's built-in font has no ``×`` or ``·``. Tiles are enlarged by
repeating pixels (nearest neighbour), so every cell is one value.

In the weight-matrix picture structural zeros are neutral grey and every non-zero is coloured
by the kernel weight it is, so shared weights show as the same colour.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.core import palette

BACKGROUND = (255, 255, 255)
TEXT = (33, 33, 33)
FRAME = (170, 170, 170)
STRUCTURAL_ZERO = palette.rgb(palette.STRUCTURAL_ZERO)  # neutral grey: a weight that is not there
EMPTY = palette.rgb(palette.EMPTY)  # padding cells of a wrapped vector

MARGIN = 8
LINE = 14  # text line height
BAR_HEIGHT = 12

DIVERGING = palette.LUTS["diverging"]
SEQUENTIAL = palette.LUTS["sequential"]


@cache
def font(size: int = 11) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@dataclass(frozen=True)
class ColourScale:
    """Maps values to colours: ``diverging`` over ``[-m, m]`` or ``sequential`` over ``[lo, hi]``.

    ``vmin``/``vmax`` are the data's own range, printed on the colour bar.
    """

    kind: str  # "diverging" | "sequential"
    lo: float
    hi: float
    vmin: float
    vmax: float

    @classmethod
    def for_values(cls, values: np.ndarray, signed: bool | None = None) -> ColourScale:
        """Diverging if ``signed`` (or, when ``None``, if any value is negative)."""
        finite = values[np.isfinite(values)]
        vmin = float(finite.min()) if finite.size else 0.0
        vmax = float(finite.max()) if finite.size else 0.0
        if signed is None:
            signed = vmin < 0
        kind = "diverging" if signed else "sequential"
        return cls(kind, *palette.scale_range(kind, vmin, vmax), vmin, vmax)

    def colour(self, values: np.ndarray) -> np.ndarray:
        """``values: (...)`` → ``(..., 3)`` uint8; NaN (no value) is drawn as ``EMPTY``."""
        lut = DIVERGING if self.kind == "diverging" else SEQUENTIAL
        rgb = lut[palette.lut_index(np.nan_to_num(values, nan=self.lo), self.lo, self.hi)].copy()
        rgb[np.isnan(values)] = EMPTY
        return rgb


def _enlarge(rgb: np.ndarray, sy: int, sx: int) -> np.ndarray:
    """Nearest-neighbour enlargement of ``rgb: (h, w, 3)`` to ``(h*sy, w*sx, 3)``."""
    return np.repeat(np.repeat(rgb, sy, axis=0), sx, axis=1)


def number(v: float, digits: int = 4) -> str:
    """A value as a figure's text shows it: ``digits`` significant digits, and -0.0 (a ReLU
    keeps it, as PyTorch's does) written as 0."""
    return f"{v + 0.0:.{digits}g}"


def _fmt(v: float) -> str:
    return number(v)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def _text_width(text: str) -> int:
    return int(math.ceil(font().getlength(text)))


# -- figures: one layout, drawn as a PNG here or as an SVG (app.core.svg) -------------------


@dataclass(frozen=True)
class Text:
    """``text`` with its top at ``y``; ``anchor`` says which end (or the middle) is at ``x``."""

    x: float
    y: float
    text: str
    anchor: str = "start"  # "start" | "middle" | "end"
    size: int = 11
    fill: tuple = TEXT


@dataclass(frozen=True)
class Picture:
    """``rgb: (h, w, 3)`` uint8 drawn at ``(x, y)``, each value ``sx × sy`` pixels, framed."""

    x: int
    y: int
    rgb: np.ndarray
    sy: int = 1
    sx: int = 1
    frame: bool = True


@dataclass(frozen=True)
class Swatch:
    """A filled box ``(x0, y0, x1, y1)``, corners inclusive."""

    box: tuple[int, int, int, int]
    fill: tuple


@dataclass(frozen=True)
class Bar:
    """The colour bar of ``scale``: ``width`` × ``BAR_HEIGHT`` pixels at ``(x, y)``, framed."""

    x: int
    y: int
    width: int
    scale: ColourScale


@dataclass(frozen=True)
class Figure:
    """What a picture holds, in pixels: drawn by :func:`to_png` or ``app.core.svg.to_svg``."""

    width: int
    height: int
    items: list


def _frame(draw: ImageDraw.ImageDraw, x: int, y: int, w: int, h: int) -> None:
    draw.rectangle([x - 1, y - 1, x + w, y + h], outline=FRAME)


def to_png(fig: Figure) -> bytes:
    img = Image.new("RGB", (fig.width, fig.height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    for item in fig.items:
        if isinstance(item, Picture):
            big = _enlarge(item.rgb, item.sy, item.sx)
            img.paste(Image.fromarray(np.ascontiguousarray(big)), (item.x, item.y))
            if item.frame:
                _frame(draw, item.x, item.y, big.shape[1], big.shape[0])
        elif isinstance(item, Bar):
            t = np.linspace(item.scale.lo, item.scale.hi, item.width)
            bar = item.scale.colour(np.broadcast_to(t, (BAR_HEIGHT, item.width)))
            img.paste(Image.fromarray(np.ascontiguousarray(bar)), (item.x, item.y))
            _frame(draw, item.x, item.y, item.width, BAR_HEIGHT)
        elif isinstance(item, Swatch):
            draw.rectangle(list(item.box), fill=tuple(int(v) for v in item.fill))
        else:
            width = font(item.size).getlength(item.text)
            shift = {"start": 0, "middle": width / 2, "end": width}[item.anchor]
            draw.text((round(item.x - shift), item.y), item.text, fill=item.fill,
                      font=font(item.size))  # fmt: skip
    return _png(img)


def colour_bar(scale: ColourScale, x: int, y: int, width: int) -> list:
    """A horizontal colour bar at ``(x, y)`` with its ends (and 0) labelled, and the data range."""
    ty = y + BAR_HEIGHT + 2
    items = [Bar(x, y, width, scale), Text(x, ty, _fmt(scale.lo))]
    items.append(Text(x + width, ty, _fmt(scale.hi), anchor="end"))
    if scale.kind == "diverging":
        items.append(Text(x + width // 2, ty, "0", anchor="middle"))
    return [*items, Text(x, ty + LINE, _range_text(scale))]


def _range_text(scale: ColourScale) -> str:
    """The sentence under the colour bar: the data's range, and how colours map to it."""
    kind = "symmetric around 0" if scale.kind == "diverging" else "0 = lightest"
    return f"values {_fmt(scale.vmin)} to {_fmt(scale.vmax)} ({kind})"


LEGEND_HEIGHT = BAR_HEIGHT + 2 * LINE + 6
LEGEND_WIDTH = 300


def grid_figure(
    tiles: np.ndarray,
    labels: list[str],
    title: str,
    scale: ColourScale,
    ncols: int | None = None,
    cell: tuple[int, int] | None = None,
) -> Figure:
    """A labelled grid of same-shaped 2-D tiles, ``tiles: (n, h, w)``, with a colour bar.

    Each tile is enlarged by ``cell = (sy, sx)`` pixels per value (default: to about 64 px) and
    labelled above with ``labels[i]``.
    """

    def legend(x: int, y: int, grid_w: int) -> list:
        return colour_bar(scale, x, y, min(max(grid_w - 6, 160), LEGEND_WIDTH - 20))

    rgb = scale.colour(tiles)  # rgb: (n, h, w, 3)
    return rgb_grid_figure(rgb, labels, title, legend, _text_width(_range_text(scale)), ncols, cell)


def grid_png(*args, **kwargs) -> bytes:
    """:func:`grid_figure` as a PNG."""
    return to_png(grid_figure(*args, **kwargs))


def default_cell(h: int, w: int) -> int:
    """Pixels per value that enlarge an ``h × w`` tile to about 64 px (1 to 32)."""
    return max(1, min(32, 64 // max(h, w)))


def grid_fit(h: int, w: int, label_w: int, cell: int, max_side: int) -> tuple[int, int]:
    """``(columns, rows)`` of ``h × w`` tiles (``cell`` px a value, labels ``label_w`` wide)
    that fit in a ``max_side × max_side`` picture with its title and legend (at least 1×1)."""
    pitch_x, pitch_y = max(w * cell, label_w) + 6, h * cell + LINE + 6
    cols = (max_side - 2 * MARGIN) // pitch_x
    rows = (max_side - 2 * MARGIN - LINE - 4 - LEGEND_HEIGHT) // pitch_y
    return max(1, min(16, cols)), max(1, rows)


def text_legend(lines: list[str]):
    """A legend of ``lines`` of text (at most two fit ``LEGEND_HEIGHT``), and its width."""

    def legend(x: int, y: int, _grid_w: int) -> list:
        return [Text(x, y + 2 + i * LINE, text) for i, text in enumerate(lines)]

    return legend, max(_text_width(t) for t in lines)


def rgb_grid_figure(
    rgb: np.ndarray,
    labels: list[str],
    title: str,
    legend,
    legend_w: int,
    ncols: int | None = None,
    cell: tuple[int, int] | None = None,
) -> Figure:
    """A labelled grid of RGB tiles ``rgb: (n, h, w, 3)`` uint8 and, below it, the items of
    ``legend(x, y, grid_width)``, at most ``LEGEND_HEIGHT`` px high and ``legend_w`` wide."""
    n, h, w, _ = rgb.shape
    ncols = ncols or min(n, max(1, math.ceil(math.sqrt(n))), 16)
    nrows = math.ceil(n / ncols)
    sy, sx = cell or (default_cell(h, w),) * 2
    label_w = max(_text_width(lb) for lb in labels) if labels else 0
    tile_w, tile_h = max(w * sx, label_w), h * sy
    pitch_x, pitch_y = tile_w + 6, tile_h + LINE + 6
    grid_w = ncols * pitch_x
    width = 2 * MARGIN + max(grid_w, LEGEND_WIDTH, _text_width(title), legend_w)
    height = MARGIN + LINE + 4 + nrows * pitch_y + LEGEND_HEIGHT + MARGIN
    items: list = [Text(MARGIN, MARGIN, title)]
    top = MARGIN + LINE + 4
    for i in range(n):
        r, c = divmod(i, ncols)
        x, y = MARGIN + c * pitch_x, top + r * pitch_y
        items += [Text(x, y, labels[i]), Picture(x, y + LINE, rgb[i], sy, sx)]
    items += legend(MARGIN + 1, top + nrows * pitch_y + 2, grid_w)
    return Figure(width, height, items)


def rgb_grid_png(*args, **kwargs) -> bytes:
    """:func:`rgb_grid_figure` as a PNG."""
    return to_png(rgb_grid_figure(*args, **kwargs))


def kernel_colours(K: int) -> np.ndarray:
    """``(K, 3)`` uint8, the colour of each kernel weight index ``k`` — the palette's, which
    the pages use too."""
    return palette.weight_colours(K)


def weight_matrix_figure(
    wm, kernel_size: tuple[int, int], title: str = "", max_side: int = 2048
) -> Figure:
    """The weight matrix ``M: (rows, cols)`` of an ``engine.anatomy.WeightMatrix``.

    ``kernel_size = (kh, kw)`` of its filter. Each cell is grey when it is a structural zero
    and otherwise the colour of its kernel index ``k``; a key below shows the kernel
    ``(C, kh, kw)`` in the same colours. Cells are square, ``max_side // max(rows, cols)``
    pixels (1 to 12).
    """
    C = wm.shape_in[0]
    kh, kw = kernel_size
    n_weights = len(wm.kernel)
    if n_weights != C * kh * kw:
        raise ValueError(f"kernel has {n_weights} weights, not C*kh*kw = {C}*{kh}*{kw}")
    colours = kernel_colours(n_weights)
    rgb = np.empty((wm.rows, wm.cols, 3), dtype=np.uint8)
    rgb[:] = STRUCTURAL_ZERO
    row, col, k = np.asarray(wm.entries, dtype=np.int64).reshape(-1, 3).T  # each: (nnz,)
    rgb[row, col] = colours[k]
    s = max(1, min(12, max_side // max(wm.rows, wm.cols)))

    sw = 22  # side of one swatch of the kernel key
    key_w = C * (kw * sw + 12)
    lines = [
        title or "weight matrix M",
        f"M: {wm.rows} rows (H_out*W_out = {wm.shape_out[0]}*{wm.shape_out[1]}) x {wm.cols} "
        f"columns (C*H*W = {C}*{wm.shape_in[1]}*{wm.shape_in[2]}); {len(row):,} non-zeros",
        "grey = structural zero; colour = which kernel weight, k = c*kh*kw + a*kw + b",
    ]
    head = len(lines) * LINE + 4
    width = 2 * MARGIN + max(wm.cols * s, key_w, *(_text_width(t) for t in lines))
    height = MARGIN + head + wm.rows * s + 8 + LINE + kh * sw + MARGIN
    items: list = [Text(MARGIN, MARGIN + i * LINE, text) for i, text in enumerate(lines)]
    items.append(Picture(MARGIN, MARGIN + head, rgb, s, s, frame=False))
    y0 = MARGIN + head + wm.rows * s + 8
    items.append(Text(MARGIN, y0, "kernel key: k for each (c, a, b), one block per channel c"))
    y0 += LINE
    for c in range(C):
        x0 = MARGIN + c * (kw * sw + 12)
        for a in range(kh):
            for b in range(kw):
                kk = c * kh * kw + a * kw + b
                box = (x0 + b * sw, y0 + a * sw, x0 + (b + 1) * sw - 2, y0 + (a + 1) * sw - 2)
                items.append(Swatch(box, tuple(int(v) for v in colours[kk])))
                if kk < 1000:
                    dark = colours[kk].astype(float) @ (0.299, 0.587, 0.114) < 110
                    ink = (255, 255, 255) if dark else (0, 0, 0)
                    items.append(Text(box[0] + 2, box[1] + 5, str(kk), size=9, fill=ink))
    return Figure(width, height, items)


def weight_matrix_png(
    wm, kernel_size: tuple[int, int], title: str = "", max_side: int = 2048
) -> bytes:
    return to_png(weight_matrix_figure(wm, kernel_size, title, max_side))
