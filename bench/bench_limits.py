"""Every endpoint at its worst legal parameters, at the DEFAULT settings: CPU and wall time.

    python bench/bench_limits.py            # the shipped mnist-cnn, in-process (TestClient)
    python bench/bench_limits.py --repeat 3

The app runs in this process with ``Settings()`` (only the models and cache directories are
temporary copies, so imports and deletes touch nothing), one BLAS thread per process as
``python -m app`` sets it. Each row is one request, built to be the most expensive the limits
allow (the largest image, every patch, the most steps, the widest range of units that fits
``max_request_megamacs``, ...), sent after one warm-up; CPU is this process's (every thread:
the request's and any background work) while it ran. Whole-test-set tables are computed in
the background on first use: their rows time the first request and, separately, the CPU until
the table was ready. Every operation of ``/openapi.json`` must have a row (it exits 1 if not).
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # as app/__main__.py does, before NumPy is imported

import argparse  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.core.settings import Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from bench.limits_cases import MODEL, M, cases  # noqa: E402
from bench.timing import timed  # noqa: E402


def table_until_ready(c: TestClient, url: str) -> tuple[float, float, int]:
    """CPU and wall time until a background table answers 200, and the 503s on the way."""
    c0, w0, retries = time.process_time(), time.perf_counter(), 0
    while (r := c.get(url)).status_code == 503:
        retries += 1
    assert r.status_code == 200, r.text
    return time.process_time() - c0, time.perf_counter() - w0, retries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="timed runs per row (the median)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-limits-"))
    try:
        (root / "models").mkdir()
        shutil.copy(REPO / "models" / f"{MODEL}.npz", root / "models")
        settings = Settings(models_dir=root / "models", cache_dir=root / "cache")
        with TestClient(create_app(settings)) as c:
            print(
                f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start; "
                f"max_request_megamacs = {settings.max_request_megamacs:,}"
            )
            for what, url in (
                ("top-activations", f"{M}/explain/layers/3/top-activations"),
                ("evaluation", f"{M}/evaluation"),
                ("permutation test", f"{M}/permutation-test?images=10000"),
            ):
                cpu, wall, retries = table_until_ready(c, url)
                print(
                    f"background table {what}: {cpu:.2f} s CPU, {wall:.2f} s wall until ready "
                    f"({retries} × 503 Retry-After on the way)"
                )
            rows, covered = [], set()
            for op, label, url, kwargs in cases(c, settings):
                method = op.split()[0]
                covered.add(op)
                runs = []
                for i in range(args.repeat + 1):
                    if i and op.startswith(("POST /api/models/import", "PATCH", "DELETE /api/m")):
                        break  # not repeatable: one timed run
                    # maximise memoises its results: a new seed each run, so every run computes
                    u = url.replace("seed=1", f"seed={10 + i}").replace("seed=2", f"seed={20 + i}")
                    t = timed(lambda: c.request(method, u, **kwargs))  # noqa: B023
                    r, cpu, wall = t.out, t.cpu[0], t.wall[0]
                    if i or op.startswith(("POST /api/models/import", "PATCH", "DELETE /api/m")):
                        runs.append((cpu, wall, r.status_code, len(r.content)))
                runs.sort()
                cpu, wall, status, size = runs[len(runs) // 2]
                rows.append((op, label, status, cpu, wall, size))
            ops = {f"{m.upper()} {p}" for p, o in c.app.openapi()["paths"].items() for m in o}
            missing = sorted(ops - covered)
        width = max(len(r[0]) for r in rows)
        head = "worst legal request | status | CPU s | wall s | bytes |"
        print(f"\n| {'operation':<{width}} | {head}")
        print(f"|{'-' * (width + 2)}|---|---:|---:|---:|---:|")
        for op, label, status, cpu, wall, size in rows:
            print(f"| {op:<{width}} | {label} | {status} | {cpu:.3f} | {wall:.3f} | {size:,} |")
        worst = max(rows, key=lambda r: r[3])
        print(
            f"\nworst CPU: {worst[3]:.3f} s ({worst[0]} {worst[1]}); "
            f"load average {os.getloadavg()[0]:.2f} at the end"
        )
        if missing:
            print(f"operations without a row: {missing}")
        return 1 if missing else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
