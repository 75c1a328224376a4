"""Pictures of explanations: a map laid over the input it explains, with a colour bar.

The input is drawn as grey ink on white; the map is blended over it with an opacity that grows
with the value's magnitude, so weak attributions leave the digit visible. Colours follow
``app.core.render``: diverging (blue < 0 < red) for signed maps, viridis for non-negative ones.
"""

from __future__ import annotations

import numpy as np

from app.core.render import (
    LEGEND_HEIGHT,
    LEGEND_WIDTH,
    LINE,
    MARGIN,
    ColourScale,
    Figure,
    Picture,
    Text,
    _text_width,
    colour_bar,
    to_png,
)

SCALE = 10  # screen pixels per input pixel
MAX_ALPHA = 0.8


def overlay_rgb(image: np.ndarray, values: np.ndarray, scale: ColourScale) -> np.ndarray:
    """image: (H, W) ink in [0, 1], values: (H, W) → (H, W, 3) uint8, map over grey ink."""
    grey = 255.0 - 170.0 * np.clip(image, 0, 1)  # (H, W): ink darker, never black
    base = np.repeat(grey[..., None], 3, axis=2)  # (H, W) → (H, W, 3)
    peak = max(abs(scale.lo), abs(scale.hi)) or 1.0
    alpha = MAX_ALPHA * np.clip(np.abs(values) / peak, 0, 1)[..., None]  # (H, W, 1)
    colour = scale.colour(values).astype(np.float64)  # (H, W, 3)
    return ((1 - alpha) * base + alpha * colour).round().astype(np.uint8)


def overlay_figure(image: np.ndarray, values: np.ndarray, title: str, signed: bool) -> Figure:
    """The map ``values: (H, W)`` over the input ``image: (H, W)``, titled, with a colour bar."""
    values = np.asarray(values, dtype=np.float64)
    scale = ColourScale.for_values(values, signed)
    rgb = overlay_rgb(np.asarray(image, dtype=np.float64), values, scale)
    H, W = values.shape
    width = 2 * MARGIN + max(W * SCALE, LEGEND_WIDTH, _text_width(title))
    height = MARGIN + LINE + 4 + H * SCALE + 6 + LEGEND_HEIGHT + MARGIN
    top = MARGIN + LINE + 4
    items = [Text(MARGIN, MARGIN, title), Picture(MARGIN, top, rgb, SCALE, SCALE)]
    bar = colour_bar(scale, MARGIN + 1, top + H * SCALE + 8, min(W * SCALE, LEGEND_WIDTH) - 20)
    return Figure(width, height, items + bar)


def overlay_png(image: np.ndarray, values: np.ndarray, title: str, signed: bool) -> bytes:
    return to_png(overlay_figure(image, values, title, signed))
