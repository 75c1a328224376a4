"""A model's ``.npz`` file: every parameter and buffer under a PyTorch-style name
(``conv1.weight``, ``bn1.running_mean``, ...) and, under ``__architecture__``, the architecture
and metadata as UTF-8 JSON bytes (layer specs with their ``inputs`` for a graph).

Files are loaded with ``allow_pickle=False`` and validated key by key, shape by shape, so a
truncated, mismatched or hostile file raises ``ValueError`` saying what is wrong.
"""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.archive import MAX_MODEL_BYTES, inspect_npz
from engine.io import atomic_path

if TYPE_CHECKING:
    from engine.model import Model

FORMAT = "cnn-explorer/1"
ARCH_KEY = "__architecture__"
MAX_ARCH_BYTES = 1 << 20


def save(model: Model, path: str | Path) -> None:
    """Write ``model``'s state and architecture to ``path`` atomically."""
    arch = json.dumps(model.architecture()).encode()
    arrays = {ARCH_KEY: np.frombuffer(arch, dtype=np.uint8)}
    arrays.update(model.state())
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def read_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, read without pickles; ValueError for anything unreadable."""
    path = Path(path)
    try:
        inspect_npz(path, MAX_MODEL_BYTES, path.name)  # headers and sizes, before any data
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"{path.name}: not a readable .npz weight file ({e})") from None


def architecture_of(arrays: dict[str, np.ndarray], source: str) -> dict:
    """Pop and parse the architecture JSON from ``arrays``; ValueError naming what is wrong."""
    raw = arrays.pop(ARCH_KEY, None)
    if raw is None:
        raise ValueError(f"{source}: no {ARCH_KEY} entry; not a CNN Explorer model file")
    if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > MAX_ARCH_BYTES:
        raise ValueError(f"{source}: {ARCH_KEY} must be UTF-8 JSON bytes under 1 MiB")
    try:
        arch = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{source}: architecture is not valid JSON ({e})") from None
    if not isinstance(arch, dict) or arch.get("format") != FORMAT:
        raise ValueError(f"{source}: architecture format must be {FORMAT!r}")
    return arch


def copy_state(state: dict[str, np.ndarray], arrays: dict[str, np.ndarray], source: str) -> None:
    """Copy ``arrays`` into the live ``state`` arrays after checking all of them: the same
    names, each with the right shape, the architecture's kind of dtype (floating point, or
    integer for a counter such as batch norm's ``num_batches_tracked``) and only finite
    values."""
    missing = sorted(set(state) - set(arrays))
    extra = sorted(set(arrays) - set(state))
    if missing or extra:
        raise ValueError(f"{source}: parameters missing {missing!r}, unexpected {extra!r}")
    for k, p in state.items():
        a = np.asarray(arrays[k])
        if a.shape != p.shape:
            raise ValueError(f"{source}: {k} has shape {a.shape}, the architecture needs {p.shape}")
        kind = np.integer if np.issubdtype(p.dtype, np.integer) else np.floating
        if not np.issubdtype(a.dtype, kind):
            expected = "integer" if kind is np.integer else "floating point"
            raise ValueError(f"{source}: {k} has dtype {a.dtype}, expected {expected}")
        if not np.isfinite(a).all():
            raise ValueError(f"{source}: {k} contains NaN or infinity")
    for k, p in state.items():
        p[...] = arrays[k]


def shallow_copy(model: Model) -> Model:
    """A copy of ``model`` whose layers share its weight and buffer arrays but own their
    caches and gradients."""
    layers = []
    for layer in model.layers:
        clone = copy.copy(layer)
        clone.cache, clone.grads = None, {}
        layers.append(clone)
    return type(model)(
        layers, model.input_shape, model.classes, model.name, model.meta, inputs=model.inputs
    )
