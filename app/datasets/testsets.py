"""The test sets the pages show and explain with, each read once per process and data directory."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from fastapi import HTTPException

from engine import cifar10
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
