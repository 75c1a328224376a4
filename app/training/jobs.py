"""The web side of training: queue, list, cancel, resume and follow jobs. Every server process
(uvicorn worker, on any machine sharing the queue) does all of it through the job store.

A job is a record plus a huey task (:func:`app.training.runner.run_job`) that a consumer runs:
the one ``python -m app`` starts (``training_mode = "process"``), the app's own (``"thread"``,
for tests and ``uvicorn app.main:app``), or consumers elsewhere (``"none"``). Huey queues the
tasks, gives each to one consumer worker, and drops a cancelled one before it starts; a running
job is cancelled cooperatively, through its flag.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator

from app.settings import Settings
from app.training.runner import make_queue
from app.training.schemas import Job
from app.training.store import TERMINAL, interrupted, jobs_dir, make_consumer

JOB_ID_PATTERN = r"^[0-9a-f]{12}$"
ACTIVE = ("queued", "running")
POLL_SECONDS = 0.2  # how often an event stream looks for new events


class QueueFull(RuntimeError):
    pass


class JobStateError(RuntimeError):
    """The job is not in a state that allows what was asked."""


class JobManager:
    def __init__(self, settings: Settings):
        if settings.training_mode not in ("process", "thread", "none"):
            raise ValueError(
                "CNN_EXPLORER_TRAINING_MODE must be 'process', 'thread' or 'none', "
                f"got {settings.training_mode!r}"
            )
        self.settings = settings
        self._huey = self._consumer = None

    @property
    def huey(self):
        if self._huey is None:  # on first use: a refused request creates no files
            self._huey = make_queue(self.settings)
        return self._huey

    @property
    def store(self):
        return self.huey.jobs

    def start(self) -> None:
        if self.settings.training_mode == "thread":
            self._consumer = make_consumer(self.huey, self.settings)
            self._consumer.scheduler.start()  # not .start(): the signals stay the server's
            for _, worker in self._consumer.worker_threads:
                worker.start()

    def shutdown(self) -> None:
        """Stop the in-process consumer: its running jobs stop, checkpointed and resumable."""
        if self._consumer is not None:
            self._consumer.stop(graceful=True)

    def create(self, request: dict, planned_model_id: str) -> dict:
        """Queue a job for ``request`` (a validated ``TrainRequest`` as a dict)."""
        waiting = sum(1 for j in self.store.all() if j["state"] == "queued")
        if waiting >= self.settings.max_queued_jobs:
            raise QueueFull(
                f"{waiting} jobs are already waiting, the limit max_queued_jobs = "
                f"{self.settings.max_queued_jobs}; cancel one or wait"
            )
        job_id = secrets.token_hex(6)
        checkpoint = str(jobs_dir(self.settings) / f"{job_id}.ckpt.npz")
        job = Job(
            id=job_id,
            name=request["name"],
            state="queued",
            model_id=planned_model_id,
            request=request,
            created=time.time(),
            epochs=request["epochs"],
            checkpoint=checkpoint,
        )
        return self._enqueue(job.model_dump())

    def _enqueue(self, job: dict) -> dict:
        job["runs"] = job.get("runs", 0) + 1
        job["task"] = f"{job['id']}-{job['runs']}"
        self.store.emit(job, {"event": "state", "job": job})
        self.store.put(job)
        self.huey.enqueue(self.huey.train.s(job["id"], id=job["task"]))
        return self._snapshot(job)

    def planned_ids(self) -> set[str]:
        """Model ids that queued and running jobs mean to install."""
        return {j["model_id"] for j in self.store.all() if j["state"] in ACTIVE}

    def get(self, job_id: str) -> dict:
        """The job's record as it is now (``KeyError`` if there is none)."""
        return self._snapshot(self._current(self.store.get(job_id)))

    def list(self) -> list[dict]:
        jobs = sorted(self.store.all(), key=lambda j: j["created"], reverse=True)
        return [self._snapshot(self._current(j)) for j in jobs]

    def cancel(self, job_id: str) -> dict:
        """Cancel a queued job at once, or ask a running one to stop (it stops within a step)."""
        job = self._current(self.store.get(job_id))
        if job["state"] in TERMINAL:
            raise JobStateError(f"job {job_id} is already {job['state']}")
        self.store.flag(job_id, "cancel")
        if job["state"] == "running":
            job["message"] = "cancelling: the job stops after the current step"
            self.store.emit(job, {"event": "state", "job": self._snapshot(job)})
            return self._snapshot(job)
        self.huey.revoke_by_id(job["task"], revoke_once=True)
        job.update(state="cancelled", message="cancelled before it started", finished=time.time())
        self.store.emit(job, {"event": "end", "job": job})
        self.store.put(job)
        return self._snapshot(job)

    def resume(self, job_id: str) -> dict:
        """Queue a failed or cancelled job again; it continues from its last checkpoint."""
        job = self._current(self.store.get(job_id))
        if job["state"] not in ("failed", "cancelled") or not job.get("resumable"):
            raise JobStateError(
                f"job {job_id} is {job['state']}; only a failed or cancelled job that "
                "was interrupted can be resumed"
            )
        self.store.flag(job_id, "cancel", None)
        message = f"resuming after epoch {job.get('epochs_done', 0)}"
        job.update(state="queued", message=message, resume=True, resumable=False, finished=None)
        return self._enqueue(job)

    def _current(self, job: dict) -> dict:
        """``job``; if its runner died (no heartbeat), recorded as interrupted first."""
        if self.store.stale(job):
            job = interrupted(job)
            self.store.emit(job, {"event": "end", "job": job})
            self.store.put(job)
        return job

    def _snapshot(self, job: dict) -> dict:
        job = dict(job, position=None)
        if job["state"] == "queued":
            waiting = [t.id for t in self.huey.pending() if not self.huey.is_revoked(t)]
            job["position"] = waiting.index(job["task"]) if job["task"] in waiting else 0
        if job["state"] == "running" and job.get("started"):
            job["elapsed"] = time.time() - job["started"]
        return job

    async def follow(self, job_id: str, heartbeat: float) -> AsyncIterator[dict | None]:
        """The job's events: its state now (and latest filters), then each event as it comes,
        to its ``end``; ``None`` after ``heartbeat`` seconds without one."""
        job = await asyncio.to_thread(self.get, job_id)
        yield {"event": "state", "job": job}
        filters = await asyncio.to_thread(self.store.read_flag, job_id, "filters")
        if filters:
            yield json.loads(filters)
        seq, quiet, looked = job.get("seq", 0), time.monotonic(), time.monotonic()
        while True:
            events = await asyncio.to_thread(self.store.events_after, job_id, seq)
            for seq, event in events:  # noqa: B007 - seq: where the next look starts
                yield event
                if event["event"] == "end":
                    return
            if events:
                quiet = time.monotonic()
                continue
            if job["state"] in TERMINAL:  # it ended before this stream's first look
                yield {"event": "end", "job": self._snapshot(job)}
                return
            if time.monotonic() - looked > 1.0:  # a job whose runner died ends here
                looked = time.monotonic()
                job = await asyncio.to_thread(lambda: self._current(self.store.get(job_id)))
            if time.monotonic() - quiet > heartbeat:
                quiet = time.monotonic()
                yield None
            await asyncio.sleep(POLL_SECONDS)
