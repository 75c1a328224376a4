"""An imported 64-channel CNN in the explorer: server time of `activations`, the stroke round trip.

    python bench/bench_imported.py                  # all of it (~3 minutes)
    python bench/bench_imported.py --no-browser -n 100

1. PyTorch (``$TORCH_PYTHON bench/torch_cnn64.py``) builds the net — four 3×3 convolutions
   of 32, 32, 64, 64 channels, each with BatchNorm and ReLU, two max-pools, a dense
   head — exports it to ONNX (opset 17) and times its own forward pass at batch 1.
2. The engine imports that file (the ONNX importer, ``engine.onnx_import``; where it is not there
   yet, :func:`import_by_hand` builds the same layers with ``Model.from_spec`` and copies the
   initialisers), checks its outputs against onnxruntime on real MNIST digits and times its
   forward pass (batch 1, every layer's output as ``activations`` needs) — printed beside
   PyTorch's as a ratio.
3. A server (``python -m app``) on a free port serves a models directory holding only the
   imported model; ``bench/api_latency.py`` measures ``POST /activations`` (target: server p50
   ≤ 25 ms) and ``bench/stroke_roundtrip.py`` the end of a stroke to every map redrawn in
   Chromium (target: p90 ≤ 150 ms).
"""

# ruff: noqa: E402  (NumPy is imported after the BLAS thread count is set)
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

# One BLAS thread, as the app runs (app/__init__.py) and as PyTorch is timed: set before NumPy.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_latency import digit, measure
from bench.stroke_roundtrip import report, server, stroke_times
from engine import data
from engine.model import Model
from engine.train import to_input

# A Python with PyTorch CPU (`pip install torch==2.13.0 onnx` into a venv of its own: PyTorch is
# never a dependency of the project or its tests).
TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "/work/torch-venv/bin/python")
MODEL_ID = "cnn64"
_OPS = {
    "Conv": "conv2d",
    "BatchNormalization": "batchnorm2d",
    "Relu": "relu",
    "MaxPool": "maxpool2d",
    "Flatten": "flatten",
    "Gemm": "dense",
}
_ARRAYS = {
    "conv2d": ("weight", "bias"),
    "batchnorm2d": ("weight", "bias", "running_mean", "running_var"),
    "dense": ("weight", "bias"),
}


def import_by_hand(path: Path):
    """This one chain of Conv/BatchNormalization/Relu/MaxPool/Flatten/Gemm nodes as an engine
    model — a stand-in for the ONNX importer, for this benchmark's file only."""
    proto = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    specs, arrays = [], {}
    for i, node in enumerate(proto.graph.node):
        kind = _OPS[node.op_type]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        name = f"{kind}{i}"
        config = {}
        if kind == "conv2d":
            w = inits[node.input[1]]
            config = {
                "in_channels": int(w.shape[1]),
                "out_channels": int(w.shape[0]),
                "kernel_size": list(attrs["kernel_shape"]),
                "padding": list(attrs.get("pads", [0, 0])[:2]),
            }
        elif kind == "batchnorm2d":
            config = {"num_features": int(inits[node.input[1]].size), "eps": attrs["epsilon"]}
        elif kind == "maxpool2d":
            config = {"kernel_size": list(attrs["kernel_shape"])}
        elif kind == "dense":
            w = inits[node.input[1]]
            config = {"in_features": int(w.shape[1]), "out_features": int(w.shape[0])}
        specs.append({"type": kind, "name": name, "config": config})
        for key, src in zip(_ARRAYS.get(kind, ()), node.input[1:], strict=True):
            arrays[f"{name}.{key}"] = inits[src].astype(np.float32)
    model = Model.from_spec(
        specs, input_shape=(1, 28, 28), name="CNN64 (PyTorch)", meta={"source": "onnx"}
    )
    model.set_state(arrays, path.name)
    return model


def import_model(path: Path):
    """The engine's ONNX importer if this checkout has it, else :func:`import_by_hand`."""
    try:
        from engine.onnx_import import import_onnx  # noqa: PLC0415
    except ImportError:
        return import_by_hand(path), "bench/bench_imported.py import_by_hand (no importer yet)"
    return import_onnx(path.read_bytes(), name="CNN64 (PyTorch)"), "engine.onnx_import"


def median_ms(fn, repeat: int) -> tuple[float, float]:
    """(median, fastest) time of ``fn()`` in ms over ``repeat`` calls after 5 warm-ups."""
    for _ in range(5):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help="requests per endpoint")
    ap.add_argument("--strokes", type=int, default=30, help="strokes drawn in Chromium")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium round trip")
    ap.add_argument("--save", help="also save the imported model as this .npz")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-imported-") as tmp:
        run(args, Path(tmp))


def machine(when: str) -> None:
    """Print the load average and the busiest processes: the machine is shared."""
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    top = subprocess.run(
        ["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()[:6]
    busiest = "; ".join(" ".join(line.split()) for line in top)
    print(f"machine {when}: {os.cpu_count()} cores, load average {load}; busiest: {busiest}")


def run(args, work: Path) -> None:
    machine("before")
    onnx_path = work / "cnn64.onnx"
    out = subprocess.run(
        [TORCH_PYTHON, str(ROOT / "bench" / "torch_cnn64.py"), str(onnx_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    printed = json.loads(out.strip().splitlines()[-1])
    torch = {"median": printed["torch_forward_b1_ms"], "min": printed["torch_forward_b1_min_ms"]}
    model, how = import_model(onnx_path)
    print(
        f"imported {onnx_path.name} with {how}: {len(model.layers)} layers, "
        f"{model.num_params:,} parameters"
    )
    images, _ = data.load_dataset("mnist", "test", ROOT / "data")
    x = to_input(images[:100])
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"input": x})[0]
    err = float(np.abs(model.forward(x) - ref).max())
    print(f"engine vs onnxruntime on 100 MNIST test digits: max |difference| {err:.2e}")
    x1 = x[:1]
    engine_ms, engine_min = median_ms(lambda: model.forward(x1), 200)
    all_ms, _ = median_ms(lambda: model.forward(x1, return_all=True), 200)
    print(
        f"forward at batch 1, one thread, median of 200 (fastest): engine {engine_ms:.2f} ms "
        f"({engine_min:.2f}; every layer's output kept: {all_ms:.2f} ms), PyTorch "
        f"{torch['median']:.2f} ms ({torch['min']:.2f}) -> engine/PyTorch "
        f"{engine_ms / torch['median']:.1f}x ({engine_min / torch['min']:.1f}x fastest to fastest)"
    )
    models_dir = work / "models"
    models_dir.mkdir()
    model.save(models_dir / f"{MODEL_ID}.npz")
    if args.save:
        model.save(args.save)
    env = {"CNN_EXPLORER_MODELS_DIR": str(models_dir), "CNN_EXPLORER_DEFAULT_MODEL": MODEL_ID}
    with server(None, env) as url:
        u = urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        body = json.dumps({"pixels": digit()}).encode()
        for what in ("activations", "predict"):
            path = f"/api/models/{MODEL_ID}/{what}"
            measure(conn, "POST", path, body, 5)  # warm up
            result = measure(conn, "POST", path, body, args.n)
            print(f"POST {path}: {json.dumps(result)}")
        conn.close()
        if not args.no_browser:
            report(stroke_times(url, args.strokes, MODEL_ID), url, MODEL_ID)
    machine("after")


if __name__ == "__main__":
    main()
