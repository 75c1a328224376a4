"""The per-user side of the command and the notebook: where models go, the shipped models
copied there once, importing a model file, and waiting for a server to answer.

Models live in ``CNN_EXPLORER_MODELS_DIR`` if set, else ``<user folder>/models``
(``~/.local/share/cnn-explorer/models`` on Linux): never the checkout, never site-packages.
The shipped models are copied in the first time each is seen; one the user deletes stays
deleted (``.shipped.json`` lists what was copied).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from app.core.paths import RESOURCES, user_dir
from app.core.settings import PREFIX, Settings
from app.models.onnx_upload import CLASSES  # every data set's labels, CIFAR-10's too
from app.models.store import slugify, unique_id
from engine import onnx_import
from engine.io import atomic_write_bytes
from engine.model import Model

SEEDED = ".shipped.json"  # the shipped files already copied into a user's models folder


def models_dir() -> Path:
    """Where the command and the notebook keep models."""
    chosen = os.environ.get(f"{PREFIX}MODELS_DIR")
    return Path(chosen).expanduser() if chosen else user_dir() / "models"


def environment(models: Path) -> dict[str, str]:
    """The ``CNN_EXPLORER_*`` variables a server over ``models`` needs beyond the user's own:
    its cached tables go beside the models unless ``CNN_EXPLORER_CACHE_DIR`` says otherwise."""
    env = {f"{PREFIX}MODELS_DIR": str(models)}
    if not os.environ.get(f"{PREFIX}CACHE_DIR"):
        env[f"{PREFIX}CACHE_DIR"] = str(models.parent / "cache")
    return env


def seed(target: Path, shipped: Path = RESOURCES / "models") -> list[str]:
    """Copy into ``target`` each shipped model file (weights and card) never copied before;
    the names copied now."""
    target.mkdir(parents=True, exist_ok=True)
    record = target / SEEDED
    done = set(json.loads(record.read_text(encoding="utf-8"))) if record.is_file() else set()
    copied = []
    for src in sorted(shipped.glob("*")):
        if src.suffix in (".npz", ".json", ".md") and src.name not in done | {"README.md"}:
            if not (target / src.name).exists():
                atomic_write_bytes(target / src.name, src.read_bytes())
                copied.append(src.name)
            done.add(src.name)
    atomic_write_bytes(record, json.dumps(sorted(done)).encode())
    return copied


def import_model(
    path: Path,
    models: Path,
    *,
    name: str | None = None,
    channels: str | None = None,
    mean: list[float] | None = None,
    std: list[float] | None = None,
    scale: float | None = None,
    invert: bool = False,
    classes: list[str] | None = None,
    dataset: str = "mnist",
    external_data: list[Path] = (),
) -> str:
    """Import the ONNX file ``path`` into ``models``; its id. ``ValueError`` (the importer's
    message) when the file is refused. Opening the same file again replaces its earlier import."""
    path = Path(path)
    data = path.read_bytes()
    external = {p.name: p.read_bytes() for p in external_data}
    beside = path.with_name(path.name + ".data")  # torch.onnx's external data, found by name
    if beside.is_file() and beside.name not in external:
        external[beside.name] = beside.read_bytes()
    given = {"channels": channels, "mean": mean, "std": std, "scale": scale}
    convention = {k: v for k, v in given.items() if v is not None} | {"invert": invert}
    limits = onnx_import.Limits(max_bytes=Settings.from_env().max_import_bytes)
    name = name or path.stem
    model = onnx_import.import_onnx(
        data, external, name=name, classes=classes, convention=convention, source=path.name,
        limits=limits,
    )  # fmt: skip
    numbered = model.classes == [str(i) for i in range(len(model.classes))]
    if classes is None and numbered and len(model.classes) == len(CLASSES[dataset]):
        model.classes = list(CLASSES[dataset])
    model.name = name
    model.meta.update({"dataset": dataset, "imported_from": path.name, "name": name})
    model_id = _id_for(models, name, path.name)
    models.mkdir(parents=True, exist_ok=True)
    model.save(models / f"{model_id}.npz")
    return model_id


def _id_for(models: Path, name: str, source: str) -> str:
    """``slugify(name)``, reused when that model was imported from a file of the same name."""
    model_id = slugify(name)
    existing = models / f"{model_id}.npz"
    if not existing.exists() or Model.load(existing).meta.get("imported_from") == source:
        return model_id
    taken = {p.name.split(".")[0] for p in models.iterdir()}
    return unique_id(name, taken)


def browser_host(host: str) -> str:
    """The address a browser on this machine uses for a server listening on ``host``."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def page_url(host: str, port: int, model_id: str | None = None) -> str:
    base = f"http://{browser_host(host)}:{port}/"
    return base if model_id is None else f"{base}?model={model_id}"


def wait_until_up(url: str, timeout: float = 60.0) -> bool:
    """Whether ``<url>api/health`` answers within ``timeout`` seconds (asked every 0.1 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url.split("?")[0] + "api/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    return False
