"""Importing an uploaded ONNX file (``POST /api/models/import`` with a ``.onnx`` as ``weights``).

The bytes go to ``engine.onnx_import`` — which refuses hostile files before work and reads
external data only from the uploaded ``external_data`` files, never from a path — and the model
is installed like any other. Every refusal is a 422 naming the field; the form's ``classes`` and
``input`` fields are checked here.
"""

from __future__ import annotations

import json
import time
from typing import NamedTuple

from fastapi import HTTPException

from app.models import store as model_store
from engine import cifar10, onnx_import
from engine.cost import pass_cost
from engine.data import CLASSES as DIGIT_CLASSES

MAX_CLASSES, MAX_LABEL = 1000, 64
CLASSES = {**DIGIT_CLASSES, cifar10.NAME: tuple(cifar10.CLASSES)}  # the labels of each data set


def parse_classes(text: str | None) -> list[str] | None:
    """The ``classes`` form field: a JSON list of labels."""
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise HTTPException(
            422, f"classes: not valid JSON ({e}); expected a list of labels"
        ) from None
    if not isinstance(value, list) or not value or len(value) > MAX_CLASSES:
        raise HTTPException(422, f"classes: expected a JSON list of 1 to {MAX_CLASSES} labels")
    labels = []
    for v in value:
        if not isinstance(v, (str, int)) or isinstance(v, bool) or len(str(v)) > MAX_LABEL:
            raise HTTPException(
                422, f"classes: each label must be a string of at most {MAX_LABEL} characters"
            )
        labels.append(str(v))
    return labels


def parse_convention(text: str | None, channels: int | None = None) -> dict | None:
    """The ``input`` form field: ``{"invert", "scale", "mean", "std", "channels", "resize"}``
    (any may be left out), checked for its form; against the model's input once it is known."""
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise HTTPException(422, f"input: not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise HTTPException(
            422, 'input: expected a JSON object like {"mean": [0.13], "std": [0.31]}'
        )
    try:
        return onnx_import.check_convention(value, channels or _channels(value))
    except ValueError as e:
        raise HTTPException(422, str(e)) from None


def _channels(value: dict) -> int:
    """The channel count the form implies before the model is known: 3 for ``rgb``/``bgr``,
    else the longest per-channel list."""
    if value.get("channels") in ("rgb", "bgr"):
        return 3
    keys = ("scale", "mean", "std")
    lengths = [len(value[k]) for k in keys if isinstance(value.get(k), list)]
    return max(lengths, default=1)


class Upload(NamedTuple):
    """An ONNX upload: the file's bytes, its external-data files by name, and the form."""

    data: bytes
    external: dict[str, bytes]
    source: str
    name: str
    dataset: str
    output: str | None


def import_onnx_upload(
    settings, registry, up: Upload, classes: list[str] | None, convention: dict | None
) -> dict:
    """Map, check and install the model (in a worker thread); the API's ``ModelInfo``.

    Nothing is written unless every check passed: the graph, the ``output`` chosen, the
    convention against the model's input, and the cost of one image (``max_model_megamacs``).
    """
    limits = onnx_import.Limits(max_bytes=settings.max_import_bytes)
    try:
        model = onnx_import.import_onnx(
            up.data, up.external, name=up.name, classes=classes, convention=convention,
            source=up.source, limits=limits, output=up.output,
        )  # fmt: skip
    except ValueError as e:
        text = str(e)  # the engine names the form field it refuses, else it is the file's fault
        named = text.startswith(("output:", "input", "classes:"))
        raise HTTPException(422, text if named else f"weights: {text}") from None
    one = pass_cost(model)
    if one > settings.max_model_megamacs * 1e6:
        raise HTTPException(
            422,
            f"weights: one image through this network costs about {one / 1e6:,.0f} M "
            f"multiply-adds, more than the limit max_model_megamacs = "
            f"{settings.max_model_megamacs:,}",
        )
    dataset = up.dataset
    if classes is None and len(model.classes) == len(CLASSES[dataset]) and not _labelled(model):
        model.classes = list(CLASSES[dataset])
    model.meta.update(
        {
            "dataset": dataset,
            "imported_from": up.source,
            "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    return model_store.install(settings, registry, model, up.name).info()


def _labelled(model) -> bool:
    """Whether the classes came from the file's own metadata (not the default 0..K-1)."""
    return model.classes != [str(i) for i in range(len(model.classes))]
