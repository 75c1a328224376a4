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
import base64
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
TARGET_RPS = 300  # at 8 clients, on 2 cores
TARGET_P99_MS = 100.0


def canvas_png(size: int = 280) -> str:
    """A "7" drawn on a transparent canvas, as the explorer's pad sends it (ink in alpha)."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s, ink, width = size / 280, (20, 20, 20, 255), int(22 * size / 280)
    d.line([(70 * s, 60 * s), (210 * s, 60 * s)], fill=ink, width=width)
    d.line([(210 * s, 60 * s), (120 * s, 230 * s)], fill=ink, width=width)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the server ---------------------------------------------------------------------------------


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "CNN_EXPLORER_HOST": "127.0.0.1",
        "CNN_EXPLORER_PORT": str(port),
        "CNN_EXPLORER_WORKERS": str(workers),
        "CNN_EXPLORER_LOG_LEVEL": "warning",  # no access log lines: they would cost CPU
    }
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/api/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200 and len(server_pids(proc.pid)) >= workers:
                    return proc
        except OSError:
            pass
        time.sleep(0.2)  # polling interval, bounded by the deadline
    proc.kill()
    raise SystemExit(f"the server did not start in 60 s:\n{log.read_text()[-2000:]}")


def server_pids(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def worker_pids(root: int) -> list[int]:
    """The uvicorn worker processes under ``root`` (``root`` itself with one worker)."""
    workers = []
    for pid in server_pids(root):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmd and b"resource_tracker" not in cmd:
            workers.append(pid)
    return workers or [root]


def sockets(pid: int) -> int:
    n = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            n += os.readlink(fd).startswith("socket:")
    return n


class ConnectionCount:
    """How the clients' connections are spread over the workers, seen 1 s into a level."""

    def __init__(self, workers: list[int]):
        self.workers = workers
        self.base = {w: sockets(w) for w in workers}
        self.counts: list[int] = []
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        time.sleep(1.0)
        self.counts = sorted(sockets(w) - self.base[w] for w in self.workers)

    def text(self) -> str:
        self.thread.join(timeout=5)
        return "/".join(str(c) for c in self.counts) or "?"


def rss_mb(root: int) -> dict[int, float]:
    """Resident memory of each server process, MB."""
    out = {}
    for pid in server_pids(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[pid] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return out


def cpu_seconds() -> dict[int, tuple[float, str]]:
    """CPU seconds used so far by every process on the machine, with its command line."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, UnicodeDecodeError):
            continue
        out[int(stat.parent.name)] = ((int(fields[11]) + int(fields[12])) / tick, cmd)
    return out


def others(before: dict, after: dict, exclude: set[int], seconds: float) -> str:
    """What else used the CPU between two :func:`cpu_seconds` readings (not this benchmark;
    processes that ended in between are not seen)."""
    used = []
    for pid, (t, cmd) in after.items():
        if pid in exclude or not cmd:
            continue
        dt = t - before.get(pid, (0.0, cmd))[0]
        if dt > 0.05 * seconds:
            used.append((dt, cmd[:70]))
    used.sort(reverse=True)
    total = sum(dt for dt, _ in used) / seconds
    top = "; ".join(f"{cmd} ({dt / seconds:.0%})" for dt, cmd in used[:3])
    return f"{total:.0%} of a core" + (f": {top}" if top else "")


# -- the clients --------------------------------------------------------------------------------


async def client(host, port, request: bytes, state: dict, latencies: list, errors: list):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while state["left"] > 0 and time.monotonic() < state["until"]:
            state["left"] -= 1
            t0 = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            latencies.append((time.perf_counter() - t0) * 1000)
            if not status_line.startswith(b"HTTP/1.1 200"):
                errors.append(
                    status_line.decode().strip() + " " + body[:200].decode(errors="replace")
                )
    finally:
        writer.close()


async def run_level(port: int, request: bytes, clients: int, n: int, seconds: float) -> dict:
    state = {"left": n, "until": time.monotonic() + seconds}
    latencies: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(
        *(client("127.0.0.1", port, request, state, latencies, errors) for _ in range(clients))
    )
    elapsed = time.perf_counter() - t0
    xs = sorted(latencies)

    def pct(q):
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")

    return {
        "clients": clients,
        "requests": len(xs),
        "seconds": elapsed,
        "rps": len(xs) / elapsed if elapsed else 0.0,
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


# -- heavy clients: the most expensive legal requests, sent back to back ------------------------


def heavy_requests(model: str, seed: int) -> list[bytes]:
    """The heaviest legal requests at the default limits, new seeds so nothing is memoised."""
    blank = [[0.0] * 28 for _ in range(28)]
    base = f"/api/models/{model}"

    def post(path, body):
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

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
                status_line = await reader.readline()
                length, retry = 0, 0.0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    if name.lower() == b"retry-after":
                        retry = float(value)
                await reader.readexactly(length)
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


def http_request(model: str, body: bytes) -> bytes:
    head = (
        f"POST /api/models/{model}/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


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

    body = json.dumps({"image": canvas_png(), "preprocess": True}).encode()
    request = http_request(args.model, body)
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"cnn-explorer-load-{port}.log"
    proc = start_server(port, args.workers, log)
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
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 1 if failed else 0


HEAVY_TARGET_P99_MS = 150.0


def heavy_main(args) -> int:
    """Predictions at 8 clients while ``args.heavy`` clients hammer the heavy endpoints."""
    body = json.dumps({"image": canvas_png(), "preprocess": True}).encode()
    request = http_request(args.model, body)
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"cnn-explorer-load-{port}.log"
    proc = start_server(port, args.workers, log)
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
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
