"""Every data set the app trains and evaluates on: the built-in ones and uploaded image folders.

Built-in: ``mnist`` and ``fashion-mnist`` (IDX files in ``data_dir``, ``engine.data``) and
``cifar10`` (``engine.cifar10``: the binary release or the image-folder zip in ``data_dir``,
decoded once into ``cache_dir``). They are read-only.

Uploaded: a zip of an image folder (``engine.image_folder``) becomes ``<datasets_dir>/<id>.npz``
(the decoded uint8 arrays) and ``<id>.json`` (its ``DatasetInfo``), each written atomically, the
arrays first: a data set is listed only once both are complete. Uploads are kept for
``max_dataset_age_days`` and within ``max_datasets`` and ``max_dataset_store_bytes``: past
either, the oldest go first (:func:`prune`, ``app.core.kept``), and asking for one that went
says so.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import time
from pathlib import Path

import numpy as np

from app.core.kept import Budget, prune_folder
from app.core.settings import Settings
from engine import cifar10, data, image_folder
from engine.io import atomic_write_bytes
from engine.train import to_input

BUILT_IN = (*data.NAMES, cifar10.NAME)
NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}
COUNTS = {"train": 60_000, "test": 10_000}  # MNIST and Fashion-MNIST
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,47}$"
MADE_SPLIT = "made for you: 20 % of each class's images (seed 0) are the test split"


class UnknownDataset(KeyError):
    """No data set has this id; the message lists the ones there are."""


def kept(settings: Settings) -> str:
    """How long uploads are kept, for the messages about one that is gone."""
    return (
        f"uploaded data sets are kept {settings.max_dataset_age_days} days "
        f"(max_dataset_age_days), and past max_datasets = {settings.max_datasets} or "
        f"max_dataset_store_bytes = {settings.max_dataset_store_bytes:,} the oldest go first"
    )


def datasets_dir(settings: Settings) -> Path:
    return settings.datasets_dir or settings.models_dir / ".datasets"


def limits(settings: Settings) -> image_folder.Limits:
    """The engine's limits from the settings: ``max_<x>`` is ``max_dataset_<x>``."""
    names = (f.name for f in dataclasses.fields(image_folder.Limits))
    return image_folder.Limits(
        **{n: getattr(settings, n.replace("max_", "max_dataset_", 1)) for n in names}
    )


# ------------------------------------------------------------------------------------- reading


def _built_in(settings: Settings, name: str) -> dict:
    if name == cifar10.NAME:
        kind = cifar10.source(settings.data_dir)
        counts = {"train": 50_000, "test": 10_000}
        if kind in ("sample", "none"):
            counts = {"train": 0, "test": 150 if kind == "sample" else 0}
        classes, shape = list(cifar10.CLASSES), list(cifar10.SHAPE)
        available = kind in ("binary", "jpeg")
        how = " ".join(line.strip() for line in cifar10.how_to_get(settings.data_dir).splitlines())
        note = {
            "binary": "the official binary release",
            "jpeg": "the JPEG image-folder copy (a few grey levels off the original pixels)",
            "sample": f"only the 150 test photos that ship with the app. {how}",
            "none": how,
        }[kind]
    else:
        classes, shape, counts = list(data.CLASSES[name]), [1, 28, 28], dict(COUNTS)
        why = missing(settings, name)
        available, note = why is None, why or "IDX files"
    return {
        "id": name,
        "name": NAMES[name],
        "classes": classes,
        "counts": counts,
        "image_shape": shape,
        "builtin": True,
        "available": available,
        "source": note,
    }


def uploaded_ids(settings: Settings) -> list[str]:
    folder = datasets_dir(settings)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if (folder / f"{p.stem}.npz").is_file())


def info(settings: Settings, dataset_id: str) -> dict:
    """The ``DatasetInfo`` of ``dataset_id``; :class:`UnknownDataset` when there is none."""
    if dataset_id in BUILT_IN:
        return _built_in(settings, dataset_id)
    prune(settings)  # expired ones first: an old link says it is gone
    if re.match(ID_PATTERN, dataset_id) and dataset_id in uploaded_ids(settings):
        return json.loads((datasets_dir(settings) / f"{dataset_id}.json").read_text())
    raise UnknownDataset(
        f"no data set {dataset_id!r} (it may have expired: {kept(settings)}); there are "
        + ", ".join(BUILT_IN + tuple(uploaded_ids(settings)))
    )


def list_all(settings: Settings) -> list[dict]:
    prune(settings)
    return [info(settings, i) for i in (*BUILT_IN, *uploaded_ids(settings))]


def missing(settings: Settings, dataset_id: str) -> str | None:
    """Why ``dataset_id`` cannot be trained on (and how to get it), or ``None`` if it can."""
    if dataset_id in data.NAMES:
        try:
            for split in ("train", "test"):
                for filename in data.FILES[split]:
                    data.find_file(dataset_id, filename, settings.data_dir)
        except data.DatasetNotFound as e:
            return str(e)
        return None
    if dataset_id == cifar10.NAME:
        found = cifar10.find_source(settings.data_dir)
        return None if found is not None else cifar10.how_to_get(settings.data_dir)
    info(settings, dataset_id)  # raises when unknown
    return None


def load_split(settings: Settings, dataset_id: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``split`` as the network input: float32 ``(N, C, H, W)`` in [0, 1], int64 ``(N,)``."""
    if dataset_id in data.NAMES:
        images, labels = data.load_dataset(dataset_id, split, settings.data_dir)
        return to_input(images), labels.astype(np.int64)
    if dataset_id == cifar10.NAME:
        images, labels = cifar10.load(split, settings.data_dir, settings.cache_dir)
        return cifar10.to_input(images), labels
    info(settings, dataset_id)
    return image_folder.load(datasets_dir(settings) / f"{dataset_id}.npz").images(split)


# ------------------------------------------------------------------------------------- writing


def new_id(settings: Settings, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "dataset"
    taken = set(BUILT_IN) | set(uploaded_ids(settings))
    return base if base not in taken else f"{base}-{secrets.token_hex(3)}"


def add(settings: Settings, archive: Path, name: str) -> dict:
    """Inspect and decode the zip at ``archive``, then store it; returns its ``DatasetInfo``.

    Raises :class:`engine.image_folder.BadImageFolder` (nothing is written) when it is refused.
    """
    folder = image_folder.read_folder(archive, limits(settings))
    folder_dir = datasets_dir(settings)
    dataset_id = new_id(settings, name)
    record = {
        "id": dataset_id,
        "name": name,
        "classes": folder.classes,
        "counts": folder.counts(),
        "image_shape": list(folder.image_shape),
        "builtin": False,
        "available": True,
        "source": MADE_SPLIT if folder.split_made else "uploaded: train/ and test/ as given",
        "created": time.time(),
    }
    arrays = folder_dir / f"{dataset_id}.npz"
    image_folder.save(folder, arrays)
    try:
        atomic_write_bytes(folder_dir / f"{dataset_id}.json", json.dumps(record).encode())
    except OSError:
        arrays.unlink(missing_ok=True)
        raise
    prune(settings, keep=dataset_id)
    return record


def prune(settings: Settings, keep: str | None = None) -> list[str]:
    """Delete the uploads older than ``max_dataset_age_days``, then the oldest ones while there
    are more than ``max_datasets`` or they hold more than ``max_dataset_store_bytes`` (never
    ``keep``, the one just stored). Returns the ids deleted."""
    budget = Budget(
        settings.max_dataset_age_days * 86_400, settings.max_datasets,
        settings.max_dataset_store_bytes,
    )  # fmt: skip
    return prune_folder(datasets_dir(settings), uploaded_ids(settings), ".npz", budget, keep)


def _remove(folder: Path, dataset_id: str) -> None:
    (folder / f"{dataset_id}.json").unlink(missing_ok=True)  # unlisted first
    (folder / f"{dataset_id}.npz").unlink(missing_ok=True)


def delete(settings: Settings, dataset_id: str) -> dict:
    """Remove an uploaded data set (its listing first); ``ValueError`` for a built-in one."""
    record = info(settings, dataset_id)
    if record["builtin"]:
        raise ValueError(f"dataset_id: {dataset_id!r} is built in and read-only")
    _remove(datasets_dir(settings), dataset_id)
    return record
