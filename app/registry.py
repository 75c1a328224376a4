"""The installed models: every ``<models_dir>/<id>.npz``, loaded once, shared by every request.

A model's id is its file's stem (``mnist-cnn.npz`` → ``mnist-cnn``) and must match
``^[a-z0-9][a-z0-9._-]{0,63}$``. Its *card* is the metadata saved with the weights
(``model.meta``: dataset, test accuracy, training history), updated by an optional
``<id>.json`` beside the weights. A file that does not load is skipped and its error kept in
``errors`` (``GET /api/health`` shows them); it never stops the server. Hidden files (the
temporary files of an atomic save) and training checkpoints (``*.ckpt.npz``) are not models.

Requests only read the registry; ``reload()`` and ``add()`` swap whole entries under a lock, so
a request sees either the old model or the new one, never a half-loaded one.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from engine.model import Sequential

log = logging.getLogger("cnn_explorer.registry")

MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_CARD_BYTES = 64 * 1024


@dataclass(frozen=True)
class LoadedModel:
    """One installed model: its id, the engine model and its card."""

    id: str
    model: Sequential
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
        }


def check_model_id(model_id: str) -> str:
    """``model_id`` if it is a valid id, else ``ValueError`` naming the rule."""
    if not isinstance(model_id, str) or not MODEL_ID.match(model_id):
        raise ValueError(
            f"model id must match {MODEL_ID.pattern} (lower-case letters, digits, '.', '_', "
            f"'-'; at most 64 characters), got {model_id!r}"
        )
    return model_id


def read_card(model: Sequential, sidecar: Path) -> dict:
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
        self._lock = threading.Lock()

    def reload(self) -> None:
        """(Re)load every ``*.npz`` in ``models_dir``; the new set replaces the old at once."""
        models, errors = {}, {}
        paths = sorted(self.models_dir.glob("*.npz")) if self.models_dir.is_dir() else []
        for path in paths:
            if path.name.startswith(".") or path.name.endswith(".ckpt.npz"):
                continue
            try:
                entry = self._load(path)
            except (OSError, ValueError) as e:
                errors[path.name] = str(e)
                log.warning("model %s not loaded: %s", path.name, e)
                continue
            models[entry.id] = entry
            log.info("loaded model %s (%d parameters)", entry.id, entry.model.num_params)
        with self._lock:
            self._models, self.errors = models, errors

    def _load(self, path: Path) -> LoadedModel:
        model_id = check_model_id(path.stem)
        model = Sequential.load(path)
        return LoadedModel(model_id, model, read_card(model, path.with_suffix(".json")))

    def add(self, model_id: str, model: Sequential, card: dict | None = None) -> LoadedModel:
        """Install ``model`` under ``model_id`` (replacing any model of that id)."""
        entry = LoadedModel(check_model_id(model_id), model, dict(model.meta) | dict(card or {}))
        with self._lock:
            self._models = {**self._models, entry.id: entry}
        return entry

    def remove(self, model_id: str) -> None:
        """Forget ``model_id`` (its files are the caller's business); no error if unknown."""
        with self._lock:
            self._models = {k: v for k, v in self._models.items() if k != model_id}

    def get(self, model_id: str) -> LoadedModel:
        """The model of ``model_id``; ``KeyError`` if there is none."""
        return self._models[model_id]

    def all(self) -> list[LoadedModel]:
        """Every model, the default first, then by id."""
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
        return len(self._models)
