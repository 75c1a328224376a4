"""One training job, the queue's one task: load the data, build (or resume) the model, train it
with the engine, evaluate, save it into the models directory; the record and the events go to
the job store as it goes. It stops at the next step when its cancel flag is set (``cancelled``)
or its consumer shuts down (``failed``, resumable from the last epoch's checkpoint).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from pathlib import Path

import numpy as np

from app import model_store
from app.settings import Settings
from app.training.store import TERMINAL, JobsHuey, JobStore, interrupted, jobs_dir, make_huey
from engine.data import CLASSES, load_dataset
from engine.model import Sequential
from engine.train import TrainConfig, evaluate, to_input, train

log = logging.getLogger("cnn_explorer.training")

VAL_IMAGES = 2000  # test images scored after each epoch (the final score uses all of them)
FILTER_SECONDS = 0.75  # between two snapshots of the first conv layer's kernels
SAVE_SECONDS = 1.0  # between two saves of a running job's record
MAX_STEP_POINTS = 5000  # loss/accuracy points kept per job for the charts
_SETTINGS = ("epochs", "batch_size", "optimiser", "lr", "lr_schedule", "augment", "seed", "limit")
_EPOCH = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")


def _finite(v):
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def first_conv_filters(model: Sequential) -> dict | None:
    """The first conv layer's kernels ``(F, C, kh, kw)`` as a ``filters`` event, if it has one."""
    for index, layer in enumerate(model.layers):
        if layer.type == "conv2d":
            w = layer.params["weight"]
            weights = np.round(w.astype(np.float64), 4).tolist()
            event = {"event": "filters", "layer": index, "name": layer.name, "weights": weights}
            return event | {"shape": list(w.shape), "min": float(w.min()), "max": float(w.max())}
    return None


class Run:
    """One run of a job (the task's body); ``job`` is its record, kept in the store."""

    def __init__(self, settings: Settings, store: JobStore, job: dict, stopping):
        self.settings, self.store, self.job, self.stopping = settings, store, job, stopping
        self.cancelled = False
        self._saved = self._filtered = 0.0

    def publish(self, event: dict, save: bool = False) -> None:
        self.store.emit(self.job, event)
        if save or time.monotonic() - self._saved > SAVE_SECONDS:
            self._saved = time.monotonic()
            self.job["elapsed"] = time.time() - self.job["started"]
            self.store.put(self.job)

    def set_state(self, state: str, message: str | None, **changes) -> None:
        self.job.update(changes, state=state, message=message)
        if state in TERMINAL:
            self.job.update(finished=time.time(), elapsed=time.time() - self.job["started"])
        kind = "end" if state in TERMINAL else "state"
        self.publish({"event": kind, "job": dict(self.job)}, save=True)

    def should_stop(self) -> bool:  # between two steps
        self.cancelled = self.store.read_flag(self.job["id"], "cancel") is not None
        return self.cancelled or self.stopping.is_set()

    def on_progress(self, event: dict, model: Sequential) -> None:
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
            if len(job["steps_history"]) < MAX_STEP_POINTS:
                job["steps_history"].append(point)
            now = {k: job[k] for k in ("steps", "epochs", "progress", "eta")}
            now["elapsed"], now["step_in_epoch"] = time.time() - job["started"], step
            self.publish({"event": "step", **point, **now})
        else:
            record = {k: _finite(event.get(k)) for k in _EPOCH}
            job["history"] = [h for h in job["history"] if h["epoch"] < record["epoch"]]
            job.update(history=[*job["history"], record], epochs_done=record["epoch"])
            self.publish({"event": "epoch", **record, "epochs": job["epochs"]}, save=True)
        if event["event"] == "epoch" or time.monotonic() - self._filtered > FILTER_SECONDS:
            self._filtered = time.monotonic()
            filters = first_conv_filters(model)
            if filters is not None:
                self.store.flag(job["id"], "filters", json.dumps(filters).encode())
                self.publish(filters)

    def train(self) -> None:
        job, req = self.job, self.job["request"]
        images, labels = load_dataset(req["dataset"], "train", self.settings.data_dir)
        test_images, test_labels = load_dataset(req["dataset"], "test", self.settings.data_dir)
        x, y = to_input(images[: req.get("limit")]), labels[: req.get("limit")].astype(np.int64)
        x_test, y_test = to_input(test_images), test_labels.astype(np.int64)
        config = TrainConfig(**{k: req[k] for k in _SETTINGS if k != "limit"})
        checkpoint, start_epoch, earlier = Path(job["checkpoint"]), 0, []
        if job.get("resume") and checkpoint.is_file():
            model = Sequential.load(checkpoint)
            done = model.meta.get("training", {})
            start_epoch, earlier = int(done.get("epochs_done", 0)), list(done.get("history", []))
        else:
            layers, classes = req["architecture"]["layers"], CLASSES[req["dataset"]]
            model = Sequential.from_spec(layers, seed=req["seed"], classes=classes)
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
        avoid = {j["model_id"] for j in self.store.all() if j["state"] in ("queued", "running")}
        model_id = model_store.save_new(
            self.settings, model, req["name"], avoid - {job["model_id"]}
        )
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


def make_queue(settings: Settings) -> JobsHuey:
    """The queue with its one task, ``train``, registered (every server and consumer's)."""
    huey = make_huey(settings)

    @huey.task(name="train")
    def train(job_id: str) -> None:
        run_job(settings, huey.jobs, job_id, huey.stopping)

    huey.train = train
    return huey


def run_job(settings: Settings, store: JobStore, job_id: str, stopping) -> None:
    """The task: run the job ``job_id`` if it is still queued, beating its heart meanwhile."""
    job = store.get(job_id)
    if job["state"] != "queued":  # cancelled while it waited
        return
    jobs_dir(settings).mkdir(parents=True, exist_ok=True)
    checkpoint = str(jobs_dir(settings) / f"{job_id}.ckpt.npz")
    job.update(started=time.time(), elapsed=0.0, checkpoint=checkpoint)
    run, done = Run(settings, store, job, stopping), threading.Event()

    def heartbeat() -> None:
        while not done.wait(2.0):
            store.beat(job_id)

    store.beat(job_id)
    threading.Thread(target=heartbeat, name=f"beat-{job_id}", daemon=True).start()
    try:
        run.train()
    except Exception as e:  # the job fails, with the reason in words; the consumer goes on
        log.exception("training job %s failed", job_id)
        resumable = Path(checkpoint).is_file()
        run.set_state("failed", f"{type(e).__name__}: {e}", resumable=resumable, eta=None)
    finally:
        done.set()
