"""The training queue, huey's: a SQLite file (``<jobs_dir>/queue.sqlite3``) by default, Redis
when ``CNN_EXPLORER_QUEUE_URL`` names one (then servers and consumers on several machines share
it). Huey queues, claims and revokes (cancels) the tasks; beside them in its storage are ours:

- each job's record (JSON, ``GET /api/train/{id}``), in a namespace of its own (to be listed);
- each job's events, ``job:<id>:<n>`` numbered ``1, 2, ...`` by an atomic counter; a record
  carries ``seq``, the last event it reflects, so an event stream on any process starts from a
  record and reads on from ``seq + 1``, missing and repeating nothing. Only the
  ``kept_job_event_logs`` jobs that finished last keep theirs (:meth:`JobsHuey.prune`);
- ``job:<id>:filters`` and ``job:<id>:beat``: a job's latest filters and its heartbeat (a record
  left ``running`` whose heartbeat stopped is a dead consumer's: :func:`interrupted`);
- each consumer's heartbeat, in a namespace of its own (``app.training.workers``), so a queued
  job with nobody to run it says so.

The queue's one task (:func:`run_job`, :class:`Run`) trains a job's model with the engine (or
resumes it from its checkpoint), evaluates it and saves it into the models directory. It stops
at the next step when the task is revoked (``cancelled``) or its consumer shuts down
(``failed``, resumable from the last checkpoint).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from itertools import takewhile
from pathlib import Path

import numpy as np
from huey import Huey
from huey.constants import EmptyData
from huey.consumer import Consumer
from huey.storage import RedisStorage, SqliteStorage

from app.core.settings import Settings
from app.datasets import store as datasets
from app.models import store as model_store
from app.training.workers import BeatingScheduler, Heartbeats
from engine.model import Model
from engine.train import TrainConfig, evaluate, train

log = logging.getLogger("cnn_explorer.training")

TERMINAL = ("done", "failed", "cancelled")
QUEUE_NAME = "cnn-explorer"
STALE_SECONDS = 20.0  # a running job whose heartbeat is older than this has no runner
SHUTDOWN_SECONDS = 8.0  # a consumer waits this long for its jobs to stop (Docker allows 10)
BATCH = 64  # events read per look
VAL_IMAGES = 2000  # test images scored after each epoch (the final score uses all of them)
FILTER_SECONDS = 0.75  # between two snapshots of the first conv layer's kernels
SAVE_SECONDS = 1.0  # between two saves of a running job's record
MAX_STEP_POINTS = 5000  # loss/accuracy points kept per job for the charts
_SETTINGS = (  # a job's request → TrainConfig (a record queued before a field existed lacks it)
    *("epochs", "batch_size", "optimiser", "lr", "lr_schedule", "warmup", "weight_decay"),
    *("nesterov", "label_smoothing", "augment", "flip", "crop", "seed", "limit"),
)
_EPOCH = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")


def jobs_dir(settings: Settings) -> Path:
    return Path(settings.jobs_dir or settings.models_dir / ".jobs")


def job_key(job_id: str, name: object) -> str:  # where a job's event n, beat, filters… are kept
    return f"job:{job_id}:{name}"


class JobsHuey(Huey):
    """Huey with its one task, ``train`` (:func:`run_job`), and beside its queue the job
    records, events, filters and heartbeats; ``stopping`` is its consumer's stop flag, which the
    running jobs see (a consumer shutting down gracefully stops them at their next step)."""

    def __init__(self, settings: Settings, **storage):
        super().__init__(QUEUE_NAME, results=False, **storage)
        self.settings, self.stopping = settings, threading.Event()
        self.records = self.storage_class(f"{QUEUE_NAME}_records", **self.storage_kwargs)
        consumers = self.storage_class(f"{QUEUE_NAME}_consumers", **self.storage_kwargs)
        self.heartbeats, self.consumer_kind = Heartbeats(consumers), "consumer"
        self.train = self.task(name="train")(lambda job_id: run_job(self, job_id))

    def create_consumer(self, **options) -> Consumer:
        """Huey's consumer (``huey_consumer`` passes its own options): by default
        ``max_running_jobs`` worker threads, polling at least every 0.5 s, and SIGTERM stops
        them gracefully (their jobs at the next step) within ``SHUTDOWN_SECONDS``."""
        options = {"workers": self.settings.max_running_jobs, "max_delay": 0.5} | options
        options = {"graceful_signal": "TERM", "shutdown_timeout": SHUTDOWN_SECONDS} | options
        consumer = JobsConsumer(self, **options)
        self.stopping = consumer.stop_flag
        return consumer

    def save(self, job: dict, event: dict | None = None) -> None:
        """Store the job's record, after appending ``event`` (if any) to its events."""
        if event is not None:
            self.emit(job, event)
        self.records.put_data(job["id"], json.dumps(job, allow_nan=False).encode())

    def record(self, job_id: str) -> dict:
        """The job's record; ``KeyError`` if there is none."""
        raw = self.records.peek_data(job_id)
        if raw is EmptyData:
            raise KeyError(job_id)
        return json.loads(bytes(raw))

    def jobs(self) -> list[dict]:
        return [json.loads(bytes(v)) for v in self.records.result_items().values()]

    def planned_ids(self) -> set[str]:
        """Model ids that queued and running jobs mean to install."""
        return {j["model_id"] for j in self.jobs() if j["state"] not in TERMINAL}

    def emit(self, job: dict, event: dict) -> None:
        """Append ``event`` to the job's events; ``job["seq"]`` becomes its number."""
        job["seq"] = self.storage.incr(f"{job['id']}:seq")
        self.put(job_key(job["id"], job["seq"]), event)

    def events_after(self, job_id: str, seq: int) -> list[tuple[int, dict]]:
        """The job's events numbered ``seq + 1`` on (up to ``BATCH``), as ``(number, event)``."""
        keys = [job_key(job_id, n) for n in range(seq + 1, seq + 1 + BATCH)]
        found = self.storage.peek_many(keys)
        present = takewhile(lambda number_key: number_key[1] in found, enumerate(keys, seq + 1))
        return [(n, self.serializer.deserialize(found[key])) for n, key in present]

    def prune(self) -> None:
        """Delete the events of the finished jobs but the ``kept_job_event_logs`` that finished
        last (queued and running jobs keep theirs); ``job:<id>:pruned``: the last one deleted."""
        ended = [j for j in self.jobs() if j["state"] in TERMINAL]
        ended.sort(key=lambda j: j.get("finished") or 0, reverse=True)
        for job in ended[self.settings.kept_job_event_logs :]:
            key, seq = job_key(job["id"], "pruned"), job.get("seq", 0)
            pruned = self.get(key, peek=True) or 0
            if pruned < seq:
                for n in range(pruned + 1, seq + 1):
                    self.delete(job_key(job["id"], n))
                self.put(key, seq)

    def current(self, job: dict) -> dict:
        """``job``, recorded as interrupted first if it is recorded running but nobody has run it
        (beaten its heart) for ``STALE_SECONDS``."""
        beat = self.get(job_key(job["id"], "beat"), peek=True)
        if job["state"] == "running" and time.time() - (beat or 0) > STALE_SECONDS:
            job = interrupted(job)
            self.save(job, {"event": "end", "job": job})
        return job


class JobsConsumer(Consumer):
    """Huey's consumer whose scheduler beats its heart in the queue's storage."""

    scheduler_class = BeatingScheduler


def make_queue(settings: Settings) -> JobsHuey:
    """The queue ``settings`` name (``queue_url``, else the SQLite file in the jobs directory),
    with its one task registered: every server and consumer makes its own."""
    url = settings.queue_url
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"CNN_EXPLORER_QUEUE_URL must be a redis:// URL, got {url!r}")
        return JobsHuey(settings, storage_class=RedisStorage, url=url)
    jobs_dir(settings).mkdir(parents=True, exist_ok=True)
    filename = str(jobs_dir(settings) / "queue.sqlite3")
    return JobsHuey(settings, storage_class=SqliteStorage, filename=filename)


def interrupted(job: dict) -> dict:
    """``job``, stopped by a shutdown (or its runner's death), as failed and resumable, with a
    message saying which epoch was lost and where the checkpoint is."""
    done, ckpt = job["epochs_done"], job["checkpoint"]
    where = f"the checkpoint after epoch {done} is at {ckpt}"
    if not Path(ckpt).is_file():
        done, where = 0, "before the first checkpoint"
    when = f"during epoch {done + 1}" if done < job["epochs"] else "before the model was saved"
    resume = f"resume it with POST /api/train/{job['id']}/resume"
    change = {"message": f"the server stopped {when}; {where}; {resume}", "epochs_done": done}
    now = {"state": "failed", "finished": time.time(), "resumable": True, "eta": None}
    return job | change | now


def _finite(v):
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def first_conv_filters(model: Model) -> dict | None:
    """The first conv layer's kernels ``(F, C, kh, kw)`` as a ``filters`` event, if it has one."""
    for index, layer in enumerate(model.layers):
        if layer.type == "conv2d":
            w = layer.params["weight"]
            weights = np.round(w.astype(np.float64), 4).tolist()
            event = {"event": "filters", "layer": index, "name": layer.name, "weights": weights}
            return event | {"shape": list(w.shape), "min": float(w.min()), "max": float(w.max())}
    return None


class Run:
    """One run of a job (the task's body); ``job`` is its record, kept in the queue's storage."""

    def __init__(self, huey: JobsHuey, job: dict):
        self.settings, self.huey, self.job = huey.settings, huey, job
        self.cancelled = False
        self._saved = self._filtered = 0.0

    def publish(self, event: dict, save: bool = False) -> None:
        self.huey.emit(self.job, event)
        if save or time.monotonic() - self._saved > SAVE_SECONDS:
            self._saved = time.monotonic()
            self.job["elapsed"] = time.time() - self.job["started"]
            self.huey.save(self.job)

    def set_state(self, state: str, message: str | None, **changes) -> None:
        self.job.update(changes, state=state, message=message)
        if state in TERMINAL:
            self.job.update(finished=time.time(), elapsed=time.time() - self.job["started"])
        kind = "end" if state in TERMINAL else "state"
        self.publish({"event": kind, "job": dict(self.job)}, save=True)

    def should_stop(self) -> bool:  # between two steps
        self.cancelled = self.huey.is_revoked(self.job["task"])  # how a job is cancelled
        return self.cancelled or self.huey.stopping.is_set()

    def on_progress(self, event: dict, model: Model) -> None:
        job, loss = self.job, event.get("loss", event.get("train_loss"))
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the training loss became {loss} in epoch {event['epoch']}; "
                "try a lower learning rate"
            )
        if event["event"] == "step":
            epoch, step, steps = event["epoch"], event["step"], event["steps"]
            done = (epoch - 1) * steps + step
            job.update(epoch=epoch, step=step, steps=steps, eta=_finite(event["eta"]), loss=loss)
            job.update(accuracy=event["accuracy"], progress=min(1.0, done / job["epochs"] / steps))
            point = {"step": done, "epoch": epoch, "loss": loss, "accuracy": event["accuracy"]}
            point["lr"] = event["lr"]  # the step's learning rate, as the schedule gave it
            if len(job["steps_history"]) < MAX_STEP_POINTS:
                job["steps_history"].append(point)
            now = {k: job[k] for k in ("steps", "epochs", "progress", "eta")}
            now["elapsed"], now["step_in_epoch"] = time.time() - job["started"], step
            self.publish({"event": "step", **point, **now})
        else:
            record = {k: _finite(event.get(k)) for k in _EPOCH}
            job.update(history=[*job["history"], record], epochs_done=record["epoch"])
            self.publish({"event": "epoch", **record, "epochs": job["epochs"]}, save=True)
        if event["event"] == "epoch" or time.monotonic() - self._filtered > FILTER_SECONDS:
            self._filtered = time.monotonic()
            filters = first_conv_filters(model)
            if filters is not None:
                self.huey.put(job_key(job["id"], "filters"), filters)
                self.publish(filters)

    def train(self) -> None:
        job, req = self.job, self.job["request"]
        x, y = datasets.load_split(self.settings, req["dataset"], "train")
        x_test, y_test = datasets.load_split(self.settings, req["dataset"], "test")
        x, y = x[: req.get("limit")], y[: req.get("limit")]
        options = {k: req[k] for k in _SETTINGS if k != "limit" and k in req}
        options["augment"] = options.get("augment", True) and x.shape[1] == 1  # digit warps
        config = TrainConfig(**options)
        checkpoint, start_epoch, earlier = Path(job["checkpoint"]), 0, []
        if job.get("resume") and checkpoint.is_file():
            model = Model.load(checkpoint)
            done = model.meta.get("training", {})
            start_epoch, earlier = int(done.get("epochs_done", 0)), list(done.get("history", []))
        else:
            layers = req["architecture"]["layers"]
            classes = datasets.info(self.settings, req["dataset"])["classes"]
            model = Model.from_spec(layers, x.shape[1:], seed=req["seed"], classes=classes)
            job["history"], job["steps_history"] = [], []
        job.update(train_images=len(x), steps=-(-len(x) // config.batch_size))
        self.set_state("running", None, epoch=start_epoch + 1)
        val = (x_test[:VAL_IMAGES], y_test[:VAL_IMAGES])
        hooks = dict(checkpoint=checkpoint, start_epoch=start_epoch, should_stop=self.should_stop)
        history = train(model, x, y, config, val, lambda e: self.on_progress(e, model), **hooks)
        epochs_done = start_epoch + len(history.epochs)
        if history.state == "cancelled":
            return self.stopped(epochs_done)
        result = evaluate(model, x_test, y_test)
        seconds = history.seconds + (earlier[-1]["seconds"] if earlier else 0)
        model.meta.update(
            name=req["name"],
            dataset=req["dataset"],
            test_accuracy=result["accuracy"],
            test_loss=result["loss"],
            train_images=len(x),
            train_seconds=round(seconds, 1),
            trained_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            trained_by="POST /api/train",
            job_id=job["id"],
            settings={k: req[k] for k in _SETTINGS if k in req},
        )
        training = {"epochs_done": epochs_done, "history": earlier + history.epochs}
        model.meta["training"] = model.meta.get("training", {}) | training
        avoid = self.huey.planned_ids() - {job["model_id"]}
        model_id = model_store.save_new(self.settings, model, req["name"], avoid)
        checkpoint.unlink(missing_ok=True)
        accuracy = f"test accuracy {result['accuracy']:.2%} on the full test set"
        changes = dict(model_id=model_id, test_accuracy=result["accuracy"], progress=1.0, eta=0.0)
        self.set_state("done", f"saved as model {model_id!r}: {accuracy}", **changes)

    def stopped(self, epochs_done: int) -> None:
        job = self.job
        if not self.cancelled:  # the consumer is shutting down
            job.update(interrupted(job))
            return self.set_state("failed", job["message"])
        has_ckpt = Path(job["checkpoint"]).is_file()
        where = f"; the checkpoint after epoch {epochs_done} is at {job['checkpoint']}"
        message = f"cancelled after {epochs_done} epochs{where if has_ckpt else ''}"
        resumable = has_ckpt and epochs_done < job["epochs"]
        self.set_state("cancelled", message, epochs_done=epochs_done, resumable=resumable, eta=None)


def run_job(huey: JobsHuey, job_id: str) -> None:
    """The task: run the job ``job_id`` if it is still queued, beating its heart meanwhile;
    then prune the finished jobs' events (:meth:`JobsHuey.prune`)."""
    job, settings = huey.record(job_id), huey.settings
    if job["state"] != "queued":  # cancelled while it waited
        return
    jobs_dir(settings).mkdir(parents=True, exist_ok=True)
    checkpoint = str(jobs_dir(settings) / f"{job_id}.ckpt.npz")
    job.update(started=time.time(), elapsed=0.0, checkpoint=checkpoint)
    run, done = Run(huey, job), threading.Event()

    def heartbeat() -> None:
        while not done.wait(2.0):
            huey.put(job_key(job_id, "beat"), time.time())

    huey.put(job_key(job_id, "beat"), time.time())
    threading.Thread(target=heartbeat, name=f"beat-{job_id}", daemon=True).start()
    try:
        run.train()
    except Exception as e:  # the job fails, with the reason in words; the consumer goes on
        log.exception("training job %s failed", job_id)
        resumable = Path(checkpoint).is_file()
        run.set_state("failed", f"{type(e).__name__}: {e}", resumable=resumable, eta=None)
    finally:
        done.set()
    huey.prune()
