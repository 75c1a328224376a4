"""SIGTERM stops ``python -m app`` well within Docker's 10 s grace, even with a training job
running and event streams open; the job is left checkpointed, recorded as interrupted, and a
restarted server resumes it from the epoch after its checkpoint to the end.

Real processes (``tests.live``) over temporary directories; every wait has a deadline.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.app.trainset import JOB, directories
from tests.live import LiveServer, app_env, follow

pytestmark = pytest.mark.slow

EPOCHS = 5  # SIGTERM comes early in epoch 2: far from the end however fast the machine is
GRACE_S = 10.0  # Docker's default between SIGTERM and SIGKILL


def consumers_of(server: LiveServer) -> list[int]:
    """The training consumer processes the server started."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == server.proc.pid and b"app.training.consumer" in cmdline:
            pids.append(int(stat.parent.name))
    return pids


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_with_a_job_running_then_resume_after_the_restart(tmp_path, workers):
    models, data = directories(tmp_path)
    env = app_env(
        models_dir=models,
        data_dir=data,
        workers=workers,
        sse_heartbeat_seconds=1,
        log_level="warning",
    )
    job = {**JOB, "name": "long one", "epochs": EPOCHS, "limit": 4000, "batch_size": 16}

    with LiveServer(tmp_path / "first.log", env) as server:
        (consumer,) = consumers_of(server)
        r = httpx.post(server.url + "/api/train", json=job, timeout=30)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        after_epoch_1 = follow(server.url, job_id, lambda kind, data: kind == "epoch")
        assert after_epoch_1[-1][1]["epoch"] == 1, after_epoch_1[-3:]
        assert (models / ".jobs" / f"{job_id}.ckpt.npz").is_file()
        streams = [[] for _ in range(2)]  # open streams: slow requests the server must end
        threads = [threading.Thread(target=follow, args=(server.url, job_id), kwargs={"out": s})
                   for s in streams]  # fmt: skip
        for t in threads:
            t.start()
        follow(server.url, job_id, lambda kind, data: kind == "step")  # epoch 2 is under way
        seconds = server.stop()  # the job stops within a step of the signal reaching it
        assert seconds <= GRACE_S, f"SIGTERM took {seconds:.1f} s:\n{server.output()}"
        assert not Path(f"/proc/{consumer}").exists(), "the training consumer outlived the server"
        for t in threads:
            t.join(timeout=30)
        assert all(s and s[-1][0] in ("end", "closed") for s in streams), streams

    with LiveServer(tmp_path / "second.log", env) as server:
        record = httpx.get(f"{server.url}/api/train/{job_id}", timeout=30).json()
        assert record["state"] == "failed" and record["resumable"], record["message"]
        done_before = record["epochs_done"]  # 1, unless the signal came late in epoch 2
        assert 1 <= done_before < EPOCHS, record
        assert record["message"].startswith(
            f"the server stopped during epoch {done_before + 1}; the checkpoint after epoch "
            f"{done_before} is at"
        ), record["message"]
        r = httpx.post(f"{server.url}/api/train/{job_id}/resume", timeout=30)
        assert r.status_code == 202, r.text
        seen = follow(server.url, job_id)
        assert seen[-1][0] == "end", seen[-1]
        trained = [data["epoch"] for kind, data in seen if kind == "epoch"]
        assert trained == list(range(done_before + 1, EPOCHS + 1))  # only what the stop lost
        done = seen[-1][1]["job"]
        assert done["state"] == "done", done["message"]
        assert [h["epoch"] for h in done["history"]] == list(range(1, EPOCHS + 1))
        card = httpx.get(f"{server.url}/api/models/{done['model_id']}", timeout=30).json()["card"]
        assert card["training"]["epochs_done"] == EPOCHS
        assert [h["epoch"] for h in card["training"]["history"]] == list(range(1, EPOCHS + 1))
