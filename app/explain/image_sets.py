"""The images a model's top-activating table is made from, by what the model was trained on.

- a digit model (input ``1 × 28 × 28``): the shipped MNIST test set, as before;
- a CIFAR-10 model (``dataset = cifar10``, input ``3 × 32 × 32``): the CIFAR-10 test set from the
  configured data directory, or — when it is not there — the 150 test photos that ship with the
  repository (``engine.cifar10.load``: ``static/samples/cifar10`` beside the engine), or those
  in the app's own static folder (an install: the wheel's ``share/static``); the answer says
  which, and with none of them the bundled photos are ranked;
- any other model: the bundled photos (``static/samples/photos``), each through the model's own
  resize and crop (``engine.preprocess.network_input``), as the explorer shows them.

Images are uint8, ``(N, H, W)`` for a one-channel model and ``(N, C, H, W)`` in the model's
channel order otherwise (a ``bgr`` network's reversed), read once per model and kept.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi import HTTPException

from app.core.memo import token
from app.core.registry import LoadedModel
from app.core.settings import Settings
from app.datasets.testsets import test_set
from app.models.inference import rounded
from engine import cifar10
from engine.convention import model_convention
from engine.data import CLASSES
from engine.explain.top_activations import LayerTop, cut
from engine.photo import decode_image
from engine.preprocess import network_input

MNIST_SHAPE = (1, 28, 28)
PHOTOS = Path("samples") / "photos"  # under the static directory
CIFAR_SAMPLES = Path("samples") / "cifar10"  # the CIFAR-10 test photos the app ships
NEEDED = "top activations need the {} test set"


@dataclass(frozen=True)
class ImageSet:
    """name: what the answer calls it; images: uint8 (see the module); labels: one per image;
    rgb: whether ``images`` are colour pictures (patches shown in colour)."""

    name: str
    images: np.ndarray
    labels: list[str]
    rgb: bool


_sets: dict[tuple, ImageSet] = {}
_lock = threading.Lock()


def image_set(entry: LoadedModel, settings: Settings) -> ImageSet:
    """The set for ``entry``'s model (module docstring); 503 when its data set is missing."""
    model = entry.model
    shape = tuple(model.input_shape)
    dataset = str(entry.card.get("dataset") or "")
    key = (token(model), shape, dataset, str(settings.data_dir), str(settings.static_dir))
    with _lock:
        found = _sets.get(key)
    if found is not None:
        return found
    if shape == MNIST_SHAPE:  # every digit model, as before (whatever its card says)
        images, labels = test_set(settings.data_dir, "mnist", 503, NEEDED.format("MNIST"))
        made = ImageSet("mnist test", images, [CLASSES["mnist"][int(y)] for y in labels], False)
    elif dataset == cifar10.NAME and shape == cifar10.SHAPE and _has_cifar(settings):
        made = _cifar(entry, settings)
    else:
        made = _photos(entry, settings)
    with _lock:
        if len(_sets) >= 16:  # a few models' sets; photos at 224 × 224 are ~2 MB each
            _sets.clear()
        _sets[key] = made
    return made


def _has_cifar(settings: Settings) -> bool:
    """A full copy in the data directory, the engine's sample, or one in the static folder."""
    runtime = Path(settings.static_dir) / CIFAR_SAMPLES
    return cifar10.source(settings.data_dir) != "none" or any(runtime.glob("*.jpg"))


def _cifar(entry: LoadedModel, settings: Settings) -> ImageSet:
    """The test set (``test_set``: the full copy, else the engine's 150-photo sample); else the
    sample in the static folder the app serves (an install whose engine has none beside it)."""
    if cifar10.source(settings.data_dir) != "none":
        images, labels = test_set(settings.data_dir, cifar10.NAME, 503, NEEDED.format("CIFAR-10"))
        full = cifar10.source(settings.data_dir) != "sample"
    else:
        images, labels = cifar10.load_sample(Path(settings.static_dir) / CIFAR_SAMPLES)
        full = False
    name = "cifar10 test" if full else f"cifar10 test sample ({len(images)} photos)"
    names = [cifar10.CLASSES[int(y)] for y in labels]
    return ImageSet(name, _channel_order(images, entry), names, True)


def _channel_order(rgb: np.ndarray, entry: LoadedModel) -> np.ndarray:
    """``(N, 3, H, W)`` RGB → the model's channel order."""
    channels = (model_convention(entry.model) or {}).get("channels", "rgb")
    return np.ascontiguousarray(rgb[:, ::-1]) if channels == "bgr" else rgb


def _photos(entry: LoadedModel, settings: Settings) -> ImageSet:
    folder = Path(settings.static_dir) / PHOTOS
    try:
        names = [p["file"] for p in json.loads((folder / "manifest.json").read_text())["photos"]]
    except (OSError, ValueError, KeyError, TypeError):
        names = sorted(p.name for p in folder.glob("*.jpg"))
    if not names:
        raise HTTPException(503, f"top images need the bundled photos in {PHOTOS}, not found")
    model = entry.model
    convention = model_convention(model)
    shown = []
    for name in names:
        picture = decode_image((folder / name).read_bytes())
        shown.append(network_input(picture, convention, tuple(model.input_shape)).shown)
    pictures = (255 * np.clip(np.stack(shown), 0, 1)).round().astype(np.uint8)
    # (N, H, W) grey, or (N, 3, H, W) RGB; a one-channel model takes (N, H, W)
    rgb = pictures.ndim == 4
    if rgb:
        pictures = _channel_order(pictures, entry)
    return ImageSet("bundled photos", pictures, [Path(n).stem for n in names], rgb)


def patches_of(entry: LoadedModel, images: ImageSet, layer: LayerTop, filters, k: int):
    """The first ``k`` patches of ``filters``, (n, k, [C,] h, w) in [0, 1], RGB order: the
    table's own, or cut from ``images`` (a colour table keeps none)."""
    if layer.patches is not None:
        return layer.patches[filters, :k].astype(np.float64) / 255.0
    patches = cut(images.images, layer, filters, k)  # (n, k, C, h, w)
    if (model_convention(entry.model) or {}).get("channels") == "bgr":
        patches = patches[:, :, ::-1]  # shown in R, G, B order
    return patches.astype(np.float64) / 255.0


def answer(ml, layer: LayerTop, images: ImageSet, filters, patches, cached: bool, seconds: float):
    """The ``TopActivationsResult`` of ``filters`` of one layer's table."""
    return {
        "layer": ml.index,
        "name": ml.layer.name,
        "k": patches.shape[1],
        "receptive_field": list(patches.shape[-2:]),
        "dataset": images.name,
        "channels": 3 if images.rgb else 1,
        "cached": cached,
        "seconds": round(seconds, 3),
        "filters": [
            {
                "filter": f,
                "examples": [
                    {
                        "index": int(layer.index[f, r]),
                        "label": images.labels[int(layer.index[f, r])],
                        "value": float(layer.value[f, r]),
                        "position": [int(layer.row[f, r]), int(layer.col[f, r])],
                        "box": [int(v) for v in layer.box[f, r]],
                        "patch": rounded(patches[i, r], 4),
                    }
                    for r in range(patches.shape[1])
                ],
            }
            for i, f in enumerate(filters)
        ],
    }
