"""The web side of training: queue, list, cancel, resume and follow jobs; every server process
(uvicorn worker, on any machine sharing the queue) does all of it through the job store.

A job is a record plus a huey task (``train``, :func:`app.training.runner.run_job`) that a
consumer runs: the one ``python -m app`` starts (``training_mode = "process"``), the app's own
(``"thread"``: in this process, for tests and ``uvicorn app.main:app``), or consumers elsewhere
(``"none"``; README, "Training on other machines"). Huey queues the tasks, hands each to one
consumer worker (so at most a consumer's worker count run at once), and revokes a cancelled one
before it starts; a running job is cancelled cooperatively through its flag.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator

from huey.consumer import Consumer

from app.registry import ModelRegistry
from app.settings import Settings
from app.training.runner import run_job
from app.training.store import TERMINAL, JobsHuey, interrupted, jobs_dir, make_huey

JOB_ID_PATTERN = r"^[0-9a-f]{12}$"
ACTIVE = ("queued", "running")
POLL_SECONDS = 0.2  # how often an event stream looks for new events
SHUTDOWN_SECONDS = 8.0  # a consumer waits this long for its jobs to stop (Docker allows 10)
CONSUMER_OPTIONS = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 0.5}


class QueueFull(RuntimeError):
    pass


class JobStateError(RuntimeError):
    """The job is not in a state that allows what was asked."""


def make_queue(settings: Settings) -> JobsHuey:
    """The queue with its one task registered (what every consumer and server process uses)."""
    huey = make_huey(settings)

    @huey.task(name="train")
    def train(job_id: str) -> None:
        run_job(settings, huey.jobs, job_id, huey.stopping)

    huey.train = train
    return huey


class _InProcessConsumer(Consumer):
    """A consumer started by the app's lifespan (a thread): signals stay the server's."""

    def _set_signal_handlers(self) -> None:
        pass


class JobManager:
    def __init__(self, settings: Settings, registry: ModelRegistry):
        if settings.training_mode not in ("process", "thread", "none"):
            raise ValueError(
                "CNN_EXPLORER_TRAINING_MODE must be 'process', 'thread' or 'none', "
                f"got {settings.training_mode!r}"
            )
        self.settings, self.registry = settings, registry
        self._huey: JobsHuey | None = None
        self._consumer: Consumer | None = None

    @property
    def huey(self) -> JobsHuey:
        if self._huey is None:  # on first use: a refused request creates no files
            self._huey = make_queue(self.settings)
        return self._huey

    @property
    def store(self):
        return self.huey.jobs

    def start(self) -> None:
        if self.settings.training_mode == "thread":
            self._consumer = _InProcessConsumer(
                self.huey,
                workers=self.settings.max_running_jobs,
                shutdown_timeout=SHUTDOWN_SECONDS,
                **CONSUMER_OPTIONS,
            )
            self.huey.stopping = self._consumer.stop_flag
            self._consumer.start()

    def shutdown(self) -> None:
        """Stop the in-process consumer: its running jobs stop, checkpointed and resumable."""
        if self._consumer is not None:
            self._consumer.stop(graceful=True)

    # -- requests ----------------------------------------------------------------------------

    def create(self, request: dict, planned_model_id: str) -> dict:
        """Queue a job for ``request`` (a validated ``TrainRequest`` as a dict)."""
        waiting = sum(1 for j in self.store.all() if j["state"] == "queued")
        if waiting >= self.settings.max_queued_jobs:
            raise QueueFull(
                f"{waiting} jobs are already waiting, the limit max_queued_jobs = "
                f"{self.settings.max_queued_jobs}; cancel one or wait"
            )
        job_id = secrets.token_hex(6)
        job = {
            "id": job_id,
            "name": request["name"],
            "state": "queued",
            "message": None,
            "model_id": planned_model_id,
            "request": request,
            "created": time.time(),
            "started": None,
            "finished": None,
            "epoch": 0,
            "epochs": request["epochs"],
            "step": 0,
            "steps": 0,
            "progress": 0.0,
            "loss": None,
            "accuracy": None,
            "elapsed": 0.0,
            "eta": None,
            "history": [],
            "steps_history": [],
            "test_accuracy": None,
            "train_images": None,
            "checkpoint": str(jobs_dir(self.settings) / f"{job_id}.ckpt.npz"),
            "epochs_done": 0,
            "resumable": False,
            "runs": 0,
        }
        return self._enqueue(job, "state")

    def _enqueue(self, job: dict, kind: str) -> dict:
        job["runs"] = job.get("runs", 0) + 1
        job["task"] = f"{job['id']}-{job['runs']}"
        self.store.emit(job, {"event": kind, "job": job})
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
        if job["state"] == "queued":
            self.huey.revoke_by_id(job["task"], revoke_once=True)
            job.update(state="cancelled", message="cancelled before it started")
            job.update(finished=time.time(), eta=None)
            self.store.emit(job, {"event": "end", "job": job})
            self.store.put(job)
            return self._snapshot(job)
        job["message"] = "cancelling: the job stops after the current step"
        self.store.emit(job, {"event": "state", "job": self._snapshot(job)})
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
        job.update(state="queued", message=message, resume=True, finished=None, eta=None)
        job["resumable"] = False
        return self._enqueue(job, "state")

    # -- what the records say now ------------------------------------------------------------

    def _current(self, job: dict) -> dict:
        """``job``; if its runner died (no heartbeat), recorded as interrupted first."""
        if self.store.stale(job):
            job = interrupted(job)
            self.store.emit(job, {"event": "end", "job": job})
            self.store.put(job)
        return job

    def _snapshot(self, job: dict) -> dict:
        job = dict(job)
        job["position"] = None
        if job["state"] == "queued":
            waiting = [t.id for t in self.huey.pending() if not self.huey.is_revoked(t)]
            job["position"] = waiting.index(job["task"]) if job.get("task") in waiting else 0
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
        while job["state"] not in TERMINAL:
            events = await asyncio.to_thread(self.store.events_after, job_id, seq)
            for seq, event in events:
                yield event
                if event["event"] == "end":
                    return
            if events:
                quiet = time.monotonic()
                continue
            if time.monotonic() - looked > 1.0:  # a job whose runner died ends here
                looked = time.monotonic()
                job = await asyncio.to_thread(lambda: self._current(self.store.get(job_id)))
            if time.monotonic() - quiet > heartbeat:
                quiet = time.monotonic()
                yield None
            await asyncio.sleep(POLL_SECONDS)
        for seq, event in await asyncio.to_thread(self.store.events_after, job_id, seq):
            yield event
            if event["event"] == "end":
                return
        yield {"event": "end", "job": self._snapshot(job)}
