"""The installed models: every ``<models_dir>/<id>.npz``, loaded once, shared by every request.

A model's id is its file's stem (``mnist-cnn.npz`` → ``mnist-cnn``) and must match
``^[a-z0-9][a-z0-9._-]{0,63}$``. Its *card* is the metadata saved with the weights
(``model.meta``: dataset, test accuracy, training history), updated by an optional
``<id>.json`` beside the weights. A file that does not load is skipped and its error kept in
``errors`` (``GET /api/health`` shows them); it never stops the server. Hidden files (the
temporary files of an atomic save) and training checkpoints (``*.ckpt.npz``) are not models.

Requests only read the registry; ``reload()`` and ``add()`` swap whole entries under a lock, so
a request sees either the old model or the new one, never a half-loaded one.

Several server processes (uvicorn workers) each have a registry over the same directory. Every
write there is atomic (a temporary file renamed into place), so a reader calls ``refresh()``
(``get()`` and ``all()`` do): when the directory changed since it last looked — or every
``FULL_CHECK_SECONDS`` in any case — it reloads just the files whose size, time or inode changed,
and forgets models whose files are gone. A model added in memory only (tests) has no file and is
left alone.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.convention import IDENTITY, complete_convention, model_convention
from engine.model import Model

log = logging.getLogger("cnn_explorer.registry")

MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_CARD_BYTES = 64 * 1024
FULL_CHECK_SECONDS = 2.0  # files are compared at least this often, even with no directory change

Stamp = tuple  # (size, mtime_ns, inode) of the weights and of the card, None where absent


def _file_stamp(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _stamp(path: Path) -> Stamp | None:
    """What identifies the model file ``path`` and its card; ``None`` if the weights are gone."""
    weights = _file_stamp(path)
    return None if weights is None else (weights, _file_stamp(path.with_suffix(".json")))


def model_files(models_dir: Path) -> list[Path]:
    """The ``*.npz`` in ``models_dir`` that are models (not hidden temporaries, not checkpoints)."""
    if not models_dir.is_dir():
        return []
    return [
        p
        for p in sorted(models_dir.glob("*.npz"))
        if not p.name.startswith(".") and not p.name.endswith(".ckpt.npz")
    ]


@dataclass(frozen=True)
class LoadedModel:
    """One installed model: its id, the engine model and its card."""

    id: str
    model: Model
    card: dict = field(default_factory=dict)

    def info(self) -> dict:
        """The API's ``ModelInfo``."""
        m = self.model
        accuracy = self.card.get("test_accuracy")
        dataset = self.card.get("dataset")
        return {
            "id": self.id,
            "name": str(self.card.get("name") or m.name),
            "dataset": None if dataset is None else str(dataset),
            "classes": list(m.classes),
            "input_shape": list(m.input_shape),
            "num_params": m.num_params,
            "test_accuracy": float(accuracy) if isinstance(accuracy, (int, float)) else None,
            "input": input_convention(m),
            "source": model_source(self.card),
        }


def input_convention(model) -> dict:
    """The model's input convention as stored (api.md), every key filled in with the defaults
    for its input (``engine.convention.complete_convention``); the identity when it has none."""
    stored = model_convention(model)
    try:
        return complete_convention(stored, tuple(model.input_shape))
    except ValueError:  # a convention stored before the checks existed: as it is
        return {**IDENTITY, **stored} if stored else dict(IDENTITY)


def model_source(card: dict) -> str:
    """Where a model came from: ``"onnx"``, ``"npz"``, ``"trained"`` or ``"shipped"``."""
    source = card.get("source")
    if source in ("onnx", "npz", "trained", "shipped"):
        return source
    if "imported_from" in card:
        return "npz"
    return "trained" if "training" in card or "trained_at" in card else "npz"


def check_model_id(model_id: str) -> str:
    """``model_id`` if it is a valid id, else ``ValueError`` naming the rule."""
    if not isinstance(model_id, str) or not MODEL_ID.match(model_id):
        raise ValueError(
            f"model id must match {MODEL_ID.pattern} (lower-case letters, digits, '.', '_', "
            f"'-'; at most 64 characters), got {model_id!r}"
        )
    return model_id


def read_card(model: Model, sidecar: Path) -> dict:
    """The model's ``meta``, updated by the JSON object in ``sidecar`` if that file exists."""
    card = dict(model.meta)
    if not sidecar.is_file():
        return card
    if sidecar.stat().st_size > MAX_CARD_BYTES:
        raise ValueError(f"{sidecar.name}: a model card must be under {MAX_CARD_BYTES} bytes")
    try:
        extra = json.loads(sidecar.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{sidecar.name}: not valid JSON ({e})") from None
    if not isinstance(extra, dict):
        raise ValueError(f"{sidecar.name}: a model card must be a JSON object")
    card.update(extra)
    return card


class ModelRegistry:
    """Thread-safe map from model id to :class:`LoadedModel`."""

    def __init__(self, models_dir: Path, default_id: str = "mnist-cnn"):
        self.models_dir = Path(models_dir)
        self.default_id = default_id
        self.errors: dict[str, str] = {}  # file name → why it was not loaded
        self._models: dict[str, LoadedModel] = {}
        self._stamps: dict[str, Stamp | None] = {}  # file name → stamp when last loaded
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._dir_mtime: int | None = None
        self._checked = 0.0

    def reload(self) -> None:
        """(Re)load every ``*.npz`` in ``models_dir``; the new set replaces the old at once."""
        self._dir_mtime, self._checked = self._dir_stamp(), time.monotonic()
        models, errors, stamps = {}, {}, {}
        for path in model_files(self.models_dir):
            stamps[path.name] = _stamp(path)
            try:
                entry = self._load(path)
            except (OSError, ValueError) as e:
                errors[path.name] = str(e)
                log.warning("model %s not loaded: %s", path.name, e)
                continue
            models[entry.id] = entry
            log.info("loaded model %s (%d parameters)", entry.id, entry.model.num_params)
        with self._lock:
            self._models, self.errors, self._stamps = models, errors, stamps

    def _dir_stamp(self) -> int | None:
        try:
            return os.stat(self.models_dir).st_mtime_ns
        except OSError:
            return None

    def refresh(self) -> None:
        """Load what another process changed in ``models_dir`` since the last look (see the
        module's docstring); nearly free when nothing did. One thread refreshes at a time; the
        others go on with the current set."""
        dir_mtime, now = self._dir_stamp(), time.monotonic()
        if dir_mtime == self._dir_mtime and now - self._checked < FULL_CHECK_SECONDS:
            return
        if not self._refresh_lock.acquire(blocking=False):
            return
        try:
            # Noted first: a change made during the scan moves the mtime again, so it is seen.
            self._dir_mtime, self._checked = dir_mtime, now
            on_disk = {p.name: p for p in model_files(self.models_dir)}
            for name in sorted(set(on_disk) | {n for n, st in self._stamps.items() if st}):
                path = on_disk.get(name, self.models_dir / name)
                before, after = self._stamps.get(name), _stamp(path)
                if before != after:
                    self._replace(name, path, before, after)
        finally:
            self._refresh_lock.release()

    def _replace(self, name: str, path: Path, before, after) -> None:
        """Install the file ``name``'s new state, unless ``add()``/``remove()`` got there first."""
        entry, error = None, None
        if after is not None:
            try:
                entry = self._load(path)
            except (OSError, ValueError) as e:
                error = str(e)
        model_id = path.stem
        with self._lock:
            if self._stamps.get(name) != before:
                return
            models, errors = dict(self._models), dict(self.errors)
            models.pop(model_id, None)
            errors.pop(name, None)
            if entry is not None:
                models[entry.id] = entry
            if error is not None:
                errors[name] = error
            self._models, self.errors = models, errors
            self._stamps = {**self._stamps, name: after}
        what = "loaded" if entry else ("not loaded: " + error if error else "removed")
        log.info("model file %s changed on disk: %s", name, what)

    def _note_disk(self, model_id: str) -> None:
        """Remember the files of ``model_id`` as they are now (the caller holds the lock)."""
        name = f"{model_id}.npz"
        self._stamps = {**self._stamps, name: _stamp(self.models_dir / name)}

    def _load(self, path: Path) -> LoadedModel:
        model_id = check_model_id(path.stem)
        model = Model.load(path)
        card = read_card(model, path.with_suffix(".json"))
        if model_id == self.default_id and "source" not in card:
            card["source"] = "shipped"  # the read-only default that ships with the app
        return LoadedModel(model_id, model, card)

    def add(self, model_id: str, model: Model, card: dict | None = None) -> LoadedModel:
        """Install ``model`` under ``model_id`` (replacing any model of that id)."""
        entry = LoadedModel(check_model_id(model_id), model, dict(model.meta) | dict(card or {}))
        with self._lock:
            self._models = {**self._models, entry.id: entry}
            self._note_disk(entry.id)
        return entry

    def remove(self, model_id: str) -> None:
        """Forget ``model_id`` (its files are the caller's business); no error if unknown."""
        with self._lock:
            self._models = {k: v for k, v in self._models.items() if k != model_id}
            self._note_disk(model_id)

    def get(self, model_id: str) -> LoadedModel:
        """The model of ``model_id``; ``KeyError`` if there is none."""
        self.refresh()
        return self._models[model_id]

    def all(self) -> list[LoadedModel]:
        """Every model, the default first, then by id."""
        self.refresh()
        models = self._models
        return sorted(models.values(), key=lambda m: (m.id != self.default_id, m.id))

    def ids(self) -> list[str]:
        return [m.id for m in self.all()]

    @property
    def default(self) -> str | None:
        """The default model's id if it is installed, else the first id, else ``None``."""
        ids = self.ids()
        return ids[0] if ids else None

    def __len__(self) -> int:
        self.refresh()
        return len(self._models)
