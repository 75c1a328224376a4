"""``/api/color``: a colour photo as three channels, and a 3-channel filter on it.

The photo is an uploaded PNG/JPEG (checked like ``ImageInput.image``: bytes, then the header's
size before decoding) or one of the bundled samples in ``static/img/samples/`` (drawn by
``scripts/make_color_samples.py``). It is shrunk to fit ``max_color_side`` and becomes
``x: (3, H, W)`` in [0, 1]: R, G, B. A filter must have one slice per channel, ``(3, kh, kw)``;
any other depth is refused with Jeremy Jordan's and TechnologyMadeEasy's explanation.
"""

from __future__ import annotations

import io

import numpy as np
from fastapi import APIRouter, HTTPException
from PIL import Image

from app.core.deps import SettingsDep
from app.core.imaging import decode, decode_base64
from app.core.responses import ERRORS
from app.core.settings import Settings
from app.explain.hand_kernel import apply, chosen_kernel
from app.explain.schemas import SAMPLES, ColorRequest, ColorResult, ColorSamples
from app.models.inference import rounded
from engine.kernels import COLOR_FILTERS

router = APIRouter(prefix="/api/color", tags=["color"])

SAMPLE_DIR = "img/samples"


def _sample_path(settings: Settings, name: str):
    return settings.static_dir / SAMPLE_DIR / f"{name}.png"


@router.get("/samples", response_model=ColorSamples, summary="The bundled colour images")
def samples(settings: SettingsDep) -> dict:
    out = []
    for name, description in SAMPLES.items():
        path = _sample_path(settings, name)
        if path.is_file():
            with Image.open(path) as img:
                width, height = img.size
            url = f"/static/{SAMPLE_DIR}/{name}.png"
            out.append(
                {"name": name, "description": description, "url": url}
                | {"width": width, "height": height}
            )
    return {"samples": out}


def rgb_image(body: ColorRequest, settings: Settings) -> tuple[np.ndarray, str]:
    """``(rgb: (H, W, 3) uint8, source)`` from the request's ``image`` or ``sample``."""
    if (body.image is None) == (body.sample is None):
        raise HTTPException(422, "image/sample: give exactly one of `image` (PNG/JPEG) or `sample`")
    if body.sample is not None:
        # Only a known name becomes a path: nothing the client sends reaches the file system.
        if body.sample not in SAMPLES or not _sample_path(settings, body.sample).is_file():
            raise HTTPException(422, f"sample: {body.sample!r} is not one of {', '.join(SAMPLES)}")
        path = _sample_path(settings, body.sample)
        data, source = path.read_bytes(), f"sample {body.sample}"
    else:
        data, source = decode_base64(body.image, settings.max_image_bytes), "upload"
    decode(data, settings)  # size, format and integrity checks, or a 4xx
    with Image.open(io.BytesIO(data)) as img:
        img = img.convert("RGBA")
        flat = Image.new("RGBA", img.size, (255, 255, 255, 255))
        flat.alpha_composite(img)  # transparent parts are white paper
        rgb = flat.convert("RGB")
    side = settings.max_color_side
    if max(rgb.size) > side:
        rgb.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(rgb), source


@router.post(
    "",
    response_model=ColorResult,
    responses=ERRORS,
    summary="A colour image's R, G, B channels and a 3-channel filter's one feature map",
)
def color(body: ColorRequest, settings: SettingsDep) -> dict:
    rgb, source = rgb_image(body, settings)
    x = rgb.transpose(2, 0, 1).astype(np.float64) / 255.0  # (H, W, 3) → (3, H, W)
    C, H, W = x.shape
    result = {
        "source": source,
        "width": W,
        "height": H,
        "input_shape": [C, H, W],
        "channels": [rounded(x[c], 4) for c in range(C)],
        "explanation": f"The image is {C}×{H}×{W}: one {H}×{W} grid per colour channel.",
    }
    if body.kernel is None and body.preset is None:
        return result
    k = chosen_kernel(body.kernel, body.preset, COLOR_FILTERS, settings, "kernel")
    out, parts = apply(x, k, body.bias, body.padding, "kernel")
    kc, kh, kw = k.shape
    return result | {
        "kernel": k.tolist(),
        "kernel_shape": [kc, kh, kw],
        "preset": body.preset,
        "bias": float(body.bias),
        "output": rounded(out),
        "parts": [rounded(p) for p in parts],
        "min": float(out.min()),
        "max": float(out.max()),
        "explanation": (
            f"A {kc}×{kh}×{kw} filter on a {C}×{H}×{W} image: its depth {kc} matches the "
            f"{C} channels, each slice is slid over its own channel, and the {C} results are "
            f"added (plus the bias) into one {out.shape[0]}×{out.shape[1]} feature map."
        ),
    }
