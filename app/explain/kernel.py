"""``/api/kernel``: a hand-made kernel on the current drawing — the feature map it makes.

The drawing goes through the same preprocessing as for the model (``ImageInput``), so the kernel
sees the 28×28 network input; ``padding="same"`` keeps that size. Presets are Jeremy Jordan's edge
detectors and the classic blur / sharpen / identity (``engine.kernels``).
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response

from app.core.deps import SettingsDep
from app.core.imaging import network_input
from app.core.render import ColourScale, grid_png
from app.core.responses import ERRORS, PNG, png_response
from app.core.settings import Settings
from app.explain.hand_kernel import apply, chosen_kernel
from app.explain.schemas import KernelPresets, KernelRequest, KernelResult
from app.models.inference import rounded
from engine.kernels import COLOR_FILTERS, KERNELS

router = APIRouter(prefix="/api/kernel", tags=["kernel"])

INPUT_SHAPE = (1, 28, 28)


def preset_list(presets: dict[str, dict]) -> list[dict]:
    return [{"name": k, **p} for k, p in presets.items()]


@router.get("/presets", response_model=KernelPresets, summary="Kernel presets to start from")
def presets() -> dict:
    return {"presets": preset_list(KERNELS), "color_presets": preset_list(COLOR_FILTERS)}


def _run(body: KernelRequest, settings: Settings) -> dict:
    k = chosen_kernel(body.kernel, body.preset, KERNELS, settings, "kernel")
    x, image = network_input(body, INPUT_SHAPE, settings)  # x: (1, 1, 28, 28)
    out, _ = apply(x[0], k, body.bias, body.padding, "kernel")
    kh, kw = k.shape[1:]
    H, W = image.shape
    p = (kh // 2, kw // 2) if body.padding == "same" else (0, 0)
    formula = (
        f"H_out = {H} + 2*{p[0]} - {kh} + 1 = {out.shape[0]}, "
        f"W_out = {W} + 2*{p[1]} - {kw} + 1 = {out.shape[1]}"
    )
    return {
        "input": rounded(image, 4),
        "kernel": k[0].tolist() if k.shape[0] == 1 else k.tolist(),
        "bias": float(body.bias),
        "preset": body.preset,
        "padding": body.padding,
        "shape": list(out.shape),
        "output": rounded(out),
        "min": float(out.min()),
        "max": float(out.max()),
        "formula": formula,
    }


@router.post("", response_model=KernelResult, responses=ERRORS, summary="Apply a kernel")
def kernel(body: KernelRequest, settings: SettingsDep) -> dict:
    return _run(body, settings)


@router.post(
    ".png",
    response_class=Response,
    responses={**PNG, **ERRORS},
    summary="Apply a kernel — the feature map as a PNG with a colour bar",
)
def kernel_png(body: KernelRequest, settings: SettingsDep) -> Response:
    result = _run(body, settings)
    out = np.asarray(result["output"], dtype=np.float64)
    name = body.preset or "your kernel"
    scale = ColourScale.for_values(out, signed=True)
    png = grid_png(out[None], ["feature map"], f"{name} on the drawing", scale)
    return png_response(png, result["min"], result["max"])
