"""The requests of ``bench/bench_limits.py``: every operation of ``/openapi.json`` at its worst
legal parameters under the app's settings (the largest image, every patch, the most steps, the
widest range of units that fits ``max_request_megamacs``, ...), as ``(operation, label, url,
request kwargs)``.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from app.core.settings import Settings

REPO = Path(__file__).resolve().parent.parent
MODEL = "mnist-cnn"
M = f"/api/models/{MODEL}"


def drawing_png(side: int, mode: str = "L") -> str:
    """A 7 drawn on a ``side``×``side`` canvas, as a data URL (the largest image allowed)."""
    img = Image.new(mode, (side, side), "white")
    d = ImageDraw.Draw(img)
    s, w = side / 280, max(1, int(22 * side / 280))
    d.line([(70 * s, 60 * s), (210 * s, 60 * s)], fill="black", width=w)
    d.line([(210 * s, 60 * s), (120 * s, 230 * s)], fill="black", width=w)
    if mode == "RGB":
        d.ellipse([(20 * s, 20 * s), (90 * s, 90 * s)], fill=(200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def cases(c: TestClient, settings: Settings) -> list[tuple[str, str, str, dict]]:
    """``(operation, label, url, request kwargs)`` for every operation, at its worst."""
    side = settings.max_image_side
    big = {"image": drawing_png(side)}
    px = {"pixels": [[0.5] * settings.max_pixels_side] * settings.max_pixels_side}
    # maximise: the widest range of conv2 filters that fits the cost limit (the refusal says)
    hint = c.get(f"{M}/explain/layers/3/maximise").json()["detail"]
    count = int(re.search(r"count=(\d+)", hint).group(1))
    hint = c.get(f"{M}/explain/layers/7/maximise?steps=256").json()["detail"]
    count7 = int(re.search(r"count=(\d+)", hint).group(1))
    # weight matrices: the largest input each conv layer allows
    wm = {}
    for layer in (0, 3):
        for h in range(settings.max_conv_input_side, 0, -1):
            url = f"{M}/layers/{layer}/weight-matrix.png?filter=0&input_height={h}&input_width={h}"
            if c.get(url).status_code == 200:
                wm[layer] = h
                break
    conv_in = [[[float((i * j) % 7) for j in range(64)] for i in range(64)]]
    k4 = [[[1.0] * 4] * 4]
    arch32 = [{"type": "conv2d", "config": {"out_channels": 8, "kernel_size": 3, "padding": 1}}]
    arch32 += [{"type": "relu"}] * 28 + [
        {"type": "flatten"},
        {"type": "dense", "config": {"out_features": 10}},
    ]
    k11 = [[[0.01] * 11] * 11] * 3
    rgb = drawing_png(side, "RGB")
    weights = (REPO / "models" / f"{MODEL}.npz").read_bytes()
    return [
        ("GET /api/health", "", "/api/health", {}),
        ("GET /api/limits", "", "/api/limits", {}),
        ("GET /api/models", "", "/api/models", {}),
        ("GET /api/models/{model_id}", "", M, {}),
        ("GET /api/models/{model_id}/layers/{index}", "", f"{M}/layers/7", {}),
        ("POST /api/models/{model_id}/predict", f"{side}² PNG", f"{M}/predict", {"json": big}),
        ("POST /api/models/{model_id}/predict", "512² pixels", f"{M}/predict", {"json": px}),
        (
            "POST /api/models/{model_id}/activations",
            f"{side}² PNG",
            f"{M}/activations",
            {"json": big},
        ),
        (
            "POST /api/models/{model_id}/layers/{index}/feature-maps.png",
            "conv2, 512² pixels",
            f"{M}/layers/3/feature-maps.png",
            {"json": px},
        ),
        (
            "GET /api/models/{model_id}/layers/{index}/filters",
            "fc1: 200,704 weights",
            f"{M}/layers/7/filters",
            {},
        ),
        (
            "GET /api/models/{model_id}/layers/{index}/filters.png",
            "fc1",
            f"{M}/layers/7/filters.png",
            {},
        ),
        (
            "GET /api/models/{model_id}/layers/{index}/weight-matrix",
            f"conv2, {wm[3]}² input",
            f"{M}/layers/3/weight-matrix?input_height={wm[3]}&input_width={wm[3]}",
            {},
        ),
        (
            "GET /api/models/{model_id}/layers/{index}/weight-matrix",
            f"conv1, {wm[0]}² input",
            f"{M}/layers/0/weight-matrix?input_height={wm[0]}&input_width={wm[0]}",
            {},
        ),
        (
            "GET /api/models/{model_id}/layers/{index}/weight-matrix.png",
            f"conv2, {wm[3]}²",
            f"{M}/layers/3/weight-matrix.png?input_height={wm[3]}&input_width={wm[3]}",
            {},
        ),
        (
            "POST /api/conv",
            "64² input, 4×4 kernel, every step",
            "/api/conv",
            {"json": {"input": conv_in, "kernel": k4, "matrix": False}},
        ),
        (
            "POST /api/conv",
            "64², 4×4, matrix",
            "/api/conv",
            {"json": {"input": conv_in, "kernel": k4, "step": [0, 0]}},
        ),
        (
            "POST /api/pool",
            "64², 5×5 windows, stride 1",
            "/api/pool",
            {"json": {"input": conv_in[0], "kernel_size": 5, "stride": 1}},
        ),
        ("GET /api/anatomy/presets", "", "/api/anatomy/presets", {}),
        (
            "GET /api/anatomy/arithmetic",
            "",
            "/api/anatomy/arithmetic?height=1000000&width="
            "1000000&kernel_height=1000000&kernel_width=1000000",
            {},
        ),
        ("GET /api/anatomy/params", "", "/api/anatomy/params?channels=1000000&height=1000000", {}),
        (
            "POST /api/models/{model_id}/layers/{index}/anatomy",
            "conv2, 512² pixels",
            f"{M}/layers/3/anatomy",
            {"json": {**px, "filter": 31}},
        ),
        *[
            (
                f"POST /api/models/{{model_id}}/explain/{m}{ext}",
                label,
                f"{M}/explain/{m}{ext}",
                {"json": {**px, **body}},
            )
            for m, label, body in (
                ("saliency", "512² pixels", {}),
                ("gradcam", "512² pixels", {}),
                ("occlusion", "patch 1, stride 1: 784 patches", {"patch": 1, "stride": 1}),
                ("integrated-gradients", "256 steps", {"steps": settings.max_ig_steps}),
            )
            for ext in ("", ".png")
        ],
        ("GET /api/models/{model_id}/explain", "", f"{M}/explain", {}),
        (
            "GET /api/models/{model_id}/explain/layers/{index}/top-activations",
            "conv2, k = 16 (table ready)",
            f"{M}/explain/layers/3/top-activations?k=16",
            {},
        ),
        (
            "GET /api/models/{model_id}/explain/layers/{index}/top-activations.png",
            "conv2, k = 16",
            f"{M}/explain/layers/3/top-activations.png?k=16",
            {},
        ),
        (
            "GET /api/models/{model_id}/explain/layers/{index}/maximise",
            f"conv2, {count} filters × 48 steps",
            f"{M}/explain/layers/3/maximise?first=0&count={count}&seed=1",
            {},
        ),
        (
            "GET /api/models/{model_id}/explain/layers/{index}/maximise",
            f"fc1, {count7} units × 256 steps",
            f"{M}/explain/layers/7/maximise?first=0&count={count7}&steps=256&seed=1",
            {},
        ),
        (
            "GET /api/models/{model_id}/explain/layers/{index}/maximise.png",
            f"conv2, {count} filters, mean",
            f"{M}/explain/layers/3/maximise.png?first=0&count={count}&objective=mean&seed=2",
            {},
        ),
        ("GET /api/kernel/presets", "", "/api/kernel/presets", {}),
        (
            "POST /api/kernel",
            "11×11 kernel, 512² pixels",
            "/api/kernel",
            {"json": {**px, "kernel": k11[0]}},
        ),
        ("POST /api/kernel.png", "11×11", "/api/kernel.png", {"json": {**px, "kernel": k11[0]}}),
        ("GET /api/color/samples", "", "/api/color/samples", {}),
        (
            "POST /api/color",
            f"{side}² RGB PNG, 3×11×11 kernel",
            "/api/color",
            {"json": {"image": rgb, "kernel": k11}},
        ),
        ("GET /api/gallery", "100 digits", "/api/gallery?count=100", {}),
        ("GET /api/gallery/{index}.png", "scale 16", "/api/gallery/9999.png?scale=16", {}),
        ("GET /api/train/options", "", "/api/train/options", {}),
        (
            "POST /api/architectures/validate",
            "32 layers",
            "/api/architectures/validate",
            {"json": {"architecture": arch32, "batch_size": 1024}},
        ),
        ("GET /api/train", "", "/api/train", {}),
        (
            "POST /api/train",
            "checked, refused: no training set here",
            "/api/train",
            {"json": {"architecture": arch32, "batch_size": 1024, "epochs": 50}},
        ),
        ("GET /api/train/{job_id}", "unknown", "/api/train/0123456789ab", {}),
        ("DELETE /api/train/{job_id}", "unknown", "/api/train/0123456789ab", {}),
        ("POST /api/train/{job_id}/resume", "unknown", "/api/train/0123456789ab/resume", {}),
        ("GET /api/train/{job_id}/events", "unknown", "/api/train/0123456789ab/events", {}),
        ("GET /api/models/{model_id}/evaluation", "(table ready)", f"{M}/evaluation", {}),
        (
            "GET /api/models/{model_id}/evaluation/examples",
            "200 examples",
            f"{M}/evaluation/examples?true_class=1&predicted_class=1&count=200",
            {},
        ),
        (
            "GET /api/datasets/{dataset}/test/{index}.png",
            "scale 16",
            "/api/datasets/mnist/test/9999.png?scale=16",
            {},
        ),
        ("GET /api/models/{model_id}/weights.npz", "", f"{M}/weights.npz", {}),
        (
            "POST /api/models/import",
            "the shipped model's file",
            "/api/models/import",
            {
                "data": {"name": "bench import"},
                "files": {"weights": ("w.npz", weights, "application/zip")},
            },
        ),
        (
            "PATCH /api/models/{model_id}",
            "",
            "/api/models/bench-import",
            {"json": {"name": "renamed"}},
        ),
        ("DELETE /api/models/{model_id}", "", "/api/models/bench-import", {}),
        *teaching_and_export_cases(big, px),
    ]


def teaching_and_export_cases(big: dict, px: dict) -> list[tuple[str, str, str, dict]]:
    """The overview's unit geometry, the teaching views and the ONNX export, at their worst."""
    sq = [[1.0 if 3 <= i <= 10 and 3 <= j <= 10 else 0.0 for j in range(14)] for i in range(14)]
    return [
        (
            "POST /api/models/{model_id}/layers/{index}/connections",
            "fc1 unit, 512² pixels, top 64",
            f"{M}/layers/7/connections",
            {"json": {**px, "unit": [0], "top": 64}},
        ),
        (
            "GET /api/models/{model_id}/layers/{index}/receptive-field",
            "pool2's corner, down to the input",
            f"{M}/layers/5/receptive-field?row=0&col=0",
            {},
        ),
        ("GET /api/models/{model_id}/layers/{index}/state", "fc1", f"{M}/layers/7/state", {}),
        ("GET /api/models/{model_id}/model.onnx", "", f"{M}/model.onnx", {}),
        ("GET /api/teach/networks", "", "/api/teach/networks", {}),
        ("GET /api/teach/square", "", "/api/teach/square", {}),
        ("POST /api/teach/square", "a drawn square", "/api/teach/square", {"json": {"image": sq}}),
        (
            "POST /api/models/{model_id}/backprop",
            f"{len(px['pixels'])}² pixels",
            f"{M}/backprop",
            {"json": {**px, "target": 3}},
        ),
        ("POST /api/models/{model_id}/flatten", "max PNG", f"{M}/flatten", {"json": big}),
        (
            "POST /api/models/{model_id}/shift",
            "max PNG, shift+scale+rotate",
            f"{M}/shift",
            {"json": {**big, "dx": 14, "dy": -14, "scale": 2.0, "angle": 45}},
        ),
        (
            "POST /api/models/{model_id}/shift-curve",
            "max PNG, ±14 px",
            f"{M}/shift-curve",
            {"json": {**big, "max_shift": 14}},
        ),
        (
            "GET /api/models/{model_id}/permutation-test",
            "(table ready) 10,000 images",
            f"{M}/permutation-test?images=10000",
            {},
        ),
    ]
