"""A ResNet-18-shaped model at 224×224 through the app: import, one photo to every activation,
peak memory, and PyTorch and onnxruntime on the same network in the same run.

    TORCH_PYTHON=/path/to/torch/python python bench/bench_resnet18.py [-n 5]

1. ``$TORCH_PYTHON bench/torch_resnet18.py`` builds the network in plain ``torch.nn`` (random
   weights), exports it to ONNX (opset 17, ``dynamo=False``) and times its own forward pass.
2. In this process, an app (default settings, an empty models directory) imports the file
   through ``POST /api/models/import`` with torchvision's ImageNet convention (timed once).
3. ``POST /activations?format=float32`` on a bundled photo (``static/samples/photos/cat.jpg``)
   ``n`` times: the server's own time (``Server-Timing``) p50 and the bytes shipped, whole and
   with ``?max_channels=8``; the engine's bare forward pass and onnxruntime's (one thread).
4. Every other endpoint that runs the model once more, at its defaults: status and seconds —
   each must answer within ~1 s or refuse with a 4xx naming the limit.
5. Peak memory: the process's maximum resident set (``ru_maxrss``) after each phase.
The machine is shared: the load average is printed with the numbers.
"""

# ruff: noqa: E402  (NumPy is imported after the BLAS thread count is set)
from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import onnxruntime as ort
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.settings import Settings
from app.main import create_app

TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "python")
IMAGENET = {
    "channels": "rgb",
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "resize": {"mode": "center-crop", "size": 256},
}
PHOTO = ROOT / "static" / "samples" / "photos" / "cat.jpg"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def server_ms(r) -> float:
    return float(r.headers["server-timing"].split("dur=")[1])


def p50(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def build_onnx(work: Path, repeat: int) -> tuple[Path, float]:
    """``$TORCH_PYTHON bench/torch_resnet18.py`` → (``work/resnet18.onnx``, PyTorch's p50
    forward at batch 1 in ms, over ``repeat`` runs)."""
    onnx_path = work / "resnet18.onnx"
    script = str(ROOT / "bench" / "torch_resnet18.py")
    out = subprocess.run(
        [TORCH_PYTHON, "-W", "ignore", script, str(onnx_path), "--repeat", str(repeat)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return onnx_path, json.loads(out.stdout.strip().splitlines()[-1])["torch_forward_b1_ms"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    work = Path(tempfile.mkdtemp(prefix="resnet18-"))
    onnx_path, torch_ms = build_onnx(work, args.n)
    size_mb = onnx_path.stat().st_size / 1e6
    app = create_app(Settings(models_dir=work / "models"))
    client = TestClient(app, raise_server_exceptions=False)
    client.__enter__()
    t = time.perf_counter()
    with onnx_path.open("rb") as f:
        r = client.post(
            "/api/models/import",
            data={"name": "resnet18", "input": json.dumps(IMAGENET)},
            files=[("weights", ("resnet18.onnx", f, "application/octet-stream"))],
        )
    import_s = time.perf_counter() - t
    assert r.status_code == 201, r.text
    model_id = r.json()["id"]
    print(f"import: {size_mb:.1f} MB file in {import_s:.2f} s; peak RSS {peak_mb():.0f} MB")

    body = {"image": base64.b64encode(PHOTO.read_bytes()).decode()}
    url = f"/api/models/{model_id}/activations?format=float32"
    timings, sizes = {}, {}
    for label, suffix in (("all", ""), ("max_channels=8", "&max_channels=8")):
        ms, size = [], 0
        for _ in range(args.n):
            r = client.post(url + suffix, json=body)
            assert r.status_code == 200, r.text
            ms.append(server_ms(r))
            size = len(r.content)
        timings[label], sizes[label] = statistics.median(ms), size
        print(
            f"activations ({label}): server p50 {timings[label]:.0f} ms, "
            f"{size / 1e6:.1f} MB shipped; peak RSS {peak_mb():.0f} MB"
        )

    entry = client.app.state.registry.get(model_id)
    x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    engine_ms = p50(lambda: entry.model.forward(x, return_all=True), args.n)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    ort_ms = p50(lambda: session.run(None, {"input": x}), args.n)
    print(
        f"forward at batch 1, one thread, p50: engine (every layer kept) {engine_ms:.0f} ms, "
        f"PyTorch {torch_ms:.0f} ms, onnxruntime {ort_ms:.0f} ms"
    )

    base = f"/api/models/{model_id}"
    probes = [
        ("predict", f"{base}/predict", {}),
        ("feature-maps.png layer 0", f"{base}/layers/0/feature-maps.png", {}),
        ("saliency", f"{base}/explain/saliency", {}),
        ("gradcam", f"{base}/explain/gradcam", {}),
        ("occlusion (defaults)", f"{base}/explain/occlusion", {}),
        ("integrated-gradients (defaults)", f"{base}/explain/integrated-gradients", {}),
        ("backprop", f"{base}/backprop", {"target": 0}),
        ("connections", f"{base}/layers/3/connections", {"unit": [0, 5, 5]}),
    ]
    for label, path, extra in probes:
        t = time.perf_counter()
        r = client.post(path, json={**body, **extra})
        s = time.perf_counter() - t
        detail = "" if r.status_code < 400 else f": {r.text[:110]}"
        print(f"{label}: {r.status_code} in {s:.2f} s{detail}")
    print(f"peak RSS at the end: {peak_mb():.0f} MB; load average at end: {os.getloadavg()}")
    client.__exit__(None, None, None)


if __name__ == "__main__":
    main()
