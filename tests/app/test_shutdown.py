"""SIGTERM stops ``python -m app`` within Docker's 10 s grace, with slow requests in flight.

A real server process at its default settings but a 2 s grace for in-flight requests (the
shipped model, the MNIST test set, a fresh cache so the top-activating digits and the evaluation
are computed in the background), with the heaviest legal requests running and an idle keep-alive
connection open when the signal comes.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from app.core.settings import REPO_ROOT
from tests.live import LiveServer, app_env

SHIPPED = REPO_ROOT / "models" / "mnist-cnn.npz"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SHIPPED.exists(), reason="needs models/mnist-cnn.npz"),
]
GRACE_SECONDS = 10.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(params=[None, "5"], ids=["defaults", "5-heavy-at-once"])
def server(tmp_path, request):
    """The defaults; and with ``max_heavy_requests`` 5, so every slow request below runs."""
    (tmp_path / "models").mkdir()
    shutil.copy(SHIPPED, tmp_path / "models" / "mnist-cnn.npz")
    # in-flight requests get 2 s (default 5): the rest of Docker's 10 s is the margin a loaded
    # machine needs to cut the heavy work off and exit, so the bound holds at any load we met
    settings = {
        "models_dir": tmp_path / "models",
        "cache_dir": tmp_path / "cache",
        "graceful_shutdown_seconds": 2,
    }
    if request.param:
        # every slow request runs at once: the server's slots and one client's share of them
        settings["max_heavy_requests"] = settings["max_heavy_requests_per_client"] = request.param
    live = LiveServer(tmp_path / "server.log", app_env(**settings, log_level="warning"))
    live.wait_until_up()
    yield live.proc, live.port, live.log
    if live.proc.poll() is None:
        live.proc.kill()
        live.proc.wait(10)


def request(port: int, method: str, path: str, body=None, out=None) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        r.read()
        if out is not None:
            out.append(r.status)
    except OSError as e:  # the server closed the connection while shutting down
        if out is not None:
            out.append(type(e).__name__)
    finally:
        conn.close()


def test_sigterm_ends_the_server_within_10_s_with_slow_requests_in_flight(server):
    proc, port, log = server
    blank = {"pixels": [[0.0] * 28 for _ in range(28)]}
    base = "/api/models/mnist-cnn"
    slow = [
        ("GET", f"{base}/explain/layers/3/top-activations", None),  # the background table
        ("GET", f"{base}/evaluation", None),
        ("GET", f"{base}/explain/layers/7/maximise?first=0&count=16&steps=48", None),
        ("POST", f"{base}/explain/occlusion", {**blank, "patch": 1, "stride": 1}),
        ("POST", f"{base}/explain/integrated-gradients", {**blank, "steps": 256}),
    ]
    statuses: list = []
    threads = [
        threading.Thread(target=request, args=(port, m, p, b, statuses), daemon=True)
        for m, p, b in slow
    ]
    idle = socket.create_connection(("127.0.0.1", port))  # a keep-alive client, doing nothing
    before = cpu_seconds(proc.pid)
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while cpu_seconds(proc.pid) - before < 0.5:  # the server is busy with them
        assert time.monotonic() < deadline, "the requests never started"
        time.sleep(0.05)
    assert len(statuses) < len(slow)  # some are still running
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=GRACE_SECONDS + 5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server was still running {GRACE_SECONDS + 5:.0f} s after SIGTERM")
    seconds = time.monotonic() - t0
    idle.close()
    print(f"\nSIGTERM to exit: {seconds:.1f} s, responses: {statuses}")  # noqa: T201
    assert 500 not in statuses, log.read_text()[-3000:]
    assert seconds <= GRACE_SECONDS, seconds
    assert proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    # finished (200), refused while this client's share ran (429) or cut off by the shutdown
    # (503), both with Retry-After: never a 500
    assert set(statuses) <= {200, 429, 503}, statuses
