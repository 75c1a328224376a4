"""One training job's work: load the data, build (or resume) the model, train, evaluate, save.

It knows nothing of the web: it reports through ``emit(event)`` and asks ``should_stop()``,
so the same function runs in a child process (:func:`process_main`, events through a
``multiprocessing`` queue) or in a thread. Events are plain dicts:

- ``{"event": "started", "train_images", "steps", "epochs", "start_epoch"}``
- ``{"event": "step", ...}`` and ``{"event": "epoch", ...}`` as ``engine.train.train`` sends them
- ``{"event": "filters", "layer", "name", "shape", "weights", "min", "max"}``: the first conv
  layer's kernels, at most every ``FILTER_INTERVAL`` seconds and after every epoch
- ``{"event": "finished", "state": "done" | "cancelled", "result"?, "test_accuracy"?, ...}``
- ``{"event": "error", "message"}``: anything that went wrong, in words
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.data import CLASSES, load_dataset
from engine.model import Sequential
from engine.train import TrainConfig, evaluate, to_input, train

FILTER_INTERVAL = 0.75  # seconds between two filter snapshots
VAL_IMAGES = 2000  # test images scored after each epoch (the final score uses all of them)
FILTER_DECIMALS = 4

Emit = Callable[[dict], None]
log = logging.getLogger("cnn_explorer.training")


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
                "weights": np.round(w.astype(np.float64), FILTER_DECIMALS).tolist(),
                "min": float(w.min()),
                "max": float(w.max()),
            }
    return None


def run_job(job: dict, emit: Emit, should_stop: Callable[[], bool]) -> None:
    """Train the job described by ``job`` (its record: ``request``, ``checkpoint``, ``result``,
    ``data_dir``, ``resume``), reporting through ``emit``. Never raises."""
    try:
        _run(job, emit, should_stop)
    except Exception as e:  # the job fails, with the reason in words; the server goes on
        log.exception("training job %s failed", job.get("id"))
        emit({"event": "error", "message": f"{type(e).__name__}: {e}"})


def _run(job: dict, emit: Emit, should_stop: Callable[[], bool]) -> None:
    req = job["request"]
    dataset, data_dir = req["dataset"], job["data_dir"]
    images, labels = load_dataset(dataset, "train", data_dir)
    test_images, test_labels = load_dataset(dataset, "test", data_dir)
    if req.get("limit"):
        images, labels = images[: req["limit"]], labels[: req["limit"]]
    x, y = to_input(images), labels.astype(np.int64)
    x_test, y_test = to_input(test_images), test_labels.astype(np.int64)
    val = (x_test[:VAL_IMAGES], y_test[:VAL_IMAGES])

    config = TrainConfig(
        epochs=req["epochs"],
        batch_size=req["batch_size"],
        optimiser=req["optimiser"],
        lr=req["lr"],
        lr_schedule=req["lr_schedule"],
        augment=req["augment"],
        seed=req["seed"],
    )
    checkpoint = Path(job["checkpoint"])
    start_epoch, earlier = 0, []
    if job.get("resume") and checkpoint.is_file():
        model = Sequential.load(checkpoint)
        done = model.meta.get("training", {})
        start_epoch, earlier = int(done.get("epochs_done", 0)), list(done.get("history", []))
    else:
        layers = req["architecture"]["layers"]
        model = Sequential.from_spec(
            layers, seed=req["seed"], classes=CLASSES[dataset], name=req["name"]
        )
    steps = -(-len(x) // config.batch_size)
    emit(
        {
            "event": "started",
            "train_images": len(x),
            "steps": steps,
            "epochs": config.epochs,
            "start_epoch": start_epoch,
        }
    )
    if should_stop():
        emit({"event": "finished", "state": "cancelled", "epochs_done": start_epoch})
        return

    last_filters = 0.0

    def send_filters(force: bool = False) -> None:
        nonlocal last_filters
        now = time.monotonic()
        if force or now - last_filters >= FILTER_INTERVAL:
            event = first_conv_filters(model)
            if event is not None:
                emit(event)
            last_filters = now

    def on_progress(event: dict) -> None:
        loss = event.get("loss", event.get("train_loss"))
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the training loss became {loss} in epoch {event['epoch']}; "
                "try a lower learning rate"
            )
        emit(event)
        send_filters(force=event["event"] == "epoch")

    send_filters(force=True)
    history = train(
        model,
        x,
        y,
        config,
        val=val,
        on_progress=on_progress,
        checkpoint=checkpoint,
        should_stop=should_stop,
        start_epoch=start_epoch,
    )
    epochs_done = start_epoch + len(history.epochs)
    if history.state == "cancelled":
        emit({"event": "finished", "state": "cancelled", "epochs_done": epochs_done})
        return

    result = evaluate(model, x_test, y_test)
    all_epochs = earlier + history.epochs
    model.meta.update(
        {
            "name": req["name"],
            "dataset": dataset,
            "test_accuracy": result["accuracy"],
            "test_loss": result["loss"],
            "train_images": len(x),
            "train_seconds": round(history.seconds + (earlier[-1]["seconds"] if earlier else 0), 1),
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "trained_by": "POST /api/train",
            "job_id": job["id"],
            "settings": {k: req[k] for k in _SETTINGS if k in req},
            "training": {
                "config": model.meta.get("training", {}).get("config"),
                "epochs_done": epochs_done,
                "history": all_epochs,
            },
        }
    )
    model.save(job["result"])
    emit(
        {
            "event": "finished",
            "state": "done",
            "result": job["result"],
            "test_accuracy": result["accuracy"],
            "test_loss": result["loss"],
            "epochs_done": epochs_done,
        }
    )


_SETTINGS = ("epochs", "batch_size", "optimiser", "lr", "lr_schedule", "augment", "seed", "limit")


def process_main(job: dict, queue, stop_event) -> None:
    """Entry point of a job's child process: events go to ``queue``; ``stop_event`` cancels.

    The job also stops if the server that started it is gone (the parent pid changes), so an
    orphaned child does not train on for nobody.
    """
    parent = os.getppid()

    def should_stop() -> bool:
        return stop_event.is_set() or os.getppid() != parent

    run_job(job, queue.put, should_stop)
    queue.put(None)  # end of events
