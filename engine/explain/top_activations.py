"""The dataset images that excite each conv filter most, with the input patch each one saw.

For every conv layer and every filter ``f``, an image's activation is the maximum over positions
of its feature map ``f`` (the conv output, before any ReLU — the same ranking as after it); the
``k`` images with the largest maxima are kept, with the position of the maximum and its
receptive-field box in input coordinates (:mod:`engine.explain.geometry`). Computing this means
classifying the whole set, so the result is cached in ``cache_dir`` as an ``.npz`` keyed by a
SHA-256 of the model's architecture and weights, the images and ``k``: a changed model gets a
new key, so a stale cache is never read. Files are written atomically and read with
``allow_pickle=False``; an unreadable or mismatched file is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.convention import model_convention, to_network
from engine.explain.geometry import crop_patches, input_box, receptive_field
from engine.io import atomic_path
from engine.model import Model

CACHE_VERSION = "top-activations/1"
META_KEY = "__meta__"
NAMES = ("index", "value", "row", "col", "box", "patches")


def weights_hash(model: Model) -> str:
    """SHA-256 (hex) of the architecture, input convention and every parameter's and buffer's
    name, dtype, shape and bytes."""
    h = hashlib.sha256(json.dumps(model.architecture()["layers"], sort_keys=True).encode())
    h.update(json.dumps(model_convention(model), sort_keys=True).encode())
    for name, p in sorted(model.state().items()):  # buffers too: BN statistics, constants
        h.update(f"{name}:{p.dtype.str}:{p.shape}".encode())
        h.update(np.ascontiguousarray(p).tobytes())
    return h.hexdigest()


def cache_key(model: Model, images: np.ndarray, k: int, patches: bool = True) -> str:
    """SHA-256 (hex) of :func:`weights_hash`, the images, ``k`` and whether patches are kept."""
    cut = "" if patches else ":uncut"
    h = hashlib.sha256(f"{CACHE_VERSION}:{weights_hash(model)}:k={k}{cut}:".encode())
    h.update(f"{images.dtype.str}:{images.shape}".encode())
    h.update(np.ascontiguousarray(images).tobytes())
    return h.hexdigest()


def conv_layers(model: Model) -> list[int]:
    """Indices of the conv2d layers."""
    return [i for i, layer in enumerate(model.layers) if layer.type == "conv2d"]


@dataclass
class LayerTop:
    """The top ``k`` images of each of the ``F`` filters of one conv layer, best first.

    index: (F, k) image indices; value: (F, k) the maxima; row, col: (F, k) where in the
    feature map; box: (F, k, 4) the input box ``(top, left, bottom, right)``, half-open;
    patches: (F, k, h, w) — (F, k, C, h, w) for colour images — the images cut to the boxes
    (zero outside the image), or ``None`` when not cut (:func:`cut` cuts them on demand).
    """

    index: np.ndarray
    value: np.ndarray
    row: np.ndarray
    col: np.ndarray
    box: np.ndarray
    patches: np.ndarray | None


def cut(images: np.ndarray, top: LayerTop, filters, k: int) -> np.ndarray:
    """The first ``k`` patches of ``filters`` of one layer, cut from ``images`` (the set the
    table was made from): (n, k, [C,] h, w)."""
    box = top.box[filters, :k]  # (n, k, 4)
    size = (int(box[0, 0, 2] - box[0, 0, 0]), int(box[0, 0, 3] - box[0, 0, 1]))
    patches = crop_patches(
        images, top.index[filters, :k].ravel(), box[..., 0].ravel(), box[..., 1].ravel(), size
    )  # (n*k, [C,] h, w)
    return patches.reshape(*box.shape[:2], *patches.shape[1:])


@dataclass
class TopActivations:
    key: str
    k: int
    layers: dict[int, LayerTop] = field(default_factory=dict)
    from_cache: bool = False
    seconds: float = 0.0


def _merge(best_v, best_i, best_p, v, i, p, k):
    """Keep the ``k`` largest values per row; ties go to the smaller image index.

    best_*: (F, k') and v, i, p: (F, B) → (F, k) each.
    """
    all_v = np.concatenate([best_v, v], axis=1)
    all_i = np.concatenate([best_i, i], axis=1)
    all_p = np.concatenate([best_p, p], axis=1)
    order = np.lexsort((all_i, -all_v), axis=1)[:, :k]  # by value desc, then index asc
    take = np.take_along_axis
    return take(all_v, order, 1), take(all_i, order, 1), take(all_p, order, 1)


def compute_top_activations(
    model: Model,
    images: np.ndarray,
    k: int = 9,
    batch_size: int = 500,
    progress: Callable[[], None] | None = None,
    patches: bool = True,
) -> dict[int, LayerTop]:
    """Batched forward passes over ``images`` uint8 (or floats in [0, 1]): ``(N, H, W)`` for
    a one-channel model, ``(N, C, H, W)`` (in the model's channel order) for any.

    ``progress`` is called before each batch; it may raise to stop the work. ``patches=False``
    keeps no patches (a big model's deep boxes are most of the image: cut them on demand).
    """
    C, H, W = model.input_shape
    grey = images.ndim == 3 and C == 1 and images.shape[1:] == (H, W)
    if not grey and (images.ndim != 4 or images.shape[1:] != (C, H, W)):
        want = f"(N, {H}, {W}) or " if C == 1 else ""
        raise ValueError(
            f"images must be {want}(N, {C}, {H}, {W}) for a model with input "
            f"{model.input_shape}, got {images.shape}"
        )
    layers = conv_layers(model)
    if not layers:
        return {}
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    convention = model_convention(model)
    state = {}
    for L in layers:
        F = model.shapes[L + 1][0]
        empty = np.zeros((F, 0))
        state[L] = (empty, empty.astype(np.int64), empty.astype(np.int64))
    for start in range(0, len(images), batch_size):
        if progress is not None:
            progress()
        batch = images[start : start + batch_size]
        x = batch.astype(np.float32) / scale
        x = x[:, None] if grey else x  # (B, H, W) → (B, 1, H, W); colour is (B, C, H, W)
        x = to_network(x, convention)  # as the model was trained to see them
        outputs = model.forward(x, return_all=True, stop=layers[-1] + 1)
        for L in layers:
            A = outputs[L]  # (B, F, h, w)
            B, F, h, w = A.shape
            flat = A.reshape(B, F, h * w)  # (B, F, h*w)
            pos = flat.argmax(axis=2)  # (B, F)
            val = np.take_along_axis(flat, pos[..., None], axis=2)[..., 0]  # (B, F)
            idx = np.broadcast_to(np.arange(start, start + B)[:, None], (B, F))
            state[L] = _merge(*state[L], val.T, idx.T, pos.T, k)
    result = {}
    for L, (value, index, pos) in state.items():
        w_out = model.shapes[L + 1][2]
        row, col = pos // w_out, pos % w_out
        top, left, bottom, right = input_box(model, L, row, col)
        box = np.stack([top, left, bottom, right], axis=-1)  # (F, k, 4)
        cuts = None
        if patches:
            size = receptive_field(model, L)
            cuts = crop_patches(images, index.ravel(), top.ravel(), left.ravel(), size)
            cuts = cuts.reshape(*index.shape, *cuts.shape[1:])  # (F*k, ..) → (F, k, [C,] h, w)
        result[L] = LayerTop(index, value.astype(np.float32), row, col, box, cuts)
    return result


def _save(path: Path, key: str, k: int, layers: dict[int, LayerTop]) -> None:
    meta = {"version": CACHE_VERSION, "key": key, "k": k, "layers": sorted(layers)}
    arrays = {META_KEY: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    for L, top in layers.items():
        for name in NAMES:
            if getattr(top, name) is not None:
                arrays[f"{L}.{name}"] = getattr(top, name)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def _load(path: Path, key: str, k: int) -> dict[int, LayerTop] | None:
    """The cached layers, or ``None`` when the file is missing, unreadable or for another key."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(npz[META_KEY].tobytes().decode())
            if meta.get("version") != CACHE_VERSION or meta.get("key") != key or meta["k"] != k:
                return None
            return {
                int(L): LayerTop(*(npz.get(f"{L}.{name}") for name in NAMES))
                for L in meta["layers"]
            }
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def top_activations(
    model: Model,
    images: np.ndarray,
    k: int = 9,
    cache_dir: str | Path | None = None,
    batch_size: int = 500,
    progress: Callable[[], None] | None = None,
    patches: bool = True,
) -> TopActivations:
    """Top-``k`` images per filter of every conv layer, from ``cache_dir`` when it has them.

    images: (N, H, W) or (N, C, H, W) uint8 (:func:`compute_top_activations`). Without
    ``cache_dir`` nothing is read or written; a cache that cannot be written is skipped.
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(images):
        raise ValueError(f"k must be an int in 1..{len(images)}, got {k!r}")
    t0 = time.perf_counter()
    key = cache_key(model, images, k, patches)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"top-activations-{key[:24]}.npz"
        cached = _load(path, key, k) if path.is_file() else None
        if cached is not None:
            return TopActivations(key, k, cached, True, time.perf_counter() - t0)
    layers = compute_top_activations(model, images, k, batch_size, progress, patches)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _save(path, key, k, layers)
        except OSError:  # a read-only or full disk costs the next caller time, nothing else
            pass
    return TopActivations(key, k, layers, False, time.perf_counter() - t0)
