"""The training queue on Redis, as on several machines: two servers (``python -m app`` with
``CNN_EXPLORER_TRAINING_MODE=none``, so neither trains) and one training worker started the way
the README says (``huey_consumer app.training.consumer.huey``), all on one real ``redis-server``
(Debian's, started here on a free loopback port and stopped after). A job queued on one server
is run by the worker and followed to its end on the other; a cancel on either stops it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import httpx
import pytest
import redis

from tests.app.trainset import JOB, ONECYCLE, directories
from tests.live import LiveServer, app_env, follow, free_port

pytestmark = pytest.mark.slow

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
START_TIMEOUT_S = 20


@pytest.fixture
def redis_url(tmp_path):
    if not shutil.which(REDIS):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    cmd = [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)  # polling interval, bounded by the deadline
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_servers_and_a_training_worker_share_one_redis_queue(tmp_path, redis_url):
    models, data = directories(tmp_path)
    env = app_env(models_dir=models, data_dir=data, queue_url=redis_url, log_level="warning")
    web = env | {"CNN_EXPLORER_TRAINING_MODE": "none"}
    worker_cmd = [sys.executable, "-m", "huey.bin.huey_consumer", "app.training.consumer.huey"]
    with (
        LiveServer(tmp_path / "a.log", web) as a,
        LiveServer(tmp_path / "b.log", web) as b,
    ):
        body = {**JOB, **ONECYCLE, "name": "on redis"}  # the options reach the worker's engine
        r = httpx.post(a.url + "/api/train", json=body, timeout=30)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        assert httpx.get(f"{b.url}/api/train/{job_id}").json()["state"] == "queued"  # no worker

        with open(tmp_path / "worker.log", "wb") as out:
            worker = subprocess.Popen(
                [*worker_cmd, "-w", "1", "-g", "TERM", "-t", "8"], env=env, stdout=out, stderr=out
            )
        try:
            seen = follow(b.url, job_id)
            kinds = [kind for kind, _ in seen]
            assert kinds[0] == "state" and kinds[-1] == "end" and "step" in kinds, kinds
            done = seen[-1][1]["job"]
            assert done["state"] == "done", done["message"]
            for server in (a, b):  # the model the worker saved is served by both
                r = httpx.get(f"{server.url}/api/models/{done['model_id']}", timeout=30)
                assert r.status_code == 200 and r.json()["name"] == "on redis"
                config = r.json()["card"]["training"]["config"]
                assert {k: config[k] for k in ONECYCLE} == ONECYCLE

            long = {**JOB, "name": "long", "epochs": 50, "limit": 10_000}
            job_id = httpx.post(a.url + "/api/train", json=long, timeout=30).json()["id"]
            follow(b.url, job_id, lambda kind, data: kind == "step")
            assert httpx.delete(f"{b.url}/api/train/{job_id}", timeout=30).status_code == 200
            final = follow(a.url, job_id)[-1][1]["job"]
            assert final["state"] == "cancelled", final["message"]
        finally:
            worker.terminate()
            worker.wait(timeout=30)

    assert not (models / ".jobs" / "queue.sqlite3").exists()  # the queue was Redis's
    records = redis.Redis.from_url(redis_url).hkeys("huey.results.cnnexplorer_records")
    assert len(records) == 2
