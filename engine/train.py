"""Mini-batch training with shuffling, augmentation, evaluation, checkpoints and progress events.

Images enter the network as float32 ``(N, 1, 28, 28)`` in [0, 1] (1 = ink), exactly what the
explorer shows as "the network input", with no further normalisation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.augment import augment_batch
from engine.augment_colour import augment_photos
from engine.model import Model
from engine.ops.activation import softmax, softmax_cross_entropy
from engine.optim import make_optimiser

SCHEDULES = ("cosine", "onecycle", "constant")


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    optimiser: str = "adam"
    lr: float = 1e-3
    lr_schedule: str = "cosine"  # "cosine" (to 5 % of lr by the last step), "onecycle", "constant"
    warmup: float = 0.2  # "onecycle": the fraction of the steps spent rising linearly to lr
    weight_decay: float = 0.0
    nesterov: bool = False  # "sgd": Nesterov momentum
    label_smoothing: float = 0.0  # of the cross-entropy's targets (PyTorch's)
    augment: bool = True  # the digit warps of engine.augment
    flip: bool = False  # photos: random horizontal flips (engine.augment_colour)
    crop: int = 0  # photos: random crops after padding this many pixels (0 = off)
    seed: int = 0

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(
                f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}"
            )
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if not 0 <= self.crop <= 16:
            raise ValueError(f"crop padding must be in 0..16 pixels, got {self.crop!r}")
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {SCHEDULES}, got {self.lr_schedule!r}")
        if not 0 < self.warmup < 1:
            raise ValueError(f"warmup must be a fraction in (0, 1), got {self.warmup!r}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.nesterov and self.optimiser != "sgd":
            raise ValueError("nesterov applies to the 'sgd' optimiser only")


@dataclass
class History:
    """What happened, epoch by epoch; also what the progress callback is told."""

    epochs: list[dict] = field(default_factory=list)
    state: str = "running"  # running → done | cancelled
    seconds: float = 0.0


class Cancelled(Exception):
    """Raised inside the loop when ``should_stop()`` says so; caught by :func:`train`."""


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W) → float32 network input (N, 1, H, W) in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[:, None]  # (N, H, W) → (N, 1, H, W)


def evaluate(
    model: Model, x: np.ndarray, y: np.ndarray, batch_size: int = 500, progress=None
) -> dict:
    """Loss, accuracy and every prediction of ``model`` on x: (N, C, H, W), y: (N,), with the
    probability it gave each predicted class (``confidence``, (N,)). ``progress()``, if given,
    is called before each batch; it may raise to stop the work."""
    stop = model.logits_stop
    losses, preds, confs = [], [], []
    for i in range(0, len(x), batch_size):
        if progress is not None:
            progress()
        logits = model.forward(x[i : i + batch_size], stop=stop)  # (n, K)
        losses.append(softmax_cross_entropy(logits, y[i : i + batch_size])[0] * len(logits))
        preds.append(logits.argmax(axis=1))
        confs.append(softmax(logits).max(axis=1))
    pred = np.concatenate(preds)
    return {
        "loss": float(sum(losses) / len(x)),
        "accuracy": float((pred == y).mean()),
        "predictions": pred,
        "confidence": np.concatenate(confs),
    }


def train(
    model: Model,
    x: np.ndarray,
    y: np.ndarray,
    config: TrainConfig,
    val: tuple[np.ndarray, np.ndarray] | None = None,
    on_progress: Callable[[dict], None] | None = None,
    checkpoint: str | Path | None = None,
    should_stop: Callable[[], bool] | None = None,
    start_epoch: int = 0,
) -> History:
    """Train ``model`` in place on x: (N, C, H, W) float32, y: (N,) int labels.

    ``on_progress`` receives ``{"event": "step", ...}`` every few steps and
    ``{"event": "epoch", ...}`` after each epoch. After each epoch the model is written
    atomically to ``checkpoint`` with its epoch and history in ``meta["training"]``.
    ``should_stop`` is polled between steps; a ``True`` ends training as ``cancelled``.
    """
    N = len(x)
    rng = np.random.default_rng(config.seed)
    extra = {"nesterov": True} if config.nesterov else {}
    opt = make_optimiser(
        config.optimiser, model.params(), config.lr, weight_decay=config.weight_decay, **extra
    )
    steps_per_epoch = steps_in_epoch(N, config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    history, t0 = History(), time.perf_counter()
    notify = on_progress or (lambda event: None)
    report_every = max(1, steps_per_epoch // 50)
    try:
        for epoch in range(start_epoch, config.epochs):
            order = rng.permutation(N)
            seen, loss_sum, correct = 0, 0.0, 0
            for step in range(steps_per_epoch):
                if should_stop is not None and should_stop():
                    raise Cancelled
                idx = order[step * config.batch_size : (step + 1) * config.batch_size]
                xb, yb = x[idx], y[idx]
                if config.augment:
                    xb = augment_batch(xb, rng)
                if config.flip or config.crop:
                    xb = augment_photos(xb, rng, flip=config.flip, pad=config.crop)
                opt.lr = lr_at(config, epoch * steps_per_epoch + step, total_steps)
                loss, logits = model.train_step(xb, yb, label_smoothing=config.label_smoothing)
                opt.step(model.grads())
                seen += len(idx)
                loss_sum += loss * len(idx)
                correct += int((logits.argmax(axis=1) == yb).sum())
                if step % report_every == 0 or step == steps_per_epoch - 1:
                    done = epoch * steps_per_epoch + step + 1 - start_epoch * steps_per_epoch
                    left = total_steps - start_epoch * steps_per_epoch - done
                    elapsed = time.perf_counter() - t0
                    notify(
                        {
                            "event": "step",
                            "epoch": epoch + 1,
                            "epochs": config.epochs,
                            "step": step + 1,
                            "steps": steps_per_epoch,
                            "loss": loss_sum / seen,
                            "accuracy": correct / seen,
                            "lr": opt.lr,
                            "elapsed": elapsed,
                            "eta": elapsed / done * left,
                        }
                    )
            record = {
                "epoch": epoch + 1,
                "train_loss": loss_sum / seen,
                "train_accuracy": correct / seen,
                "seconds": time.perf_counter() - t0,
            }
            if val is not None:
                result = evaluate(model, *val)
                record["val_loss"], record["val_accuracy"] = result["loss"], result["accuracy"]
            history.epochs.append(record)
            if checkpoint is not None:
                model.meta["training"] = {
                    "config": asdict(config),
                    "epochs_done": epoch + 1,
                    "history": history.epochs,
                }
                model.save(checkpoint)
            notify({"event": "epoch", **record, "epochs": config.epochs})
        history.state = "done"
    except Cancelled:
        history.state = "cancelled"
    history.seconds = time.perf_counter() - t0
    return history


def lr_at(config: TrainConfig, step: int, total: int) -> float:
    """The learning rate of step ``step`` (0-based) of ``total``.

    "cosine": from lr down to 5 % of it by the last step. "onecycle": a linear rise over the
    first ``warmup`` fraction of the steps to lr (lr/w, 2·lr/w, …, lr for w warm-up steps),
    then a linear fall towards 0 (the last step gets lr/(total - w), not 0).
    """
    if config.lr_schedule == "constant":
        return config.lr
    if config.lr_schedule == "onecycle":
        w = warmup_steps(config, total)
        if step < w:
            return config.lr * (step + 1) / w
        return config.lr * (total - step) / max(1, total - w)
    floor = 0.05 * config.lr
    return floor + 0.5 * (config.lr - floor) * (1 + math.cos(math.pi * step / max(1, total)))


def steps_in_epoch(images: int, batch_size: int) -> int:
    """Gradient steps in one epoch over ``images`` (the last batch may be short)."""
    return math.ceil(images / batch_size)


def warmup_steps(config: TrainConfig, total: int) -> int:
    """How many of ``total`` steps the "onecycle" schedule spends rising (at least one)."""
    return max(1, round(config.warmup * total))
