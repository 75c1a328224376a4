"""The training queue: job records, runners, progress fan-out, and recovery after a restart.

A job is queued, then run — at most ``max_running_jobs`` at once — by a supervisor thread that
starts the work in a child process (``training_mode = "process"``, the default: training's
Python glue never holds the server's GIL) or runs it in the thread itself (``"thread"``). The
supervisor turns the worker's events into the job's record and publishes them to subscribers
(the Server-Sent Events streams). A finished model is installed in the models directory and the
registry, so it appears in ``/api/models`` at once.

Each record is ``<jobs_dir>/<job_id>.json`` (``jobs_dir`` defaults to ``<models_dir>/.jobs``),
rewritten atomically when the state changes and after every epoch; the engine checkpoints the
model after every epoch to ``<jobs_dir>/<job_id>.ckpt.npz``. A server stopped mid-training
therefore loses at most the epoch in progress: on start-up a job left ``running`` is marked
``failed`` with a message saying which epoch was lost and where the checkpoint is, and
``resume`` continues from it.

With several server processes (uvicorn workers), one of them leads and runs every job; the
others queue, cancel, resume and follow jobs through the jobs directory (``app.training.shared``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import math
import multiprocessing
import os
import queue
import secrets
import threading
import time
from collections import deque
from pathlib import Path

from app import model_store
from app.registry import ModelRegistry
from app.settings import Settings
from app.training import worker
from app.training.shared import PROGRESS_SECONDS, Coordinator, write_quick
from engine.io import atomic_write_bytes
from engine.model import Sequential

log = logging.getLogger("cnn_explorer.training")

ACTIVE = ("queued", "running")
TERMINAL = ("done", "failed", "cancelled")
JOB_ID_PATTERN = r"^[0-9a-f]{12}$"
POLL_SECONDS = 0.25  # how often a supervisor checks a silent child process is still alive
KILL_AFTER_SECONDS = 20.0  # a cancelled child that has not stopped by then is terminated
MAX_STEP_POINTS = 5000  # loss/accuracy points kept per job for the charts


class QueueFull(RuntimeError):
    pass


class JobStateError(RuntimeError):
    """The job is not in a state that allows what was asked."""


def _finite(v):
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def _check_resumable(job: dict) -> None:
    if job["state"] not in ("failed", "cancelled") or not job.get("resumable"):
        raise JobStateError(
            f"job {job['id']} is {job['state']}; only a failed or cancelled job that "
            "was interrupted can be resumed"
        )


class _Live:
    """What a job has while the server runs it: its stop switch, process, latest filters."""

    def __init__(self):
        self.stop: threading.Event | None = None  # or a multiprocessing Event
        self.cancel_requested: float | None = None
        self.process = None
        self.thread: threading.Thread | None = None
        self.filters: dict | None = None
        self.finished = False


class JobManager:
    def __init__(self, settings: Settings, registry: ModelRegistry):
        if settings.training_mode not in ("process", "thread"):
            raise ValueError(
                "CNN_EXPLORER_TRAINING_MODE must be 'process' or 'thread', "
                f"got {settings.training_mode!r}"
            )
        self.settings = settings
        self.registry = registry
        self.dir = Path(settings.jobs_dir or settings.models_dir / ".jobs")
        self._jobs: dict[str, dict] = {}
        self._live: dict[str, _Live] = {}
        self._queue: deque[str] = deque()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}
        self._lock = threading.RLock()
        self._closing = False
        self.shared = Coordinator(self.dir)
        self._started_at = time.time()
        self._progress_saved: dict[str, float] = {}  # job id → when its record was last written

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Lead if no other worker does, then look at the jobs directory every so often."""
        if self.shared.try_lead():
            self._recover(at_start=True)
        self.shared.start(self._look)

    def _recover(self, at_start: bool) -> None:
        """Read the job records; jobs the last server (or the last leader) left running become
        failed (resumable), with a message saying what was lost; so do queued ones at start-up
        (those queued since then are another worker's, and wait their turn)."""
        for path in sorted(self.dir.glob("*.json")):
            if path.name.endswith(".filters.json"):
                continue
            try:
                job = json.loads(path.read_text(encoding="utf-8"))
                job_id = job["id"]
                state = job["state"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                log.warning("job record %s not read: %s", path.name, e)
                continue
            if state == "running" or (
                state == "queued" and at_start and job.get("created", 0) < self._started_at
            ):
                self._mark_interrupted(job)
            elif state == "queued":
                self._queue.append(job_id)
            self._jobs[job_id] = job
        if not at_start:
            with self._lock:
                self._dispatch()

    def _look(self) -> None:
        """Every ``POLL_SECONDS``: take over if the leader is gone; as the leader, adopt jobs
        other workers queued and act on their markers; for every worker, feed the streams of
        jobs it follows from the records."""
        if not self.shared.leading and not self._closing and self.shared.try_lead():
            log.info("this worker (pid %d) now runs the training jobs", os.getpid())
            with self._lock:
                self._recover(at_start=False)
        if self.shared.leading and not self._closing:
            self._adopt()
            for job_id, action in self.shared.markers():
                with contextlib.suppress(KeyError, JobStateError):
                    (self.cancel if action == "cancel" else self.resume)(job_id)
        for job_id, event in self.shared.followed_events(self._disk_snapshot):
            self._publish(job_id, event)

    def _adopt(self) -> None:
        """Queue the jobs other workers wrote since the last look (the leader only)."""
        with self._lock:
            new = []
            for job_id in self.shared.unknown_ids(self._jobs):
                with contextlib.suppress(KeyError):
                    new.append(self.shared.read(job_id))
            for job in sorted(new, key=lambda j: j.get("created", 0)):
                self._jobs[job["id"]] = job
                if job["state"] == "queued":
                    self._queue.append(job["id"])
            if new:
                self._dispatch()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every running job; each is recorded as interrupted (and resumable)."""
        with self._lock:
            self._closing = True
            self._queue.clear()
            lives = list(self._live.values())
            for live in lives:
                if live.stop is not None:
                    live.stop.set()
        deadline = time.monotonic() + timeout
        for live in lives:
            if live.thread is not None:
                live.thread.join(max(0.0, deadline - time.monotonic()))
            if live.process is not None and live.process.is_alive():
                live.process.terminate()
        self.shared.stop()

    def _mark_interrupted(self, job: dict) -> None:
        done = self._epochs_in_checkpoint(job)
        ckpt = job.get("checkpoint")
        resume = f"resume it with POST /api/train/{job['id']}/resume"
        if job["state"] == "queued":
            message = f"the server stopped before this job started; {resume}"
        elif done >= job["epochs"]:
            message = (
                f"the server stopped after the last epoch, before the model was saved; the "
                f"checkpoint after epoch {done} is at {ckpt}; {resume} to evaluate and save it"
            )
        elif done > 0:
            message = (
                f"the server stopped during epoch {done + 1}; the checkpoint after epoch {done} "
                f"is at {ckpt}; {resume} (from epoch {done + 1})"
            )
        else:
            message = (
                "the server stopped during epoch 1, before the first checkpoint; "
                f"{resume} (from the start)"
            )
        job.update(
            state="failed",
            message=message,
            epochs_done=done,
            resumable=True,
            finished=time.time(),
            eta=None,
        )
        self._persist(job)

    def _epochs_in_checkpoint(self, job: dict) -> int:
        ckpt = job.get("checkpoint")
        if not ckpt or not Path(ckpt).is_file():
            return 0
        try:
            return int(Sequential.load(ckpt).meta.get("training", {}).get("epochs_done", 0))
        except (OSError, ValueError):
            return 0

    # -- requests ----------------------------------------------------------------------------

    def create(self, request: dict, planned_model_id: str) -> dict:
        """Queue a job for ``request`` (a validated ``TrainRequest`` as a dict)."""
        with self._lock:
            waiting = sum(1 for j in self._all_jobs() if j["state"] == "queued")
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
                "checkpoint": str(self.dir / f"{job_id}.ckpt.npz"),
                "epochs_done": 0,
                "resumable": False,
            }
            self.dir.mkdir(parents=True, exist_ok=True)
            if not self.shared.leading and self.shared.try_lead():  # the very first job
                self._recover(at_start=False)
            if not self.shared.leading:  # the leader adopts it from the directory
                self.shared.create(job)
                return self._disk_snapshot(job)
            self._jobs[job_id] = job
            self._persist(job)
            self._queue.append(job_id)
            self._dispatch()
            return self.snapshot(job_id)

    def planned_ids(self) -> set[str]:
        """Model ids that queued and running jobs mean to install."""
        with self._lock:
            return {j["model_id"] for j in self._all_jobs() if j["state"] in ACTIVE}

    def _all_jobs(self) -> list[dict]:
        """Every job: the leader's in memory (after adopting new ones), else the records."""
        if self.shared.leading:
            self._adopt()
            return list(self._jobs.values())
        return self.shared.read_all()

    def _disk_snapshot(self, job: dict) -> dict:
        """A snapshot of a record read from the directory (another worker's job)."""
        job = dict(job)
        job["position"] = None
        if job["state"] == "queued":
            queued = sorted(
                (j for j in self.shared.read_all() if j["state"] == "queued"),
                key=lambda j: j.get("created", 0),
            )
            ids = [j["id"] for j in queued]
            job["position"] = ids.index(job["id"]) if job["id"] in ids else 0
        if job["state"] == "running" and job.get("started"):
            job["elapsed"] = time.time() - job["started"]
        return job

    def get(self, job_id: str) -> dict:
        """A copy of the job's record (``KeyError`` if there is none)."""
        with self._lock:
            if job_id not in self._jobs:
                return self._disk_snapshot(self.shared.read(job_id))
            return self.snapshot(job_id)

    def snapshot(self, job_id: str) -> dict:
        job = copy.deepcopy(self._jobs[job_id])
        job["position"] = self._queue.index(job_id) if job_id in self._queue else None
        if job["state"] == "running" and job["started"]:
            job["elapsed"] = time.time() - job["started"]
        return job

    def list(self) -> list[dict]:
        with self._lock:
            if not self.shared.leading:
                jobs = sorted(self.shared.read_all(), key=lambda j: j["created"], reverse=True)
                return [self._disk_snapshot(j) for j in jobs]
            self._adopt()
            ids = sorted(self._jobs, key=lambda i: self._jobs[i]["created"], reverse=True)
            return [self.snapshot(i) for i in ids]

    def cancel(self, job_id: str) -> dict:
        """Cancel a queued job at once, or ask a running one to stop (it stops within a step)."""
        if not self.shared.leading:
            job = self.shared.read(job_id)
            if job["state"] in TERMINAL:
                raise JobStateError(f"job {job_id} is already {job['state']}")
            job = self.shared.forward(
                job_id,
                "cancel",
                lambda j: j["state"] in TERMINAL or (j.get("message") or "").startswith("cancel"),
            )
            return self._disk_snapshot(job)
        with self._lock:
            self._adopt()
            job = self._jobs[job_id]
            if job["state"] in TERMINAL:
                raise JobStateError(f"job {job_id} is already {job['state']}")
            if job["state"] == "queued":
                self._queue.remove(job_id)
                self._set_state(job, "cancelled", "cancelled before it started")
                return self.snapshot(job_id)
            live = self._live[job_id]
            live.cancel_requested = time.monotonic()
            if live.stop is not None:
                live.stop.set()
            job["message"] = "cancelling: the job stops after the current step"
            self._publish(job_id, {"event": "state", "job": self.snapshot(job_id)})
            return self.snapshot(job_id)

    def resume(self, job_id: str) -> dict:
        """Queue a failed or cancelled job again; it continues from its last checkpoint."""
        if not self.shared.leading:
            _check_resumable(self.shared.read(job_id))
            job = self.shared.forward(job_id, "resume", lambda j: j["state"] in ACTIVE)
            return self._disk_snapshot(job)
        with self._lock:
            job = self._jobs[job_id]
            _check_resumable(job)
            job.update(resume=True, finished=None, eta=None, resumable=False)
            self._set_state(job, "queued", f"resuming after epoch {job.get('epochs_done', 0)}")
            self._queue.append(job_id)
            self._dispatch()
            return self.snapshot(job_id)

    # -- progress streams --------------------------------------------------------------------

    @contextlib.contextmanager
    def subscribe(self, job_id: str, loop: asyncio.AbstractEventLoop, q: asyncio.Queue):
        """Receive the job's events in ``q`` (on ``loop``); yields the job's snapshot and its
        latest filters, taken atomically with the subscription so no event is missed.
        A job another worker runs is followed through its record (``app.training.shared``)."""
        remote = False
        with self._lock:
            if job_id in self._jobs:
                snapshot = self.snapshot(job_id)
                live = self._live.get(job_id)
                filters = live.filters if live else None
            else:
                record = self.shared.read(job_id)
                snapshot, filters = self._disk_snapshot(record), self.shared.read_filters(job_id)
                self.shared.follow(job_id, record)
                remote = True
            self._subscribers.setdefault(job_id, set()).add((loop, q))
        try:
            yield snapshot, filters
        finally:
            with self._lock:
                self._subscribers.get(job_id, set()).discard((loop, q))
                if remote:
                    self.shared.unfollow(job_id)

    def _publish(self, job_id: str, event: dict) -> None:
        for loop, q in list(self._subscribers.get(job_id, ())):
            try:
                loop.call_soon_threadsafe(q.put_nowait, event)
            except RuntimeError:  # that stream's event loop is gone
                self._subscribers[job_id].discard((loop, q))

    # -- running -------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Start queued jobs while fewer than ``max_running_jobs`` run. Holds the lock."""
        if self._closing:
            return
        running = sum(1 for j in self._jobs.values() if j["state"] == "running")
        while self._queue and running < self.settings.max_running_jobs:
            job_id = self._queue.popleft()
            job = self._jobs[job_id]
            job["started"] = time.time()
            job["elapsed"] = 0.0
            self._set_state(job, "running", None)
            live = _Live()
            self._live[job_id] = live
            live.thread = threading.Thread(
                target=self._supervise, args=(job_id,), name=f"train-{job_id}", daemon=True
            )
            live.thread.start()
            running += 1

    def _work(self, job: dict) -> dict:
        """What the worker needs: plain data only (it may cross into another process)."""
        return {
            "id": job["id"],
            "request": job["request"],
            "data_dir": str(self.settings.data_dir),
            "checkpoint": job["checkpoint"],
            "result": str(self.dir / f"{job['id']}.result.npz"),
            "resume": bool(job.get("resume")),
        }

    def _supervise(self, job_id: str) -> None:
        with self._lock:
            job, live = self._jobs[job_id], self._live[job_id]
            work = self._work(job)
        try:
            if self.settings.training_mode == "thread":
                self._run_in_thread(job_id, live, work)
            else:
                self._run_in_process(job_id, live, work)
        except Exception as e:  # never leave a job "running" with nobody running it
            log.exception("supervising job %s", job_id)
            self._handle(job_id, {"event": "error", "message": f"{type(e).__name__}: {e}"})
        with self._lock:
            if not live.finished:
                self._handle(
                    job_id, {"event": "error", "message": "the job ended without a result"}
                )
            self._live.pop(job_id, None)
            self._dispatch()

    def _run_in_thread(self, job_id: str, live: _Live, work: dict) -> None:
        with self._lock:
            live.stop = threading.Event()
            if live.cancel_requested or self._closing:
                live.stop.set()
        worker.run_job(work, lambda event: self._handle(job_id, event), live.stop.is_set)

    def _run_in_process(self, job_id: str, live: _Live, work: dict) -> None:
        ctx = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded server
        events = ctx.Queue()
        with self._lock:
            live.stop = ctx.Event()
            if live.cancel_requested or self._closing:
                live.stop.set()
            live.process = ctx.Process(
                target=worker.process_main,
                args=(work, events, live.stop),
                name=f"train-{job_id}",
                daemon=True,
            )
            live.process.start()
        process = live.process
        while True:
            try:
                event = events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not process.is_alive():
                    break
                asked = live.cancel_requested
                if asked is not None and time.monotonic() - asked > KILL_AFTER_SECONDS:
                    process.terminate()
                continue
            if event is None:
                break
            self._handle(job_id, event)
        process.join(timeout=10)
        if not live.finished:
            with contextlib.suppress(queue.Empty):  # events still in the pipe
                while (event := events.get(timeout=0.5)) is not None:
                    self._handle(job_id, event)
        if not live.finished:
            self._handle(
                job_id,
                {
                    "event": "error",
                    "message": f"the training process exited unexpectedly "
                    f"(exit code {process.exitcode})",
                },
            )

    # -- events -> the record --------------------------------------------------------------------

    def _handle(self, job_id: str, event: dict) -> None:
        kind = event.get("event")
        if kind == "finished" and event["state"] == "done":
            event = {**event, "installed": self._install(job_id, event)}
        with self._lock:
            job, live = self._jobs[job_id], self._live.get(job_id)
            if live is not None and live.finished:
                return
            if kind == "started":
                job.update(
                    train_images=event["train_images"],
                    steps=event["steps"],
                    epochs=event["epochs"],
                    epoch=event["start_epoch"] + 1,
                )
                if event["start_epoch"] == 0:
                    job["history"], job["steps_history"] = [], []
                self._publish(job_id, {"event": "state", "job": self.snapshot(job_id)})
            elif kind == "step":
                self._on_step(job, event)
            elif kind == "epoch":
                record = {
                    k: _finite(event.get(k))
                    for k in (
                        "epoch",
                        "train_loss",
                        "train_accuracy",
                        "val_loss",
                        "val_accuracy",
                        "seconds",
                    )
                }
                job["history"] = [h for h in job["history"] if h["epoch"] < record["epoch"]]
                job["history"].append(record)
                job["epochs_done"] = record["epoch"]
                self._persist(job)
                self._publish(job_id, {"event": "epoch", **record, "epochs": job["epochs"]})
            elif kind == "filters":
                if live is not None:
                    live.filters = event
                self.shared.write_filters(job_id, event)
                self._publish(job_id, event)
            elif kind == "finished":
                self._on_finished(job, live, event)
            elif kind == "error":
                if live is not None:
                    live.finished = True
                if self._closing:
                    self._interrupted(job)
                    return
                job["resumable"] = Path(job["checkpoint"]).is_file()
                self._set_state(job, "failed", event.get("message") or "failed")

    def _on_step(self, job: dict, event: dict) -> None:
        epoch, step, steps = event["epoch"], event["step"], event["steps"]
        done = (epoch - 1) * steps + step
        job.update(
            epoch=epoch,
            epochs=event["epochs"],
            step=step,
            steps=steps,
            loss=_finite(event["loss"]),
            accuracy=_finite(event["accuracy"]),
            eta=_finite(event["eta"]),
            progress=min(1.0, done / (job["epochs"] * steps)),
        )
        point = {"step": done, "epoch": epoch, "loss": job["loss"], "accuracy": job["accuracy"]}
        if point["loss"] is not None and len(job["steps_history"]) < MAX_STEP_POINTS:
            job["steps_history"].append(point)
        if time.monotonic() - self._progress_saved.get(job["id"], 0.0) > PROGRESS_SECONDS:
            self._save_progress(job)
        elapsed = time.time() - job["started"]
        self._publish(
            job["id"],
            {
                "event": "step",
                **point,
                "step_in_epoch": step,
                "steps": steps,
                "epochs": job["epochs"],
                "progress": job["progress"],
                "elapsed": elapsed,
                "eta": job["eta"],
            },
        )

    def _on_finished(self, job: dict, live: _Live | None, event: dict) -> None:
        if live is not None:
            live.finished = True
        job["epochs_done"] = event.get("epochs_done", job["epochs_done"])
        if event["state"] == "cancelled":
            has_ckpt = Path(job["checkpoint"]).is_file()
            job["resumable"] = has_ckpt and job["epochs_done"] < job["epochs"]
            where = (
                f"; the checkpoint after epoch {job['epochs_done']} is at {job['checkpoint']}"
                if has_ckpt
                else ""
            )
            if self._closing:
                self._interrupted(job)
                return
            self._set_state(job, "cancelled", f"cancelled after {job['epochs_done']} epochs{where}")
            return
        job.update(
            model_id=event["installed"],
            test_accuracy=_finite(event.get("test_accuracy")),
            progress=1.0,
            eta=0.0,
            resumable=False,
        )
        self._set_state(
            job,
            "done",
            f"saved as model {event['installed']!r}: test accuracy "
            f"{event.get('test_accuracy', 0):.2%} on the full test set",
        )

    def _install(self, job_id: str, event: dict) -> str:
        """Move the worker's finished model into the models directory; its new id. Runs outside
        the lock (it reads and writes a file), in the job's supervisor thread."""
        with self._lock:
            job = self._jobs[job_id]
            name, planned, checkpoint = job["name"], job["model_id"], job["checkpoint"]
            avoid = self.planned_ids() - {planned}
        result = Path(event["result"])
        model = Sequential.load(result)
        entry = model_store.install(self.settings, self.registry, model, name, avoid=avoid)
        result.unlink(missing_ok=True)
        Path(checkpoint).unlink(missing_ok=True)
        return entry.id

    def _interrupted(self, job: dict) -> None:
        """The server is stopping and stopped this job: failed, resumable, saying what was lost."""
        job["state"] = "running"
        self._mark_interrupted(job)
        self._publish(job["id"], {"event": "end", "job": self.snapshot(job["id"])})

    def _set_state(self, job: dict, state: str, message: str | None) -> None:
        job["state"], job["message"] = state, message
        if state in TERMINAL:
            job["finished"] = time.time()
            if job["started"]:
                job["elapsed"] = job["finished"] - job["started"]
            if state != "done":
                job["eta"] = None
        self._persist(job)
        kind = "end" if state in TERMINAL else "state"
        self._publish(job["id"], {"event": kind, "job": self.snapshot(job["id"])})

    def _save_progress(self, job: dict) -> None:
        """Rewrite a running job's record (no ``fsync``): other workers' streams read it."""
        self._progress_saved[job["id"]] = time.monotonic()
        job["elapsed"] = time.time() - job["started"]
        record = {k: v for k, v in job.items() if k != "position"}
        with contextlib.suppress(OSError, ValueError):
            data = json.dumps(record, indent=1, allow_nan=False).encode()
            write_quick(self.dir / f"{job['id']}.json", data)

    def _persist(self, job: dict) -> None:
        if job["state"] == "running" and job["started"]:
            job["elapsed"] = time.time() - job["started"]
        record = {k: v for k, v in job.items() if k != "position"}
        try:
            data = json.dumps(record, indent=1, allow_nan=False).encode()
            atomic_write_bytes(self.dir / f"{job['id']}.json", data)
        except (OSError, ValueError) as e:
            log.warning("job %s: record not saved: %s", job["id"], e)
