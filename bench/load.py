"""Load test: predictions per second and latency against a real server, and its memory.

    python bench/load.py                      # starts `python -m app` itself on a free port
    python bench/load.py --workers 1 --requests 2000 --memory-requests 10000

It starts the app as the README does (``python -m app``, ``CNN_EXPLORER_WORKERS`` workers) on
127.0.0.1 and a free port, then drives ``POST /api/models/<model>/predict`` from this process over
keep-alive connections (asyncio, one connection per client, raw HTTP/1.1 so the client costs
little of the machine's CPU). The body is what the explorer sends: a 280×280 transparent canvas
with a drawn digit as a PNG data URL, ``preprocess: true``.

1. For 1, 8 and 32 concurrent clients: requests per second, p50/p90/p99 latency, errors, and how
   the clients' connections were spread over the workers (the kernel hands each new connection
   to whichever worker accepts first; keep-alive connections then stay there).
2. Memory: the server's RSS (every process) before and after ``--memory-requests`` more
   requests at 8 clients, and the growth against ``--max-growth-mb``.

Everything is bounded: each level stops at ``--requests`` requests or ``--seconds`` seconds,
the whole run at ``--max-total-seconds``, and the server is stopped at the end. It exits 1 if
any request failed, a target was missed, or memory grew past the bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import (  # noqa: E402
    ConnectionCount,
    canvas_png,
    cpu_seconds,
    free_port,
    http_post,
    others,
    read_response,
    rss_mb,
    run_level,
    server_pids,
    start_server,
    stop_server,
    worker_pids,
)

TARGET_RPS = 300  # at 8 clients, on 2 cores
TARGET_P99_MS = 100.0


# -- heavy clients: the most expensive legal requests, sent back to back ------------------------


def heavy_requests(model: str, seed: int) -> list[bytes]:
    """The heaviest legal requests at the default limits, new seeds so nothing is memoised."""
    blank = [[0.0] * 28 for _ in range(28)]
    base = f"/api/models/{model}"

    def post(path, body):
        return http_post(path, json.dumps(body).encode())

    def get(path):
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()

    return [
        get(f"{base}/explain/layers/3/maximise?first=0&count=23&seed={seed}"),
        post(f"{base}/explain/occlusion", {"pixels": blank, "patch": 1, "stride": 1}),
        post(f"{base}/explain/integrated-gradients", {"pixels": blank, "steps": 256}),
        get(f"{base}/explain/layers/7/maximise?first=0&count=4&steps=256&seed={seed}"),
    ]


async def heavy_client(host, port, model, n: int, state: dict, counts: dict, respect: bool):
    """Send heavy requests until ``state["stop"]``; count the statuses (503s: over the limit)."""
    reader, writer = await asyncio.open_connection(host, port)
    i = n * 1000
    try:
        while not state["stop"]:
            i += 1
            for request in heavy_requests(model, i):
                if state["stop"]:
                    break
                writer.write(request)
                status_line, headers, _ = await read_response(reader)
                retry = float(headers.get(b"retry-after", 0))
                code = status_line.split()[1].decode() if status_line else "closed"
                counts[code] = counts.get(code, 0) + 1
                if respect and retry:
                    await asyncio.sleep(retry)  # a well-behaved client honours Retry-After
    finally:
        writer.close()


async def level_under_heavy_load(port, request, clients, n, seconds, model, heavy, respect):
    state, counts = {"stop": False}, {}
    tasks = [
        asyncio.create_task(heavy_client("127.0.0.1", port, model, k, state, counts, respect))
        for k in range(heavy)
    ]
    await asyncio.sleep(1.0)  # let the heavy requests get going first
    result = await run_level(port, request, clients, n, seconds)
    state["stop"] = True
    await asyncio.gather(*tasks, return_exceptions=True)
    result["heavy"] = counts
    return result


def serve(args) -> tuple[subprocess.Popen, int, bytes, bytes]:
    """``python -m app`` on a free port (its log in $TMPDIR), and the predict request the explorer
    sends: ``(server, port, body, request)``."""
    body = json.dumps({"image": canvas_png(), "preprocess": True}).encode()
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"cnn-explorer-load-{port}.log"
    request = http_post(f"/api/models/{args.model}/predict", body)
    return start_server(port, args.workers, log), port, body, request


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    ap.add_argument("--model", default="mnist-cnn")
    ap.add_argument("--levels", default="1,8,32", help="concurrent clients, comma-separated")
    ap.add_argument("--requests", type=int, default=3000, help="requests per level at most")
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds per level at most")
    ap.add_argument("--memory-requests", type=int, default=10_000)
    ap.add_argument("--max-growth-mb", type=float, default=25.0, help="RSS growth allowed")
    ap.add_argument("--max-total-seconds", type=float, default=420.0)
    ap.add_argument(
        "--heavy",
        type=int,
        default=0,
        help="instead: this many clients send the heaviest legal requests back to back while "
        "8 clients predict; the target is p99 <= 150 ms for the predictions",
    )
    ap.add_argument(
        "--respect-retry-after", action="store_true", help="heavy clients wait on a 503"
    )
    args = ap.parse_args()
    if args.heavy:
        return heavy_main(args)

    proc, port, body, request = serve(args)
    started = time.monotonic()
    machine_before = cpu_seconds()
    failed = False
    try:
        asyncio.run(run_level(port, request, 8, 200, 30))  # warm-up: caches, lazy imports
        print(
            f"POST /api/models/{args.model}/predict, {len(body):,}-byte PNG body, "
            f"{args.workers} worker(s), {os.cpu_count()} cores"
        )
        print(
            "| clients | requests | predictions/s | p50 ms | p90 ms | p99 ms | errors "
            "| connections per worker |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---|")
        workers = worker_pids(proc.pid)
        results = []
        for clients in (int(c) for c in args.levels.split(",")):
            left = args.max_total_seconds - (time.monotonic() - started)
            spread = ConnectionCount(workers)
            r = asyncio.run(
                run_level(port, request, clients, args.requests, min(args.seconds, left))
            )
            results.append(r)
            print(
                f"| {r['clients']} | {r['requests']:,} | {r['rps']:.0f} | {r['p50']:.1f} | "
                f"{r['p90']:.1f} | {r['p99']:.1f} | {r['errors']} | {spread.text()} |"
            )
            if r["errors"]:
                print(f"  first error: {r['first_error']}")
                failed = True

        before = rss_mb(proc.pid)
        left = args.max_total_seconds - (time.monotonic() - started)
        m = asyncio.run(run_level(port, request, 8, args.memory_requests, max(1.0, left)))
        after = rss_mb(proc.pid)
        growth = sum(after.values()) - sum(before.values())
        per_process = ", ".join(
            f"{before.get(pid, 0):.1f}→{after[pid]:.1f}" for pid in sorted(after)
        )
        print(
            f"\nmemory: {m['requests']:,} more requests at 8 clients ({m['errors']} errors); "
            f"RSS of {len(after)} processes {sum(before.values()):.1f} MB → "
            f"{sum(after.values()):.1f} MB, growth {growth:+.1f} MB "
            f"(bound {args.max_growth_mb:.0f} MB) [{per_process}]"
        )
        if m["requests"] < args.memory_requests:
            print(f"  only {m['requests']:,} of {args.memory_requests:,} requests in the time left")
            failed = True
        failed |= bool(m["errors"]) or growth > args.max_growth_mb

        seconds = time.monotonic() - started
        mine = set(server_pids(proc.pid)) | {os.getpid()}
        print(f"other processes meanwhile: {others(machine_before, cpu_seconds(), mine, seconds)}")
        eight = next((r for r in results if r["clients"] == 8), None)
        if eight is not None:
            ok = eight["rps"] >= TARGET_RPS and eight["p99"] <= TARGET_P99_MS
            print(
                f"target at 8 clients: ≥ {TARGET_RPS} predictions/s with p99 ≤ "
                f"{TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'} "
                f"({eight['rps']:.0f}/s, p99 {eight['p99']:.1f} ms)"
            )
            failed |= not ok
    finally:
        stop_server(proc)
    return 1 if failed else 0


HEAVY_TARGET_P99_MS = 150.0


def heavy_main(args) -> int:
    """Predictions at 8 clients while ``args.heavy`` clients hammer the heavy endpoints."""
    proc, port, _, request = serve(args)
    machine_before, started = cpu_seconds(), time.monotonic()
    try:
        asyncio.run(run_level(port, request, 8, 200, 30))  # warm-up
        base = asyncio.run(run_level(port, request, 8, args.requests, args.seconds))
        loaded = asyncio.run(
            level_under_heavy_load(
                port, request, 8, args.requests, args.seconds, args.model, args.heavy,
                args.respect_retry_after,
            )
        )  # fmt: skip
        mode = "honouring Retry-After" if args.respect_retry_after else "back to back"
        print(
            f"POST /api/models/{args.model}/predict at 8 clients, {args.workers} worker(s), "
            f"{os.cpu_count()} cores; {args.heavy} heavy clients {mode}"
        )
        print("| load | requests | predictions/s | p50 ms | p90 ms | p99 ms | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, r in (("predictions alone", base), (f"+ {args.heavy} heavy", loaded)):
            print(
                f"| {name} | {r['requests']:,} | {r['rps']:.0f} | {r['p50']:.1f} | "
                f"{r['p90']:.1f} | {r['p99']:.1f} | {r['errors']} |"
            )
        print(f"heavy responses meanwhile: {dict(sorted(loaded['heavy'].items()))}")
        seconds = time.monotonic() - started
        mine = set(server_pids(proc.pid)) | {os.getpid()}
        print(f"other processes meanwhile: {others(machine_before, cpu_seconds(), mine, seconds)}")
        ok = loaded["p99"] <= HEAVY_TARGET_P99_MS and not loaded["errors"]
        print(
            f"target: p99 <= {HEAVY_TARGET_P99_MS:.0f} ms under heavy load: "
            f"{'met' if ok else 'NOT met'} (p99 {loaded['p99']:.1f} ms)"
        )
        return 0 if ok else 1
    finally:
        stop_server(proc)


if __name__ == "__main__":
    sys.exit(main())
