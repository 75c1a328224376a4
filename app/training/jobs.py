"""The web side of training: queue, list, cancel, resume and follow jobs, which every server
process (uvicorn worker, on any machine sharing the queue) does through the queue's storage.
A job is a record plus a huey task (:func:`app.training.queue.run_job`) that a consumer runs:
the one ``python -m app`` starts (``training_mode = "auto"`` or ``"process"``), the app's own
(``"auto"`` when no consumer is alive, e.g. under ``uvicorn app.main:app``; ``"thread"``), or
consumers elsewhere (``"none"``). A queued job with no live consumer says so
(``app.training.workers.NO_WORKER``) in its record and its event stream.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator
from functools import cached_property

from fastapi import HTTPException

from app.core.settings import Settings
from app.training.queue import TERMINAL, JobsHuey, job_key, make_queue
from app.training.schemas import Job
from app.training.workers import BEAT_SECONDS, NO_WORKER, consumer_id, elect

JOB_ID_PATTERN = r"^[0-9a-f]{12}$"
POLL_SECONDS = 0.2  # how often an event stream looks for new events
CLIENT_RETRY_SECONDS = 30  # a client past its share of the queue may ask again after this


class JobManager:
    def __init__(self, settings: Settings):
        self.settings, self._consumer = settings, None
        self._lock, self._next_look = threading.Lock(), 0.0

    @cached_property
    def huey(self) -> JobsHuey:
        """The queue, made on first use: a refused request creates no files."""
        return make_queue(self.settings)

    def start(self) -> None:
        if self.settings.training_mode == "thread":
            self._start_consumer()

    def _start_consumer(self) -> None:
        """A consumer in this process, in threads (the signals stay the server's)."""
        self.huey.consumer_kind = "thread"
        self._consumer = self.huey.create_consumer()
        self._consumer.scheduler.start()  # not .start(), which would take the signals
        for _, worker in self._consumer.worker_threads:
            worker.start()

    def workers(self) -> list[dict]:
        """The consumers alive now (any process or machine sharing the queue); in ``auto``
        mode this process starts one first if there is none (one process wins the election)."""
        if self.settings.training_mode == "auto" and self._consumer is None:
            with self._lock:
                if self._consumer is None and time.monotonic() >= self._next_look:
                    self._next_look = time.monotonic() + BEAT_SECONDS
                    live = self.huey.heartbeats.live()
                    if live or not elect(self.huey.storage, consumer_id("server")):
                        return live
                    self._start_consumer()
        return self.huey.heartbeats.live()

    def shutdown(self) -> None:
        """Stop the in-process consumer: its running jobs stop, checkpointed and resumable."""
        if self._consumer is not None:
            self._consumer.stop(graceful=True)

    def create(self, request: dict, planned_model_id: str, client: str = "") -> dict:
        """Queue a job for ``request`` (a validated ``TrainRequest`` as a dict) from ``client``
        (a digest of its address): 429 past its share, 409 when the queue is full."""
        jobs = self.huey.jobs()
        share = self.settings.max_jobs_per_client
        if (
            sum(1 for j in jobs if j.get("client") == client and j["state"] not in TERMINAL)
            >= share
        ):
            raise HTTPException(
                429,
                f"queue: you already have {share} jobs queued or running, the share of one "
                f"client (max_jobs_per_client = {share}); wait for one to end or cancel it",
                headers={"Retry-After": str(CLIENT_RETRY_SECONDS)},
            )
        waiting = sum(1 for j in jobs if j["state"] == "queued")
        if waiting >= self.settings.max_queued_jobs:
            raise HTTPException(
                409,
                f"queue: {waiting} jobs are already waiting, the limit max_queued_jobs = "
                f"{self.settings.max_queued_jobs}; cancel one or wait",
            )
        job = Job(
            id=secrets.token_hex(6),
            name=request["name"],
            state="queued",
            model_id=planned_model_id,
            client=client,
            request=request,
            created=time.time(),
            epochs=request["epochs"],
        )
        return self._enqueue(job.model_dump())

    def _enqueue(self, job: dict) -> dict:
        task = self.huey.train.s(job["id"])  # a new task (and task id) for every run
        job["task"] = task.id
        self.huey.save(job, {"event": "state", "job": job})
        self.huey.enqueue(task)
        return self._snapshot(job)

    def get(self, job_id: str) -> dict:
        """The job's record as it is now (``KeyError`` if there is none)."""
        return self._snapshot(self.huey.current(self.huey.record(job_id)))

    def list(self) -> list[dict]:
        jobs = sorted(self.huey.jobs(), key=lambda j: j["created"], reverse=True)
        workers = len(self.workers())
        return [self._snapshot(self.huey.current(j), workers) for j in jobs]

    def cancel(self, job_id: str) -> dict:
        """Cancel a queued job at once, or ask a running one to stop (it stops within a step)."""
        job = self.huey.current(self.huey.record(job_id))
        if job["state"] in TERMINAL:
            raise HTTPException(409, f"job_id: job {job_id} is already {job['state']}")
        self.huey.revoke_by_id(job["task"], revoke_once=True)
        if job["state"] == "running":
            job["message"] = "cancelling: the job stops after the current step"
            self.huey.emit(job, {"event": "state", "job": self._snapshot(job)})
            return self._snapshot(job)
        job.update(state="cancelled", message="cancelled before it started", finished=time.time())
        self.huey.save(job, {"event": "end", "job": job})
        return self._snapshot(job)

    def resume(self, job_id: str) -> dict:
        """Queue a failed or cancelled job again; it continues from its last checkpoint."""
        job = self.huey.current(self.huey.record(job_id))
        if job["state"] not in ("failed", "cancelled") or not job.get("resumable"):
            raise HTTPException(
                409,
                f"job_id: job {job_id} is {job['state']}; only a failed or cancelled job that "
                "was interrupted can be resumed",
            )
        message = f"resuming after epoch {job.get('epochs_done', 0)}"
        job.update(state="queued", message=message, resume=True, resumable=False, finished=None)
        return self._enqueue(job)

    def _snapshot(self, job: dict, workers: int | None = None) -> dict:
        """The record as the API gives it: with its place in the queue, and, while it waits,
        how many training workers are alive (none: the message says how to start one)."""
        job = dict(job, position=None, workers=None)
        if job["state"] == "queued":
            waiting = [t.id for t in self.huey.pending() if not self.huey.is_revoked(t)]
            job["position"] = waiting.index(job["task"]) if job["task"] in waiting else 0
            job["workers"] = len(self.workers()) if workers is None else workers
            if not job["workers"]:
                job["message"] = f"{job['message']}; {NO_WORKER}" if job["message"] else NO_WORKER
        if job["state"] == "running" and job.get("started"):
            job["elapsed"] = time.time() - job["started"]
        return job

    async def follow(self, job_id: str, heartbeat: float) -> AsyncIterator[dict | None]:
        """The job's events: its state now (and latest filters), then each event as it comes,
        to its ``end``; ``None`` after ``heartbeat`` seconds without one."""
        job = await asyncio.to_thread(self.get, job_id)
        yield {"event": "state", "job": job}
        filters = await asyncio.to_thread(self.huey.get, job_key(job_id, "filters"), True)
        if filters:
            yield filters
        seq, quiet = job.get("seq", 0), time.monotonic()
        while True:
            events = await asyncio.to_thread(self.huey.events_after, job_id, seq)
            for seq, event in events:  # noqa: B007 - seq: where the next look starts
                yield event
                if event["event"] == "end":
                    return
            if events:
                quiet = time.monotonic()
                continue
            if job["state"] in TERMINAL:  # it ended before this stream's look (or was pruned)
                yield {"event": "end", "job": self._snapshot(job)}
                return
            if time.monotonic() - quiet > heartbeat:
                quiet, before = time.monotonic(), job.get("workers")
                job = await asyncio.to_thread(self.get, job_id)  # a dead runner's job ends here
                if job["state"] == "queued" and bool(job["workers"]) != bool(before):
                    yield {"event": "state", "job": job}  # a worker came, or went
                else:
                    yield None
            await asyncio.sleep(POLL_SECONDS)
