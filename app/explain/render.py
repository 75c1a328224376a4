"""PNG pictures of explanations: a map laid over the input it explains, with a colour bar.

A drawing is grey ink on white, a photo its own colours (Grad-CAM over the photo); the map is
blended over it with an opacity that grows with the value's magnitude, so weak attributions leave
the picture visible. Colours follow
``app.core.render``: diverging (blue < 0 < red) for signed maps, viridis for non-negative ones.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from app.core.render import (
    BACKGROUND,
    FRAME,
    LEGEND_HEIGHT,
    LEGEND_WIDTH,
    LINE,
    MARGIN,
    TEXT,
    ColourScale,
    _colour_bar,
    _png,
    _text_width,
    font,
    rgb_grid_png,
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


def overlay_png(image: np.ndarray, values: np.ndarray, title: str, signed: bool) -> bytes:
    """The map ``values: (H, W)`` over the input ``image`` ((H, W) ink or (3, H, W) RGB), titled,
    with a colour bar."""
    values = np.asarray(values, dtype=np.float64)
    scale = ColourScale.for_values(values, signed)
    rgb = overlay_rgb(np.asarray(image, dtype=np.float64), values, scale)
    H, W = values.shape
    S = max(1, min(SCALE, 448 // max(H, W)))  # a 224×224 photo at 2 px a pixel
    big = np.repeat(np.repeat(rgb, S, axis=0), S, axis=1)  # (H*S, W*S, 3)
    width = 2 * MARGIN + max(W * S, LEGEND_WIDTH, _text_width(title))
    height = MARGIN + LINE + 4 + H * S + 6 + LEGEND_HEIGHT + MARGIN
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    draw.text((MARGIN, MARGIN), title, fill=TEXT, font=font())
    top = MARGIN + LINE + 4
    img.paste(Image.fromarray(big), (MARGIN, top))
    draw.rectangle([MARGIN - 1, top - 1, MARGIN + W * S, top + H * S], outline=FRAME)
    _colour_bar(img, scale, MARGIN + 1, top + H * S + 8, min(W * S, LEGEND_WIDTH) - 20)
    return _png(img)


def pictures_png(rgb: np.ndarray, labels: list[str], title: str, note: str, **grid) -> bytes:
    """Pictures in their own colours, ``rgb: (n, h, w, 3)`` uint8, as a labelled grid with one
    line of ``note`` below it (``grid``: ``ncols``, ``cell`` as ``rgb_grid_png``)."""

    def legend(img: Image.Image, x: int, y: int, _grid_w: int) -> None:
        ImageDraw.Draw(img).text((x, y + 2), note, fill=TEXT, font=font())

    return rgb_grid_png(rgb, labels, title, legend, _text_width(note), **grid)
