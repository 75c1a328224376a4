"""Job events in the queue's storage: finished jobs' events are pruned, only the
``kept_job_event_logs`` jobs that finished last keeping theirs, while the events of queued and
running jobs, and of a job just finished, stay readable from any process's queue.

Two queue objects over one SQLite file stand for two server processes (the writer, the reader).
"""

from __future__ import annotations

import itertools

import pytest

from app.core.settings import Settings
from app.training.queue import TERMINAL, job_key, make_queue

EVENTS = 4  # per run of a job
clock = itertools.count(1)


def run(queue, job_id: str, state: str) -> dict:
    """A job through one run as a consumer records it: ``EVENTS`` events, the last its state."""
    job = queue.record(job_id) if job_id in ids(queue) else {"id": job_id, "model_id": job_id}
    job.update(state="running", finished=None)
    for n in range(EVENTS - 1):
        queue.save(job, {"event": "step", "n": n})
    job.update(state=state, finished=next(clock) if state in TERMINAL else None)
    queue.save(job, {"event": "end" if state in TERMINAL else "state", "job": dict(job)})
    return job


def ids(queue) -> set[str]:
    return {j["id"] for j in queue.jobs()}


def numbers(queue, job_id: str) -> list[int]:
    return [n for n, _ in queue.events_after(job_id, 0)]


@pytest.fixture
def queues(tmp_path):
    settings = Settings(models_dir=tmp_path / "models", kept_job_event_logs=2)
    return make_queue(settings), make_queue(settings)


def test_only_the_jobs_that_finished_last_keep_their_events(queues):
    writer, reader = queues
    for job_id, state in [("old", "done"), ("older", "cancelled"), ("mid", "failed")]:
        run(writer, job_id, state)
    run(writer, "running", "running")
    run(writer, "queued", "queued")
    run(writer, "last", "done")  # just finished
    assert all(numbers(reader, j) == [1, 2, 3, 4] for j in ids(reader))

    writer.prune()
    kept = {j: numbers(reader, j) for j in ids(reader)}
    assert kept == {
        "old": [],
        "older": [],
        "mid": [1, 2, 3, 4],
        "running": [1, 2, 3, 4],
        "queued": [1, 2, 3, 4],
        "last": [1, 2, 3, 4],
    }
    assert reader.events_after("last", 3)[0][1]["event"] == "end"
    keys = [f"job:old:{n}" for n in range(1, EVENTS + 1)]
    assert reader.storage.peek_many(keys) == {}  # deleted, not just hidden
    assert reader.record("old")["state"] == "done"  # the record stays, the job is listed


def test_a_resumed_job_keeps_its_new_events_and_pruning_catches_up(queues):
    writer, reader = queues
    run(writer, "a", "cancelled")
    run(writer, "b", "done")
    run(writer, "c", "done")
    writer.prune()
    assert numbers(reader, "a") == []
    run(writer, "a", "done")  # resumed, finished last: its second run's events are new ones
    assert reader.events_after("a", 0) == []  # a stream starts from the record's seq
    assert [n for n, _ in reader.events_after("a", 4)] == [5, 6, 7, 8]
    writer.prune()
    assert [n for n, _ in reader.events_after("a", 4)] == [5, 6, 7, 8]
    assert numbers(reader, "b") == [] and numbers(reader, "c") == [1, 2, 3, 4]


def test_a_queue_file_from_before_still_lists_and_streams(queues):
    """Flags and events the earlier store wrote (JSON under ``<id>:...``) are not read as ours."""
    writer, reader = queues
    job = run(writer, "legacy", "done")
    for name, raw in (("beat", b"1764590000.0"), ("filters", b'{"event": "filters"}')):
        writer.storage.put_data(f"legacy:{name}", raw)
    writer.storage.put_data("legacy:5", b'{"event": "step"}')
    assert reader.current(reader.record("legacy")) == job
    assert reader.get(job_key("legacy", "filters"), peek=True) is None
    assert [n for n, _ in reader.events_after("legacy", job["seq"])] == []
