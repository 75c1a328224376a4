"""What the training tests share: a tiny trainable net, a job for it, directories in which the
shipped MNIST test set stands in for the training set too (symlinks, nothing copied), and the
way to start a job on a live server and follow its events."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np

from engine.model import Model

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 120  # seconds any one job may take in a test (they take a few)
TINY = [
    {"type": "conv2d", "name": "conv1", "config": {"out_channels": 4, "kernel_size": 3}},
    {"type": "relu"},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "flatten"},
    {"type": "dense", "name": "fc1", "config": {"out_features": 10}},
]
JOB = {
    "name": "Tiny net",
    "architecture": {"layers": TINY},
    "epochs": 1,
    "batch_size": 32,
    "limit": 300,
    "augment": False,
    "lr": 3e-3,
}
# the fast recipe's options (cifar10-bn's card): a JOB with these trains one-cycle with Nesterov
ONECYCLE = {
    "optimiser": "sgd",
    "nesterov": True,
    "lr": 0.05,
    "lr_schedule": "onecycle",
    "warmup": 0.3,
    "weight_decay": 5e-4,
    "label_smoothing": 0.1,
}


def mnist_dir(root: Path) -> Path:
    """A data dir whose MNIST 'training set' is the shipped test set (symlinks)."""
    mnist = root / "mnist"
    mnist.mkdir(parents=True)
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            src = ROOT / "data" / "mnist" / f"t10k-{kind}-ubyte.gz"
            (mnist / f"{split}-{kind}-ubyte.gz").symlink_to(src)
    return root


def default_model() -> Model:
    return Model.from_spec(TINY, seed=1, name="Shipped stand-in", meta={"dataset": "mnist"})


def directories(root: Path) -> tuple[Path, Path]:
    """``(models, data)`` under ``root``: a models dir holding the stand-in default model
    ``mnist-cnn``, and the data dir of :func:`mnist_dir`."""
    models = root / "models"
    models.mkdir(parents=True)
    default_model().save(models / "mnist-cnn.npz")
    return models, mnist_dir(root / "data")


def events(http: httpx.Client, job_id: str, until=None) -> Iterator[tuple[str, dict]]:
    """The job's Server-Sent Events as ``(event, data)``, to the stream's end or ``until``."""
    deadline = time.monotonic() + DEADLINE
    with http.stream("GET", f"/api/train/{job_id}/events", timeout=10) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in r.iter_lines():
            assert time.monotonic() < deadline, "the job did not finish in time"
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                yield kind, json.loads(line[6:])


def start(http: httpx.Client, **changes) -> dict:
    r = http.post("/api/train", json={**JOB, **changes})
    assert r.status_code == 202, r.text
    return r.json()


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def import_(http, weights: bytes, architecture=TINY, name="Imported net"):
    data = {"name": name}
    if architecture is not None:
        text = architecture if isinstance(architecture, str) else json.dumps(architecture)
        data["architecture"] = text
    return http.post(
        "/api/models/import", data=data, files={"weights": ("w.npz", weights, "application/zip")}
    )
