"""A job that nobody runs says so, and with the default settings somebody runs it, however the
app is started: ``uvicorn app.main:app`` (one worker or two), ``python -m app`` (one worker or
two) — always exactly one training worker, never none and never two.
"""

from __future__ import annotations

import sys

import httpx
import pytest

from app.core.settings import Settings
from app.training import workers as workers_module
from app.training.jobs import JobManager
from app.training.workers import NO_WORKER, Heartbeats
from tests.app.trainset import JOB, directories
from tests.live import LiveServer, app_env, follow


@pytest.fixture
def queue_settings(tmp_path) -> Settings:
    models, data = directories(tmp_path)
    return Settings(models_dir=models, data_dir=data, sse_heartbeat_seconds=1)


def test_a_job_with_no_worker_says_so_and_how_to_start_one(queue_settings, make_client):
    client = make_client(**{**vars(queue_settings), "training_mode": "none"})
    assert client.get("/api/train/workers").json() == {"workers": []}
    r = client.post("/api/train", json=JOB)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "queued" and job["workers"] == 0
    assert job["message"] == NO_WORKER
    assert "python -m app.training.consumer" in job["message"]
    listed = client.get("/api/train").json()["jobs"][0]
    assert listed["message"] == NO_WORKER and listed["workers"] == 0
    with client.stream("GET", f"/api/train/{job['id']}/events") as events:
        first = next(line for line in events.iter_lines() if line.startswith("data: "))
    assert NO_WORKER in first


def test_auto_starts_one_worker_in_the_app_and_the_job_runs(queue_settings, make_client):
    client = make_client(**{**vars(queue_settings), "training_mode": "auto"})
    job = client.post("/api/train", json=JOB).json()
    with client.stream("GET", f"/api/train/{job['id']}/events") as events:
        ends = [line for line in events.iter_lines() if line.startswith("event: end")]
    assert ends, "the stream ended without an end event"
    done = client.get(f"/api/train/{job['id']}").json()
    assert done["state"] == "done", done["message"]
    (worker,) = client.get("/api/train/workers").json()["workers"]
    assert worker["kind"] == "thread"


def test_of_two_servers_in_auto_mode_only_one_starts_a_worker(queue_settings):
    auto = queue_settings.model_copy(update={"training_mode": "auto"})
    first, second = JobManager(auto), JobManager(auto)
    try:
        assert len(first.workers()) == 1 and first._consumer is not None
        assert len(second.workers()) == 1 and second._consumer is None  # sees the first's
    finally:
        first.shutdown()


def test_a_stale_heartbeat_is_no_worker(queue_settings, monkeypatch):
    huey = JobManager(queue_settings).huey
    beats = Heartbeats(huey.heartbeats.storage)
    beats.beat("host:1:consumer:abc")
    assert [w["pid"] for w in beats.live()] == [1]
    now = workers_module.time.time()
    monkeypatch.setattr(workers_module.time, "time", lambda: now + workers_module.STALE_SECONDS + 1)
    assert beats.live() == []


def live_workers(server: LiveServer) -> list[dict]:
    return httpx.get(f"{server.url}/api/train/workers", timeout=30).json()["workers"]


def run_one_job(server: LiveServer) -> dict:
    r = httpx.post(f"{server.url}/api/train", json=JOB, timeout=30)
    assert r.status_code == 202, r.text
    seen = follow(server.url, r.json()["id"])
    assert seen[-1][0] == "end", seen[-3:]
    return seen[-1][1]["job"]


UVICORN = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]


@pytest.mark.slow
@pytest.mark.parametrize(("how", "workers"), [("uvicorn", 1), ("uvicorn", 2), ("python -m app", 2)])
def test_default_settings_run_jobs_however_the_app_is_started(tmp_path, how, workers):
    models, data = directories(tmp_path)
    env = app_env(models_dir=models, data_dir=data, workers=workers, log_level="warning")
    cmd = [*UVICORN, "--workers", str(workers), "--port", "{port}"] if how == "uvicorn" else None
    server = LiveServer(tmp_path / "server.log", env, cmd)
    with server:
        done = run_one_job(server)
        assert done["state"] == "done", done["message"]
        live = live_workers(server)
        assert len(live) == 1, live  # one worker: never none, never one per server process
        assert live[0]["kind"] == ("thread" if how == "uvicorn" else "consumer"), live
