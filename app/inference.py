"""Running a model on one input and turning the arrays into JSON-ready values."""

from __future__ import annotations

import math

import numpy as np

from app import palette
from app.packed import pack
from engine.model import Sequential

SIGNIFICANT_DIGITS = 5


def rounded(a: np.ndarray, digits: int = SIGNIFICANT_DIGITS) -> list:
    """``a`` as nested lists, rounded to ``digits`` significant digits of its largest magnitude.

    One number of decimals for the whole array keeps the payload small (``0.0`` for a ReLU
    zero) without losing anything visible; converting to float64 first makes ``0.123`` print
    as ``0.123`` rather than float32's ``0.12300000339746475``.
    """
    a = np.asarray(a, dtype=np.float64)
    peak = float(np.abs(a).max()) if a.size else 0.0
    decimals = digits if peak == 0.0 else digits - 1 - math.floor(math.log10(peak))
    return a.round(max(0, min(decimals, 12))).tolist()


def probabilities(model: Sequential, last: np.ndarray) -> np.ndarray:
    """Class probabilities ``(K,)`` from the last layer's output ``(1, K)``."""
    return np.asarray(model.probabilities(last)[0], dtype=np.float64)


def prediction(model: Sequential, probs: np.ndarray, image: np.ndarray) -> dict:
    """The API's ``Prediction`` for ``probs: (K,)`` and the network input ``image: (H, W)``."""
    k = int(np.argmax(probs))
    return {
        "prediction": k,
        "label": model.classes[k],
        "probabilities": probs.round(6).tolist(),
        "input": rounded(image, 4),
    }


def predict(model: Sequential, x: np.ndarray, image: np.ndarray) -> dict:
    """``x: (1, C, H, W)`` → ``Prediction``."""
    return prediction(model, probabilities(model, model.forward(x)), image)


def activations(
    model: Sequential, x: np.ndarray, image: np.ndarray, packed: str | None = None
) -> dict | bytes:
    """``x: (1, C, H, W)`` → ``Activations``: the prediction and every layer's output, each
    with the colour scale the pages and PNGs draw it with; ``packed`` (``"float32"`` or
    ``"float16"``): the same as one binary message (``app.packed``) instead of JSON."""
    outputs = model.forward(x, return_all=True)  # outputs[i]: (1, *shape of layer i's output)
    kinds = palette.scale_kinds(model.layer_info())
    layers = []
    for i, (layer, out) in enumerate(zip(model.layers, outputs, strict=True)):
        a = out[0]
        vmin, vmax = float(a.min()), float(a.max())
        lo, hi = palette.scale_range(kinds[i], vmin, vmax)
        entry = {"index": i, "name": layer.name, "type": layer.type, "shape": list(a.shape)}
        entry |= {"min": vmin, "max": vmax, "scale": {"kind": kinds[i], "lo": lo, "hi": hi}}
        if packed is None:
            entry["data"] = rounded(a)
        layers.append(entry)
    answer = {**prediction(model, probabilities(model, outputs[-1]), image), "layers": layers}
    if packed is None:
        return answer
    return pack(answer, [out[0] for out in outputs], packed)


def layer_output(model: Sequential, x: np.ndarray, index: int) -> np.ndarray:
    """Output of layer ``index`` for ``x: (1, C, H, W)``, without its batch axis."""
    return model.forward(x, stop=index + 1)[0]
