"""The test sets the pages show and explain with, each read once per process and data directory;
an uploaded data set's test split (``uploaded_test_set``), the latest few kept."""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path

import numpy as np
from fastapi import HTTPException

from app.core.settings import Settings
from app.datasets import store
from engine import cifar10, image_folder
from engine.data import DatasetNotFound, load_dataset

SOURCES = {
    "binary": "the CIFAR-10 test set (the official binary release)",
    "jpeg": "the CIFAR-10 test set (the JPEG image-folder copy)",
    "sample": "the 150 CIFAR-10 test photos that ship with the app (static/samples/cifar10): "
    "the first 15 of each class",
}

_cache: dict[tuple[str, Path], tuple[np.ndarray, np.ndarray]] = {}
_lock = threading.Lock()


def test_set(
    data_dir: Path,
    dataset: str,
    missing: int = 404,
    needed: str = "the gallery needs the {} test set",
) -> tuple[np.ndarray, np.ndarray]:
    """``images: (N, 28, 28) uint8, labels: (N,) uint8`` of ``dataset``'s test set (CIFAR-10:
    ``(N, 3, 32, 32)``, the full test set or the 150-photo sample that ships). When it is
    not installed: the status ``missing``, saying ``needed`` (of ``dataset``); unreadable: 503."""
    key = (dataset, Path(data_dir))
    with _lock:
        if key not in _cache:
            try:
                _cache[key] = (
                    cifar10.load("test", data_dir)
                    if dataset == cifar10.NAME
                    else load_dataset(dataset, "test", data_dir)
                )
            except DatasetNotFound as e:  # not installed here
                raise HTTPException(missing, f"{needed.format(dataset)}: {e}") from None
            except ValueError as e:
                raise HTTPException(503, f"the {dataset} test set is unreadable: {e}") from None
        return _cache[key]


def describe(data_dir: Path, dataset: str) -> str:
    """Where ``dataset``'s test images come from, in words (CIFAR-10: all, or the sample)."""
    if dataset != cifar10.NAME:
        return f"the {dataset} test set"
    return SOURCES.get(cifar10.source(data_dir), "none")


UPLOADS_KEPT = 2  # uploaded test sets kept in memory (each within max_dataset_store_bytes)


@functools.lru_cache(maxsize=UPLOADS_KEPT)
def _read_upload(path: Path, stamp: int) -> tuple[np.ndarray, np.ndarray]:
    folder = image_folder.load(path)  # ``stamp``: the file's mtime, so a new upload is read anew
    return folder.x_test, folder.y_test


def uploaded_test_set(settings: Settings, dataset_id: str) -> tuple[np.ndarray, np.ndarray]:
    """An uploaded data set's test split: ``images: (N, 3, H, W) uint8, labels: (N,) int64``;
    404 when there is no such upload (it may have expired)."""
    path = store.datasets_dir(settings) / f"{dataset_id}.npz"
    if not re.match(store.ID_PATTERN, dataset_id) or not path.is_file():
        raise HTTPException(
            404,
            f"dataset: no uploaded data set {dataset_id[:80]!r} (it may have expired: "
            f"{store.kept(settings)})",
        )
    return _read_upload(path, path.stat().st_mtime_ns)
