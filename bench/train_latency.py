"""Does a training job slow the explorer down? Predict latency, idle and while a job trains,
with the job in the consumer process ``python -m app`` starts (``training_mode=process``) or in
a consumer thread inside the server (``thread``, ``uvicorn app.main:app``).

    python -m bench.train_latency --data-dir ../shared/datasets --limit 4000

Each mode gets its own server (a subprocess) on a temporary models directory. The
job trains the shipped architecture (``mnist-cnn``) for one epoch on ``--limit`` images; the
predict requests (one at a time, a real test digit) run for as long as it trains.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from engine import architectures
from engine.data import load_dataset
from engine.model import Model

ROOT = Path(__file__).resolve().parent.parent


def _call(url: str, body: dict | None = None, method: str | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=20)
    return f"p50 {statistics.median(ms):6.1f} ms  p95 {q[18]:6.1f} ms  (n={len(ms)})"


def _predicts(url: str, pixels, until) -> list[float]:
    times = []
    while not until(len(times)):
        t0 = time.perf_counter()
        _call(url + "/api/models/mnist-cnn/predict", {"pixels": pixels, "preprocess": False})
        times.append((time.perf_counter() - t0) * 1000)
    return times


def run(mode: str, data_dir: Path, limit: int, idle_n: int) -> None:
    models = Path(tempfile.mkdtemp(prefix=f"bench-{mode}-"))
    shipped = ROOT / "models" / "mnist-cnn.npz"
    if shipped.is_file():
        shutil.copy(shipped, models / "mnist-cnn.npz")
    else:
        spec = architectures.load_spec("mnist-cnn")["layers"]
        Model.from_spec(spec, meta={"dataset": "mnist"}).save(models / "mnist-cnn.npz")
    port = _free_port()
    env = {
        **os.environ,
        "CNN_EXPLORER_MODELS_DIR": str(models),
        "CNN_EXPLORER_DATA_DIR": str(data_dir),
        "CNN_EXPLORER_TRAINING_MODE": mode,
        "CNN_EXPLORER_LOG_LEVEL": "warning",
    }
    env["CNN_EXPLORER_PORT"] = str(port)
    cmd = [sys.executable, "-m", "app"]
    if mode == "thread":
        cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)]
        cmd += ["--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                _call(url + "/api/health")
                break
            except OSError:
                time.sleep(0.1)
        images, _ = load_dataset("mnist", "test", ROOT / "data")
        pixels = (images[0] / 255.0).round(4).tolist()
        _predicts(url, pixels, lambda n: n >= 5)  # warm up
        idle = _predicts(url, pixels, lambda n: n >= idle_n)
        spec = architectures.load_spec("mnist-cnn")["layers"]
        job = _call(
            url + "/api/train",
            {"name": f"bench {mode}", "architecture": spec, "epochs": 1, "batch_size": 64,
             "limit": limit, "augment": True},
        )  # fmt: skip
        job_url = f"{url}/api/train/{job['id']}"

        def running(n: int) -> bool:
            return n % 5 == 0 and _call(job_url)["state"] not in ("queued", "running")

        busy = _predicts(url, pixels, running)
        record = _call(job_url)
        n, seconds = record["train_images"], record["elapsed"]
        print(
            f"training_mode={mode}: job {record['state']}, {n} images in {seconds:.1f} s "
            f"({n / seconds:.0f} images/s incl. start-up and the final test)"
        )
        print(f"  predict idle:          {_percentiles(idle)}")
        print(f"  predict while training: {_percentiles(busy)}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(models, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, required=True, help="holds mnist/ with the train set")
    p.add_argument("--limit", type=int, default=4000, help="training images for the job")
    p.add_argument("--idle", type=int, default=60, help="predict requests with no job")
    p.add_argument("--modes", nargs="+", default=["process", "thread"])
    args = p.parse_args()
    for mode in args.modes:
        run(mode, args.data_dir, args.limit, args.idle)


if __name__ == "__main__":
    main()
