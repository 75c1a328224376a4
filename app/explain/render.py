"""Pictures of explanations: a map laid over the input it explains, with a colour bar.

A drawing is grey ink on white, a photo its own colours (Grad-CAM over the photo); the map is
blended over it with an opacity that grows with the value's magnitude, so weak attributions leave
the picture visible. Colours follow
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


def base_rgb(image: np.ndarray) -> np.ndarray:
    """The picture under the map, ``(H, W, 3)`` in 0..255: a drawing ``(H, W)`` as grey ink on
    white (ink darker, never black); a photo ``(3, H, W)`` RGB in [0, 1] in its own colours."""
    if image.ndim == 3:
        return 255.0 * np.clip(image, 0, 1).transpose(1, 2, 0)  # (3, H, W) → (H, W, 3)
    grey = 255.0 - 170.0 * np.clip(image, 0, 1)  # (H, W)
    return np.repeat(grey[..., None], 3, axis=2)  # (H, W) → (H, W, 3)


def overlay_rgb(image: np.ndarray, values: np.ndarray, scale: ColourScale) -> np.ndarray:
    """image: (H, W) ink or (3, H, W) RGB in [0, 1], values: (H, W) → (H, W, 3) uint8: the map
    over the picture, more opaque where it is strong."""
    base = base_rgb(image)
    peak = max(abs(scale.lo), abs(scale.hi)) or 1.0
    alpha = MAX_ALPHA * np.clip(np.abs(values) / peak, 0, 1)[..., None]  # (H, W, 1)
    colour = scale.colour(values).astype(np.float64)  # (H, W, 3)
    return ((1 - alpha) * base + alpha * colour).round().astype(np.uint8)


def overlay_figure(image: np.ndarray, values: np.ndarray, title: str, signed: bool) -> Figure:
    """The map ``values: (H, W)`` over the input ``image`` ((H, W) ink or (3, H, W) RGB), titled,
    with a colour bar."""
    values = np.asarray(values, dtype=np.float64)
    scale = ColourScale.for_values(values, signed)
    rgb = overlay_rgb(np.asarray(image, dtype=np.float64), values, scale)
    H, W = values.shape
    S = max(1, min(SCALE, 448 // max(H, W)))  # a 224×224 photo at 2 px a pixel
    width = 2 * MARGIN + max(W * S, LEGEND_WIDTH, _text_width(title))
    height = MARGIN + LINE + 4 + H * S + 6 + LEGEND_HEIGHT + MARGIN
    top = MARGIN + LINE + 4
    items = [Text(MARGIN, MARGIN, title), Picture(MARGIN, top, rgb, S, S)]
    bar = colour_bar(scale, MARGIN + 1, top + H * S + 8, min(W * S, LEGEND_WIDTH) - 20)
    return Figure(width, height, items + bar)


def overlay_png(image: np.ndarray, values: np.ndarray, title: str, signed: bool) -> bytes:
    return to_png(overlay_figure(image, values, title, signed))
