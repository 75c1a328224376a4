"""Two apps over one jobs directory, as two uvicorn workers are: the first leads and runs every
job; the second queues, lists, follows and cancels them through the directory
(``app.training.shared``). In one process, so which app answers is certain."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.app.conftest import tiny_model
from tests.app.routes.test_train import JOB, mnist_dir

DEADLINE_S = 60


@pytest.fixture
def pair(tmp_path):
    models = tmp_path / "models"
    (models / ".jobs").mkdir(parents=True)
    tiny_model().save(models / "mnist-cnn.npz")
    settings = Settings(
        models_dir=models,
        data_dir=mnist_dir(tmp_path / "data"),
        training_mode="thread",
        sse_heartbeat_seconds=1,
    )
    with TestClient(create_app(settings)) as leader, TestClient(create_app(settings)) as other:
        assert leader.app.state.jobs.shared.leading
        assert not other.app.state.jobs.shared.leading
        yield leader, other, settings


def events(client: TestClient, job_id: str) -> list[tuple[str, dict]]:
    out, kind = [], None
    deadline = time.monotonic() + DEADLINE_S
    with client.stream("GET", f"/api/train/{job_id}/events") as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            assert time.monotonic() < deadline, out
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                out.append((kind, json.loads(line[6:])))
    return out


def test_a_job_queued_on_the_follower_runs_on_the_leader_and_streams_everywhere(pair):
    leader, other, _ = pair
    r = other.post("/api/train", json={**JOB, "name": "from the follower"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "queued" and job["position"] == 0
    seen = events(other, job["id"])
    kinds = [k for k, _ in seen]
    assert kinds[0] == "state" and kinds[-1] == "end"
    assert "step" in kinds and "epoch" in kinds
    final = seen[-1][1]["job"]
    assert final["state"] == "done", final["message"]
    model_id = final["model_id"]
    for client in (leader, other):  # the model the leader installed is everywhere
        assert client.get(f"/api/models/{model_id}").status_code == 200
        assert client.get(f"/api/train/{job['id']}").json()["state"] == "done"
    assert [j["id"] for j in other.get("/api/train").json()["jobs"]] == [job["id"]]


def test_cancel_and_resume_from_the_follower(pair):
    leader, other, _ = pair
    long_job = {**JOB, "epochs": 50, "limit": 10_000}
    first = other.post("/api/train", json={**long_job, "name": "first"}).json()
    second = leader.post("/api/train", json={**long_job, "name": "second"}).json()
    deadline = time.monotonic() + DEADLINE_S
    while other.get(f"/api/train/{first['id']}").json()["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)  # polling interval, bounded by the deadline
    assert other.get(f"/api/train/{second['id']}").json()["position"] == 0

    r = other.delete(f"/api/train/{second['id']}")  # queued: cancelled by the leader at once
    assert r.status_code == 200 and r.json()["state"] == "cancelled", r.json()
    r = other.delete(f"/api/train/{first['id']}")  # running: it stops after its step
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled" or r.json()["message"].startswith("cancelling")
    assert other.delete(f"/api/train/{second['id']}").status_code == 409
    final = events(other, first["id"])[-1][1]["job"]
    assert final["state"] == "cancelled"
    if final["resumable"]:  # it got through an epoch: resume it, then stop it again
        assert other.post(f"/api/train/{first['id']}/resume").status_code == 202
        assert other.delete(f"/api/train/{first['id']}").status_code == 200


def test_the_follower_takes_over_when_the_leader_stops(tmp_path):
    models = tmp_path / "models"
    (models / ".jobs").mkdir(parents=True)
    settings = Settings(models_dir=models, data_dir=mnist_dir(tmp_path / "data"))
    settings = replace(settings, training_mode="thread")
    first, second = TestClient(create_app(settings)), TestClient(create_app(settings))
    first.__enter__()
    with second:
        assert first.app.state.jobs.shared.leading and not second.app.state.jobs.shared.leading
        first.__exit__(None, None, None)  # the leading worker stops: its lock is released
        deadline = time.monotonic() + 5
        while not second.app.state.jobs.shared.leading:
            assert time.monotonic() < deadline, "nobody took over"
            time.sleep(0.05)  # polling interval, bounded by the deadline
        r = second.post("/api/train", json={**JOB, "epochs": 50, "limit": 10_000})
        assert r.status_code == 202
        job_id = r.json()["id"]
        deadline = time.monotonic() + DEADLINE_S
        while second.get(f"/api/train/{job_id}").json()["state"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)  # polling interval, bounded by the deadline
        assert second.delete(f"/api/train/{job_id}").status_code == 200
