"""Draw the bundled colour samples for ``/color`` (procedural, no downloads).

    python scripts/make_color_samples.py      # writes static/img/samples/*.png

Each is a small RGB picture with flat colours and sharp edges, so the R, G, B channels and the
colour filters have something clear to show.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "img" / "samples"
SIZE = 96


def shapes() -> Image.Image:
    """A red disc, a green square and a blue triangle on white."""
    img = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.ellipse([6, 8, 46, 48], fill=(220, 30, 30))
    d.rectangle([52, 10, 88, 46], fill=(30, 170, 60))
    d.polygon([(24, 56), (46, 90), (2, 90)], fill=(30, 60, 210))
    d.rectangle([56, 58, 88, 88], fill=(240, 200, 20))  # yellow: red + green, no blue
    return img


def stripes() -> Image.Image:
    """Vertical bars of the primaries and secondaries over a dark-to-light ramp."""
    colours = np.array(
        [[255, 0, 0], [255, 255, 0], [0, 255, 0], [0, 255, 255], [0, 0, 255], [255, 0, 255]]
    )  # (6, 3)
    bar = np.repeat(colours, SIZE // 6, axis=0)  # (96, 3): one colour per column
    ramp = np.linspace(0.25, 1.0, SIZE)[:, None, None]  # (96, 1, 1): darker at the top
    rgb = (ramp * bar[None].astype(np.float64)).round().astype(np.uint8)  # (96, 96, 3)
    return Image.fromarray(rgb, "RGB")


def landscape() -> Image.Image:
    """A sky fading from blue to orange, a yellow sun, green hills and a red house."""
    t = np.linspace(0, 1, SIZE)[:, None, None]  # (96, 1, 1)
    sky = (1 - t) * np.array([40, 90, 200]) + t * np.array([250, 160, 80])  # (96, 1, 3)
    rgb = np.broadcast_to(sky, (SIZE, SIZE, 3)).round().astype(np.uint8)
    img = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    d = ImageDraw.Draw(img)
    d.ellipse([60, 12, 84, 36], fill=(255, 225, 40))
    d.ellipse([-30, 58, 60, 130], fill=(40, 140, 50))
    d.ellipse([30, 64, 130, 140], fill=(70, 170, 60))
    d.rectangle([14, 52, 34, 72], fill=(200, 40, 40))
    d.polygon([(10, 53), (24, 40), (38, 53)], fill=(120, 30, 30))
    return img


SAMPLES = {"shapes": shapes, "stripes": stripes, "landscape": landscape}

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw in SAMPLES.items():
        draw().save(OUT / f"{name}.png", optimize=True)
        print(OUT / f"{name}.png")
