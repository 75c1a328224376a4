"""One training job, run by a huey consumer: load the data, build (or resume) the model, train with
the engine, evaluate, install the model; the record and the events go to the job store as it goes.

It stops at the next step when the job's cancel flag is set (``cancelled``) or when its consumer
shuts down (``failed``, resumable from the last epoch's checkpoint: :func:`store.interrupted`).
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
from app.training.store import TERMINAL, JobStore, interrupted, jobs_dir
from engine.data import CLASSES, load_dataset
from engine.model import Sequential
from engine.train import TrainConfig, evaluate, to_input, train

log = logging.getLogger("cnn_explorer.training")

VAL_IMAGES = 2000  # test images scored after each epoch (the final score uses all of them)
FILTER_SECONDS = 0.75  # between two snapshots of the first conv layer's kernels
SAVE_SECONDS = 1.0  # between two saves of a running job's record
CANCEL_POLL_SECONDS = 0.25  # between two looks at the cancel flag
MAX_STEP_POINTS = 5000  # loss/accuracy points kept per job for the charts
_SETTINGS = ("epochs", "batch_size", "optimiser", "lr", "lr_schedule", "augment", "seed", "limit")


def _finite(v):
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def first_conv_filters(model: Sequential) -> dict | None:
    """The first conv layer's kernels as a ``filters`` event, or ``None`` without one."""
    for index, layer in enumerate(model.layers):
        if layer.type == "conv2d":
            w = layer.params["weight"]  # w: (F, C, kh, kw)
            return {
                "event": "filters",
                "layer": index,
                "name": layer.name,
                "shape": list(w.shape),
                "weights": np.round(w.astype(np.float64), 4).tolist(),
                "min": float(w.min()),
                "max": float(w.max()),
            }
    return None


class Run:
    """The job ``job_id`` of ``store``, run once (the huey task's body)."""

    def __init__(self, settings: Settings, store: JobStore, job: dict, stopping):
        self.settings, self.store, self.job, self.stopping = settings, store, job, stopping
        self.cancelled = False
        self._looked = self._saved = self._filtered = 0.0

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

    def should_stop(self) -> bool:
        if time.monotonic() - self._looked > CANCEL_POLL_SECONDS:
            self._looked = time.monotonic()
            self.cancelled = self.store.read_flag(self.job["id"], "cancel") is not None
        return self.cancelled or self.stopping.is_set()

    def on_progress(self, event: dict, model: Sequential) -> None:
        job = self.job
        if event["event"] == "step":
            if not math.isfinite(event["loss"]):
                raise FloatingPointError(
                    f"the training loss became {event['loss']} in epoch {event['epoch']}; "
                    "try a lower learning rate"
                )
            epoch, step, steps = event["epoch"], event["step"], event["steps"]
            done = (epoch - 1) * steps + step
            job.update(epoch=epoch, step=step, steps=steps, eta=_finite(event["eta"]))
            job.update(loss=_finite(event["loss"]), accuracy=_finite(event["accuracy"]))
            job["progress"] = min(1.0, done / (job["epochs"] * steps))
            point = {"step": done, "epoch": epoch, "loss": job["loss"], "accuracy": job["accuracy"]}
            if len(job["steps_history"]) < MAX_STEP_POINTS:
                job["steps_history"].append(point)
            self.publish(
                {
                    "event": "step",
                    **point,
                    "step_in_epoch": step,
                    "steps": steps,
                    "epochs": job["epochs"],
                    "progress": job["progress"],
                    "elapsed": time.time() - job["started"],
                    "eta": job["eta"],
                }
            )
        else:
            keys = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")
            record = {k: _finite(event.get(k)) for k in keys}
            job["history"] = [h for h in job["history"] if h["epoch"] < record["epoch"]]
            job["history"].append(record)
            job["epochs_done"] = record["epoch"]
            self.publish({"event": "epoch", **record, "epochs": job["epochs"]}, save=True)
        if event["event"] == "epoch" or time.monotonic() - self._filtered > FILTER_SECONDS:
            self._filtered = time.monotonic()
            filters = first_conv_filters(model)
            if filters is not None:
                self.store.flag(job["id"], "filters", json.dumps(filters, allow_nan=False).encode())
                self.publish(filters)

    def train(self) -> None:
        job, req = self.job, self.job["request"]
        dataset, data_dir = req["dataset"], self.settings.data_dir
        images, labels = load_dataset(dataset, "train", data_dir)
        test_images, test_labels = load_dataset(dataset, "test", data_dir)
        if req.get("limit"):
            images, labels = images[: req["limit"]], labels[: req["limit"]]
        x, y = to_input(images), labels.astype(np.int64)
        x_test, y_test = to_input(test_images), test_labels.astype(np.int64)
        config = TrainConfig(**{k: req[k] for k in _SETTINGS if k != "limit"})
        checkpoint = Path(job["checkpoint"])
        start_epoch, earlier = 0, []
        if job.get("resume") and checkpoint.is_file():
            model = Sequential.load(checkpoint)
            done = model.meta.get("training", {})
            start_epoch, earlier = int(done.get("epochs_done", 0)), list(done.get("history", []))
        else:
            model = Sequential.from_spec(
                req["architecture"]["layers"], seed=req["seed"], classes=CLASSES[dataset]
            )
        if start_epoch == 0:
            job["history"], job["steps_history"] = [], []
        steps = -(-len(x) // config.batch_size)
        job.update(train_images=len(x), steps=steps, epoch=start_epoch + 1)
        self.set_state("running", None)
        history = train(
            model,
            x,
            y,
            config,
            val=(x_test[:VAL_IMAGES], y_test[:VAL_IMAGES]),
            on_progress=lambda event: self.on_progress(event, model),
            checkpoint=checkpoint,
            should_stop=self.should_stop,
            start_epoch=start_epoch,
        )
        epochs_done = start_epoch + len(history.epochs)
        if history.state == "cancelled":
            return self.stopped(epochs_done)
        result = evaluate(model, x_test, y_test)
        model.meta.update(
            {
                "name": req["name"],
                "dataset": dataset,
                "test_accuracy": result["accuracy"],
                "test_loss": result["loss"],
                "train_images": len(x),
                "train_seconds": round(
                    history.seconds + (earlier[-1]["seconds"] if earlier else 0), 1
                ),
                "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "trained_by": "POST /api/train",
                "job_id": job["id"],
                "settings": {k: req[k] for k in _SETTINGS if k in req},
                "training": {
                    "config": model.meta.get("training", {}).get("config"),
                    "epochs_done": epochs_done,
                    "history": earlier + history.epochs,
                },
            }
        )
        avoid = {j["model_id"] for j in self.store.all() if j["state"] in ("queued", "running")}
        model_id = model_store.save_new(
            self.settings, model, req["name"], avoid - {job["model_id"]}
        )
        checkpoint.unlink(missing_ok=True)
        self.set_state(
            "done",
            f"saved as model {model_id!r}: test accuracy {result['accuracy']:.2%} on the full "
            "test set",
            model_id=model_id,
            test_accuracy=_finite(result["accuracy"]),
            progress=1.0,
            eta=0.0,
            epochs_done=epochs_done,
            resumable=False,
        )

    def stopped(self, epochs_done: int) -> None:
        job = self.job
        if not self.cancelled:  # the consumer is shutting down
            job.update(interrupted(job))
            return self.set_state("failed", job["message"])
        has_ckpt = Path(job["checkpoint"]).is_file()
        where = f"; the checkpoint after epoch {epochs_done} is at {job['checkpoint']}"
        self.set_state(
            "cancelled",
            f"cancelled after {epochs_done} epochs{where if has_ckpt else ''}",
            epochs_done=epochs_done,
            resumable=has_ckpt and epochs_done < job["epochs"],
            eta=None,
        )


def run_job(settings: Settings, store: JobStore, job_id: str, stopping) -> None:
    """The huey task: run the job ``job_id`` if it is still queued. Never raises."""
    job = store.get(job_id)
    if job["state"] != "queued":  # cancelled while it waited
        return
    job.update(
        started=time.time(),
        elapsed=0.0,
        checkpoint=str(jobs_dir(settings) / f"{job_id}.ckpt.npz"),
    )
    run, beating = Run(settings, store, job, stopping), threading.Event()

    def heartbeat() -> None:
        while not beating.wait(2.0):
            store.beat(job_id)

    store.beat(job_id)
    threading.Thread(target=heartbeat, name=f"beat-{job_id}", daemon=True).start()
    try:
        run.train()
    except Exception as e:  # the job fails, with the reason in words; the consumer goes on
        log.exception("training job %s failed", job_id)
        resumable = Path(job["checkpoint"]).is_file()
        run.set_state("failed", f"{type(e).__name__}: {e}", resumable=resumable, eta=None)
    finally:
        beating.set()
