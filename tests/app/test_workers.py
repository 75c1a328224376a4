"""``python -m app`` with two uvicorn workers, for real: both serve; a model imported or deleted
through one is seen by the other; training jobs are one queue (only ``max_running_jobs`` run,
every worker lists, follows and cancels every job); body limits hold on the real server.

The server is a subprocess on a free port over temporary models and data directories
(``tests.live``); every wait has a deadline and the server is stopped at the end. The training
queue is the default SQLite file, its consumer the one ``python -m app`` starts.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.app.trainset import JOB, mnist_dir
from tests.live import LiveServer, app_env
from tests.utils import tiny_model

pytestmark = pytest.mark.slow

DEADLINE_S = 60
MAX_REQUEST_BYTES = 100_000


class Server(LiveServer):
    """``python -m app`` with two uvicorn workers (and its training consumer)."""

    def __init__(self, root: Path):
        self.models = root / "models"
        self.models.mkdir()
        tiny_model().save(self.models / "mnist-cnn.npz")
        env = app_env(
            workers=2,
            models_dir=self.models,
            data_dir=mnist_dir(root / "data"),
            max_running_jobs=1,
            max_request_bytes=MAX_REQUEST_BYTES,
            sse_heartbeat_seconds=1,
            log_level="info",  # the access log says which worker answered
        )
        super().__init__(root / "server.log", env)

    def workers(self) -> list[int]:
        """The worker processes: children of the server whose command line is a spawn."""
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid and b"spawn_main" in cmdline:
                out.append(int(stat.parent.name))
        return out

    def served_by(self, request_ids: set[str]) -> set[int]:
        """The pids of the workers that answered these requests (from the access log)."""
        pids = set()
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("request_id") in request_ids:
                    pids.add(record["pid"])
        return pids


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("workers"))
    try:
        s.wait_until_up(ready=lambda: len(s.workers()) == 2)
        yield s
    finally:
        s.stop()


def fresh(server: Server, method: str, path: str, tag: str, **kwargs) -> httpx.Response:
    """One request on a new connection (so the kernel may hand it to either worker)."""
    headers = {"X-Request-ID": tag, "Connection": "close"}
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kwargs)


def many(server, method, path, n=16, prefix="r", **kwargs) -> tuple[list, set[str]]:
    tags = {f"{prefix}-{i}-{time.monotonic_ns()}" for i in range(n)}
    return [fresh(server, method, path, tag, **kwargs) for tag in sorted(tags)], tags


def on_both_workers(server, method, path, prefix, max_n=100) -> list:
    """Requests on new connections until both workers have answered one (at most ``max_n``:
    which worker accepts a connection is the kernel's choice)."""
    responses, tags = [], set()
    for i in range(max_n):
        tag = f"{prefix}-{i}-{time.monotonic_ns()}"
        tags.add(tag)
        responses.append(fresh(server, method, path, tag))
        if i >= 3 and len(server.served_by(tags)) == 2:
            return responses
    time.sleep(0.5)  # the last access-log line
    assert len(server.served_by(tags)) == 2, f"one worker answered all {max_n} connections"
    return responses


def test_two_workers_serve(server):
    assert len(server.workers()) == 2
    responses = on_both_workers(server, "GET", "/api/health", "health")
    assert all(r.status_code == 200 for r in responses)
    assert all(r.json()["models"] == ["mnist-cnn"] for r in responses)


def test_an_imported_then_deleted_model_is_seen_by_every_worker(server):
    path = server.models.parent / "upload.npz"
    tiny_model().save(path)  # a CNN Explorer model file: its architecture is inside
    r = fresh(
        server,
        "POST",
        "/api/models/import",
        "import",
        files={"weights": ("upload.npz", path.read_bytes())},
        data={"name": "Shared model"},
    )
    assert r.status_code == 201, r.text
    model_id = r.json()["id"]
    responses = on_both_workers(server, "GET", f"/api/models/{model_id}", "get")
    assert [r.status_code for r in responses] == [200] * len(responses)  # both workers had it

    assert fresh(server, "DELETE", f"/api/models/{model_id}", "delete").status_code == 204
    responses = on_both_workers(server, "GET", f"/api/models/{model_id}", "gone")
    assert [r.status_code for r in responses] == [404] * len(responses)
    prediction = fresh(
        server,
        "POST",
        "/api/models/mnist-cnn/predict",
        "predict",
        json={"pixels": [[0.0] * 28] * 28},
    )
    assert prediction.status_code == 200


def _events(server: Server, job_id: str, out: list, tag: str) -> None:
    """Follow the job's stream to its end (or the deadline), keeping the event kinds."""
    try:
        headers = {"X-Request-ID": tag, "Connection": "close"}
        url = f"{server.url}/api/train/{job_id}/events"
        with httpx.stream("GET", url, headers=headers, timeout=10) as r:
            deadline = time.monotonic() + DEADLINE_S
            for line in r.iter_lines():
                if line.startswith("event: "):
                    out.append(line[7:])
                if out[-1:] == ["end"] or time.monotonic() > deadline:
                    return
    except httpx.HTTPError as e:
        out.append(f"error: {e}")


def test_one_training_queue_across_workers(server):
    long_job = {**JOB, "epochs": 50, "limit": 10_000}  # cancelled long before it would end
    ids = []
    for i in range(3):
        r = fresh(server, "POST", "/api/train", f"start-{i}", json={**long_job, "name": f"j{i}"})
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])

    # every worker lists every job, and never more than one runs
    deadline = time.monotonic() + DEADLINE_S
    seen_running = set()
    while time.monotonic() < deadline and not seen_running:
        for r in many(server, "GET", "/api/train", n=4, prefix="list")[0]:
            jobs = {j["id"]: j for j in r.json()["jobs"]}
            assert set(ids) <= set(jobs)
            running = [i for i in ids if jobs[i]["state"] == "running"]
            assert len(running) <= 1, running
            seen_running |= set(running)
        time.sleep(0.2)  # polling interval, bounded by the deadline
    assert seen_running, "no job started"
    for i in range(6):
        states = [j["state"] for j in fresh(server, "GET", "/api/train", f"l{i}").json()["jobs"]]
        assert states.count("running") == 1 and states.count("queued") == 2, states
        for job_id in ids:
            assert fresh(server, "GET", f"/api/train/{job_id}", f"g{i}").status_code == 200

    # streams on either worker follow the running job to its end
    running_id = seen_running.pop()
    streams = [[] for _ in range(4)]
    threads = [
        threading.Thread(target=_events, args=(server, running_id, out, f"sse-{n}"))
        for n, out in enumerate(streams)
    ]
    for t in threads:
        t.start()
    time.sleep(2)  # let the streams open and see some progress
    for n, job_id in enumerate(ids):
        r = fresh(server, "DELETE", f"/api/train/{job_id}", f"cancel-{n}")
        assert r.status_code in (200, 409), r.text
    for t in threads:
        t.join(timeout=DEADLINE_S)
    for out in streams:
        assert out[:1] == ["state"] and out[-1] == "end", out

    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        states = {
            j["id"]: j["state"] for j in fresh(server, "GET", "/api/train", "x").json()["jobs"]
        }
        if all(states[i] == "cancelled" for i in ids):
            break
        time.sleep(0.2)  # polling interval, bounded by the deadline
    assert [states[i] for i in ids] == ["cancelled"] * 3


def _raw(server: Server, head: bytes, body_chunks=()) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head)
        try:
            for chunk in body_chunks:
                s.sendall(chunk)
        except OSError:  # the server refused and closed before the body was all sent
            pass
        data = b""
        while b"\r\n\r\n" not in data:
            part = s.recv(65536)
            if not part:
                break
            data += part
        return data


def test_body_limits_hold_on_the_real_server(server):
    declared = (
        b"POST /api/models/mnist-cnn/predict HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
    )
    t0 = time.monotonic()
    assert _raw(server, declared).startswith(b"HTTP/1.1 413")
    assert time.monotonic() - t0 < 5  # refused on the header, not after a gigabyte

    chunk = b"[" + b"0," * 4000 + b"0],"
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(40)] + [b"0\r\n\r\n"]
    chunked = (
        b"POST /api/models/mnist-cnn/predict HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert _raw(server, chunked, chunks).startswith(b"HTTP/1.1 413")
