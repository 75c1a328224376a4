"""The learning rate a training job will follow, step by step, before it starts: what the Train
page draws beside the schedule it offers (``POST /api/train/schedule``).

Every value is the engine's own (:func:`engine.train.lr_at`, the function the trainer calls at
each step); nothing here re-derives a schedule. A run has ``epochs · ceil(images / batch_size)``
steps, up to millions, so the curve is sampled: ``MAX_POINTS`` evenly spaced steps plus its
corners (the first and last step, and one-cycle's peak and the step after it), where a
piecewise-linear curve bends.
"""

from __future__ import annotations

import numpy as np

from app.core.settings import Settings
from app.datasets import store as datasets
from app.training.schemas import ScheduleRequest
from engine.train import TrainConfig, lr_at, steps_in_epoch, warmup_steps

MAX_POINTS = 200  # evenly spaced samples of a curve; its corners come on top


def train_images(settings: Settings, body: ScheduleRequest) -> int:
    """The images an epoch of ``body``'s job will see: the data set's training images, or
    ``limit`` of them; ``ValueError`` (in words) when the data set is unknown or has none here."""
    try:
        count = datasets.info(settings, body.dataset)["counts"]["train"]
    except datasets.UnknownDataset as e:
        raise ValueError(e.args[0]) from None
    images = min(body.limit, count) if body.limit and count else body.limit or count
    if not images:
        raise ValueError(
            f"{body.dataset} has no training images here; give a limit to see the schedule for "
            "that many"
        )
    return images


def curve(body: ScheduleRequest, train_images: int) -> dict:
    """The ``LrSchedule`` of a run over ``train_images`` images per epoch with ``body``'s
    batch size, epochs, peak lr, schedule and warm-up."""
    config = TrainConfig(
        epochs=body.epochs,
        batch_size=body.batch_size,
        lr=body.lr,
        lr_schedule=body.lr_schedule,
        warmup=body.warmup,
    )
    steps_per_epoch = steps_in_epoch(train_images, body.batch_size)
    total = body.epochs * steps_per_epoch
    corners = [0, total - 1]
    warmup = None
    if body.lr_schedule == "onecycle":
        warmup = warmup_steps(config, total)
        corners += [warmup - 1, min(warmup, total - 1)]
    even = np.linspace(0, total - 1, min(total, MAX_POINTS)).round().astype(int)  # (n,)
    steps = sorted({*even.tolist(), *corners})
    lrs = [lr_at(config, step, total) for step in steps]
    return {
        "lr_schedule": body.lr_schedule,
        "train_images": train_images,
        "steps_per_epoch": steps_per_epoch,
        "total_steps": total,
        "warmup_steps": warmup,
        "peak_lr": max(lrs),
        "final_lr": lrs[-1],
        "points": [
            {"step": s, "epoch": (s + 1) / steps_per_epoch, "lr": lr}
            for s, lr in zip(steps, lrs, strict=True)
        ],
    }
