"""Writing models into the models directory: ids made from names, install, rename, delete.

An id is made from the display name (``"My tiny net!"`` → ``my-tiny-net``) and is never one
already in use — not an installed model, not a file in the directory, and never the shipped
default — so nothing is ever overwritten: a clash gets ``-2``, ``-3``, .... Every path written
is ``<models_dir>/<id>.npz`` (or ``.json``) with an id that passed ``check_model_id``.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from app.core.registry import LoadedModel, ModelRegistry, check_model_id, read_card
from app.core.settings import Settings
from engine.io import atomic_write_bytes
from engine.model import Model

MAX_ID = 64
_lock = threading.Lock()


class ProtectedModel(PermissionError):
    """The shipped default model is read-only."""


def slugify(name: str) -> str:
    """A model id from a display name: ASCII lower case, runs of anything else as one ``-``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:MAX_ID].rstrip("-") or "model"


def taken_ids(settings: Settings, registry: ModelRegistry | None) -> set[str]:
    """Ids that a new model must not get: installed, on disk (weights or card), the default."""
    on_disk = set()
    if settings.models_dir.is_dir():
        for p in settings.models_dir.iterdir():
            on_disk.add(p.name.removesuffix(".npz").removesuffix(".json").removesuffix(".ckpt"))
    installed = set(registry.ids()) if registry is not None else set()
    return installed | on_disk | {settings.default_model}


def unique_id(name: str, taken: Iterable[str]) -> str:
    """``slugify(name)``, with ``-2``, ``-3``, ... appended until it is not in ``taken``."""
    taken = set(taken)
    base = slugify(name)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[: MAX_ID - len(suffix)] + suffix
    return check_model_id(candidate)


def save_new(settings: Settings, model: Model, name: str, avoid: Iterable[str] = ()) -> str:
    """Save ``model`` as ``<models_dir>/<new id>.npz`` (atomically); its id, made from ``name``
    and not one in use (``avoid`` holds ids planned for other models). Every server process
    sees it at its next look at the directory (``ModelRegistry.refresh``)."""
    with _lock:
        model_id = unique_id(name, taken_ids(settings, None) | set(avoid))
        model.meta["name"] = name
        model.name = name
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        model.save(settings.models_dir / f"{model_id}.npz")
        return model_id


def install(
    settings: Settings,
    registry: ModelRegistry,
    model: Model,
    name: str,
    avoid: Iterable[str] = (),
) -> LoadedModel:
    """:func:`save_new`, then add the model to this process's ``registry`` at once."""
    model_id = save_new(settings, model, name, set(avoid) | set(registry.ids()))
    path = settings.models_dir / f"{model_id}.npz"
    return registry.add(model_id, model, read_card(model, path.with_suffix(".json")))


def _check_editable(settings: Settings, model_id: str, action: str) -> None:
    if model_id == settings.default_model:
        raise ProtectedModel(
            f"model_id: {model_id!r} is the shipped default model and cannot be {action}; "
            "train or import a model of your own to change"
        )


def rename(settings: Settings, registry: ModelRegistry, entry: LoadedModel, name: str):
    """Give a model a new display name, kept in its card ``<id>.json``; the id stays."""
    _check_editable(settings, entry.id, "renamed")
    path = settings.models_dir / f"{check_model_id(entry.id)}.json"
    with _lock:
        card = {}
        if path.is_file():
            card = json.loads(path.read_text(encoding="utf-8"))
        card["name"] = name
        atomic_write_bytes(path, json.dumps(card, indent=2).encode())
        return registry.add(entry.id, entry.model, {**entry.card, "name": name})


def set_convention(settings: Settings, registry: ModelRegistry, entry: LoadedModel, convention):
    """Change how the model wants its input (an import's ``Normalize`` guessed wrong, say):
    written into its ``.npz`` atomically, and the model replaced in the registry by a new object
    (the same weights), so every cache keyed by the model — its evaluation too — scores afresh."""
    _check_editable(settings, entry.id, "changed")
    model = copy.copy(entry.model)  # shallow: a new key for the caches, the weights shared
    model.meta = {**entry.model.meta, "input": convention}
    with _lock:
        model.save(settings.models_dir / f"{check_model_id(entry.id)}.npz")
        return registry.add(entry.id, model, {**entry.card, "input": convention})


def delete(settings: Settings, registry: ModelRegistry, model_id: str) -> None:
    """Remove a model's weights and card and forget it; never the shipped default."""
    _check_editable(settings, model_id, "deleted")
    check_model_id(model_id)
    with _lock:
        for suffix in (".npz", ".json"):
            Path(settings.models_dir / f"{model_id}{suffix}").unlink(missing_ok=True)
        registry.remove(model_id)
