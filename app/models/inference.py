"""Running a model on one input and turning the arrays into JSON-ready values."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import orjson

from app.core import palette
from app.models.packed import pack
from engine.model import Model

SIGNIFICANT_DIGITS = 5


def rounded_array(a: np.ndarray, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray:
    """``a`` as float64, rounded to ``digits`` significant digits of its largest magnitude.

    One number of decimals for the whole array keeps the payload small (``0.0`` for a ReLU
    zero) without losing anything visible; converting to float64 first makes ``0.123`` print
    as ``0.123`` rather than float32's ``0.12300000339746475``. With a NaN or an infinity
    (which JSON writes as ``null``) the others keep ``digits`` decimals.
    """
    a = np.asarray(a, dtype=np.float64)
    peak = float(np.abs(a).max()) if a.size else 0.0
    if peak == 0.0 or not math.isfinite(peak):
        decimals = digits
    else:
        decimals = digits - 1 - math.floor(math.log10(peak))
    return a.round(max(0, min(decimals, 12)))


def rounded(a: np.ndarray, digits: int = SIGNIFICANT_DIGITS) -> list:
    """:func:`rounded_array` as nested lists (for the answers FastAPI's response models write)."""
    return rounded_array(a, digits).tolist()


def to_json(doc) -> bytes:
    """``doc`` as JSON bytes by orjson, NumPy arrays written natively (NaN and infinities as
    ``null``, as FastAPI writes them); a 0-d or non-contiguous array through ``tolist()``."""
    return orjson.dumps(doc, default=np.ndarray.tolist, option=orjson.OPT_SERIALIZE_NUMPY)


def probabilities(model: Model, last: np.ndarray) -> np.ndarray:
    """Class probabilities ``(K,)`` from the last layer's output ``(1, K)``."""
    return np.asarray(model.probabilities(last)[0], dtype=np.float64)


TOP = 5  # classes ranked in ``top``


def verdict(model: Model, probs: np.ndarray) -> dict:
    """The class chosen from ``probs: (K,)``, its label, the probabilities and the ``TOP``
    most probable classes (a stable sort: ties keep class order)."""
    k = int(np.argmax(probs))
    order = np.argsort(-probs, kind="stable")[:TOP]
    top = [
        {"class": int(c), "label": model.classes[c], "probability": round(float(probs[c]), 6)}
        for c in order
    ]
    return {
        "prediction": k,
        "label": model.classes[k],
        "probabilities": probs.round(6).tolist(),
        "top": top,
    }


def prediction(model: Model, probs: np.ndarray, image: np.ndarray) -> dict:
    """The API's ``Prediction`` for ``probs: (K,)`` and the network input shown,
    ``image: (H, W)`` or ``(3, H, W)``."""
    return {**verdict(model, probs), "input": rounded(image, 4)}


def predict(model: Model, x: np.ndarray, image: np.ndarray) -> dict:
    """``x: (1, C, H, W)`` → ``Prediction``."""
    return prediction(model, probabilities(model, model.forward(x)), image)


class Shipped(NamedTuple):
    """Which numbers an ``activations`` answer carries: the layers in ``layers`` (``None``: all)
    and at most ``max_channels`` channels of each (``None``: all)."""

    layers: set[int] | None = None
    max_channels: int | None = None


ALL = Shipped()


def _ship(entry: dict, which: Shipped) -> None:
    """Cut ``entry["data"]`` to what ``which`` asks for (``None`` when the layer is not asked
    for); with ``max_channels``, ``shipped_channels`` says how many channels of a ``(C, H, W)``
    output remain."""
    a = entry["data"]
    if which.layers is not None and entry["index"] not in which.layers:
        entry["data"] = None
        return
    if a.ndim == 3 and which.max_channels is not None:
        a = a[: which.max_channels]  # (min(C, max_channels), H, W)
        entry["shipped_channels"] = a.shape[0]
    entry["data"] = a


def _layer_outputs(
    model: Model, x: np.ndarray, which: Shipped = ALL
) -> tuple[list[dict], np.ndarray]:
    """Every layer's ``LayerOutput`` — with the colour scale the pages and PNGs draw it with
    (``app.core.palette``) — ``data`` still an array ``(shape)`` (cut to ``which``, ``None``
    for a layer not asked for), and the last layer's output ``(1, K)``."""
    outputs = model.forward(x, return_all=True)  # outputs[i]: (1, *shape of layer i's output)
    kinds = palette.scale_kinds(model.layer_info())
    layers = []
    for i, (layer, out) in enumerate(zip(model.layers, outputs, strict=True)):
        a = out[0]
        vmin, vmax = float(a.min()), float(a.max())
        lo, hi = palette.scale_range(kinds[i], vmin, vmax)
        entry = {"index": i, "name": layer.name, "type": layer.type, "shape": list(a.shape)}
        entry |= {"min": vmin, "max": vmax, "scale": {"kind": kinds[i], "lo": lo, "hi": hi}}
        layers.append({**entry, "data": a})
        _ship(layers[-1], which)
    return layers, outputs[-1]


def activations(model: Model, x: np.ndarray, image: np.ndarray) -> dict:
    """``x: (1, C, H, W)`` → ``Activations``: the prediction and every layer's output."""
    layers, last = _layer_outputs(model, x)
    for entry in layers:
        entry["data"] = rounded(entry["data"])
    return {**prediction(model, probabilities(model, last), image), "layers": layers}


def activations_json(model: Model, x: np.ndarray, image: np.ndarray, which: Shipped = ALL) -> bytes:
    """:func:`activations` as JSON bytes — the same document — written by orjson from the
    rounded float64 arrays (:func:`to_json`): 1.6 ms of CPU against 4.5 ms through lists and the
    response model for the shipped model (bench/README.md). ``which``: the layers and channels
    shipped."""
    layers, last = _layer_outputs(model, x, which)
    for entry in layers:
        if entry["data"] is not None:
            entry["data"] = rounded_array(entry["data"])
    return to_json({**prediction(model, probabilities(model, last), image), "layers": layers})


def activations_packed(
    model: Model, x: np.ndarray, image: np.ndarray, dtype: str, which: Shipped = ALL
) -> bytes:
    """:func:`activations` as one binary message (``app.models.packed``): the header without
    numbers, the network input and every layer's output as ``dtype`` (``"float32"`` or
    ``"float16"``) values; a layer not in ``which`` has an empty block (``size`` 0)."""
    layers, last = _layer_outputs(model, x, which)
    arrays = [entry.pop("data") for entry in layers]
    arrays = [np.zeros(0, np.float32) if a is None else a for a in arrays]
    header = {**verdict(model, probabilities(model, last)), "layers": layers}
    return pack(header, image, arrays, dtype)


def layer_output(model: Model, x: np.ndarray, index: int) -> np.ndarray:
    """Output of layer ``index`` for ``x: (1, C, H, W)``, without its batch axis."""
    return model.forward(x, stop=index + 1)[0]
