"""What the load benchmarks (``bench/load.py``) share: the server under test, started as the
README does (``python -m app``) on a free port, its processes, their memory and connections;
what else used the CPU meanwhile; and the clients, raw HTTP/1.1 over keep-alive connections
(asyncio), so that they cost little of the machine's CPU.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
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


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


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


async def read_response(reader) -> tuple[bytes, dict[bytes, bytes], bytes]:
    """One HTTP/1.1 response: ``(status line, headers by lower-case name, body)``."""
    status_line, headers = await reader.readline(), {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get(b"content-length", 0)))
    return status_line, headers, body


async def client(host, port, request: bytes, state: dict, latencies: list, errors: list):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while state["left"] > 0 and time.monotonic() < state["until"]:
            state["left"] -= 1
            t0 = time.perf_counter()
            writer.write(request)
            status_line, _, body = await read_response(reader)
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


def http_post(path: str, body: bytes) -> bytes:
    """The raw HTTP/1.1 request posting JSON ``body`` to ``path``."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body
