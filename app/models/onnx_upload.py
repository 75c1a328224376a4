"""Importing an uploaded ONNX file (``POST /api/models/import`` with a ``.onnx`` as ``weights``).

The bytes go to ``engine.onnx_import`` — which refuses hostile files before work and reads
external data only from the uploaded ``external_data`` files, never from a path — and the model
is installed like any other. Every refusal is a 422 naming the field; the form's ``classes`` and
``input`` fields are checked here.
"""

from __future__ import annotations

import json
import time

from fastapi import HTTPException

from app.models import store as model_store
from engine import onnx_import
from engine.data import CLASSES

MAX_CLASSES, MAX_LABEL = 1000, 64


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
    """The ``input`` form field: ``{"invert", "scale", "mean", "std"}`` (any may be left out)."""
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
    lengths = [len(v) for v in (value.get("mean"), value.get("std")) if isinstance(v, list)]
    return max(lengths, default=1)


def import_onnx_upload(
    settings, registry, data: bytes, external: dict[str, bytes], source: str, name: str,
    dataset: str, classes: list[str] | None, convention: dict | None,
) -> dict:  # fmt: skip
    """Map, check and install the model (in a worker thread); the API's ``ModelInfo``."""
    limits = onnx_import.Limits(max_bytes=settings.max_import_bytes)
    try:
        model = onnx_import.import_onnx(
            data, external, name=name, classes=classes, convention=convention, source=source,
            limits=limits,
        )  # fmt: skip
    except ValueError as e:
        raise HTTPException(422, f"weights: {e}") from None
    if classes is None and len(model.classes) == len(CLASSES[dataset]) and not _labelled(model):
        model.classes = list(CLASSES[dataset])
    model.meta.update(
        {
            "dataset": dataset,
            "imported_from": source,
            "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    return model_store.install(settings, registry, model, name).info()


def _labelled(model) -> bool:
    """Whether the classes came from the file's own metadata (not the default 0..K-1)."""
    return model.classes != [str(i) for i in range(len(model.classes))]
