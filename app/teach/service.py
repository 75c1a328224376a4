"""The teaching views' responses; every number comes from ``engine.teach``.

The permutation test (a model on the whole test set, as it is and scrambled) is measured once
per model object and kept, like the evaluation page's scores.
"""

from __future__ import annotations

import time

import numpy as np
from fastapi import HTTPException

from app.core.bounds import check_passes
from app.core.imaging import model_input, network_input
from app.core.memo import token
from app.core.registry import LoadedModel
from app.core.settings import Settings
from app.datasets.tables import Tables
from app.models.inference import rounded
from engine.teach import flatten, shift, square
from engine.teach.backprop import backprop as run_backprop
from engine.train import to_input

# -- backpropagation ------------------------------------------------------------------------

# forward, backward (twice a forward), the forward after the SGD step — each in float64, which
# costs about twice float32: (1 + 2 + 1) × 2 pass equivalents.
BACKPROP_PASSES = 8


def check_target(entry: LoadedModel, target: int) -> None:
    n = len(entry.model.classes)
    if not 0 <= target < n:
        raise HTTPException(
            422, f"target: must be a class from 0 to {n - 1} of model {entry.id!r}, got {target}"
        )


def check_backprop_size(entry: LoadedModel, settings: Settings) -> None:
    """422 before any work when the answer — every layer's output gradient and every weight's
    gradient, written as JSON — would hold more than ``max_backprop_values`` numbers (a
    ResNet-18 at 224×224: ~14 million, tens of seconds of JSON alone)."""
    info = entry.model.layer_info()
    n = sum(int(np.prod(layer["output_shape"])) for layer in info) + entry.model.num_params
    if n > settings.max_backprop_values:
        raise HTTPException(
            422,
            f"model_id: backprop on {entry.id!r} would answer {n:,} gradient values, more than "
            f"the limit max_backprop_values = {settings.max_backprop_values:,}; the view is "
            "for networks of up to a few hundred thousand weights",
        )


def backprop(entry: LoadedModel, body, settings: Settings) -> dict:
    """The ``/backprop`` response: one forward and one backward pass, and one SGD step on a
    float64 copy of the weights."""
    model = entry.model
    check_target(entry, body.target)
    check_backprop_size(entry, settings)
    check_passes(settings, model, BACKPROP_PASSES, "model_id")
    x, image = model_input(body, model, settings)  # x: (1, C, H, W), under its convention
    r = run_backprop(model, x, body.target, body.learning_rate)
    layers = []
    for e in r.layers:
        g = e.grad_output
        gw = e.grad_weights
        layers.append(
            {
                "index": e.index,
                "name": e.name,
                "type": e.type,
                "shape": list(g.shape),
                "grad_output": rounded(g, 4),
                "grad_output_min": float(g.min()),
                "grad_output_max": float(g.max()),
                "weight_shape": None if gw is None else list(gw.shape),
                "grad_weights": None if gw is None else rounded(gw, 4),
                "grad_bias": None if e.grad_bias is None else rounded(e.grad_bias, 4),
                "grad_weights_max_abs": None if gw is None else float(np.abs(gw).max()),
                "routing": None if e.routing is None else e.routing.astype(int).tolist(),
            }
        )
    return {
        "target": r.target,
        "label": model.classes[r.target],
        "loss": r.loss,
        "loss_after": r.loss_after,
        "learning_rate": r.learning_rate,
        "prediction": int(np.argmax(r.probabilities_before)),
        "probabilities_before": r.probabilities_before.tolist(),  # full precision: p may be 1e-8
        "probabilities_after": r.probabilities_after.tolist(),
        "input": rounded(image, 4),
        "grad_input": rounded(r.grad_input[0] if len(r.grad_input) == 1 else r.grad_input, 4),
        "layers": layers,
    }


# -- the flattened digit --------------------------------------------------------------------


def kind(entry: LoadedModel) -> str:
    return "dense" if flatten.first_dense(entry.model) is not None else "cnn"


def networks(entries: list[LoadedModel]) -> dict:
    """The networks the flatten view compares: the one-channel ones (a digit as its vector;
    the permutation test runs on the digit test set), so a colour model is not offered."""
    entries = [e for e in entries if e.model.input_shape[0] == 1]
    return {
        "networks": [
            {
                "id": e.id,
                "name": e.info()["name"],
                "kind": kind(e),
                "num_params": e.model.num_params,
                "test_accuracy": e.info()["test_accuracy"],
            }
            for e in entries
        ],
        "permutation_seed": flatten.PERMUTATION_SEED,
    }


def _check_pixels(entry: LoadedModel, view: str = "flattened-digit") -> int:
    """The model's input size; 422 unless it takes one channel (the digit teaching views)."""
    n = int(np.prod(entry.model.input_shape))
    if entry.model.input_shape[0] != 1:
        raise HTTPException(
            422,
            f"model_id: {entry.id!r} takes {entry.model.input_shape[0]} channels; the "
            f"{view} view needs a one-channel model",
        )
    return n


def flatten_view(entry: LoadedModel, body, settings: Settings) -> dict:
    """The drawing as its vector, scrambled; the model on both (and the dense twin)."""
    n = _check_pixels(entry)
    model = entry.model
    x, image = network_input(body, model.input_shape, settings)  # x: (1, 1, H, W)
    perm = flatten.permutation(n)
    xs = flatten.scramble(x, perm)
    twin = flatten.permuted_twin(model, perm) if kind(entry) == "dense" else None
    return {
        "model_id": entry.id,
        "kind": kind(entry),
        "input": rounded(image, 4),
        "vector": rounded(x.reshape(-1), 4),
        "permutation": perm.tolist(),
        "scrambled": rounded(xs.reshape(-1), 4),
        "scrambled_image": rounded(xs[0, 0], 4),
        "probabilities": _probs(model, x),
        "scrambled_probabilities": _probs(model, xs),
        "twin_probabilities": None if twin is None else _probs(twin, xs),
    }


def _probs(model, x) -> list[float]:
    return np.asarray(model.predict_proba(x)[0], dtype=np.float64).round(6).tolist()


def permutation_test(
    entry: LoadedModel, images: np.ndarray, labels: np.ndarray, tables: Tables
) -> dict:
    """The model on the test set as it is and scrambled: a whole-test-set table, so it is
    computed once per model in the background (``app.datasets.tables``), never inside a request."""
    n = _check_pixels(entry)
    key = ("permutation-test", token(entry.model), len(labels))

    def compute() -> dict:
        t0 = time.perf_counter()
        x, y = to_input(images), labels.astype(np.int64)
        result = flatten.permutation_test(entry.model, x, y, flatten.permutation(n))
        return {
            "model_id": entry.id,
            "kind": kind(entry),
            **result,
            "seconds": round(time.perf_counter() - t0, 2),
        }

    result, _ = tables.get(key, compute, f"permutation test of {entry.id!r}")
    return result


# -- translation ----------------------------------------------------------------------------


def shift_view(entry: LoadedModel, body, settings: Settings) -> dict:
    _check_pixels(entry, "translation")
    model = entry.model
    x, image = network_input(body, model.input_shape, settings)
    r = shift.follow(model, x[0, 0], body.dx, body.dy, body.scale, body.angle)
    layers = []
    for info, e, after, before in zip(
        model.layer_info(), r["layers"], r["outputs"], r["original"], strict=True
    ):
        spatial = after.ndim == 3
        c = min(body.channel, after.shape[0] - 1) if spatial else 0
        layers.append(
            {
                "index": e["index"],
                "name": info["name"],
                "type": info["type"],
                "shape": list(after.shape),
                "factor": e["factor"],
                "shift_in_map": e["shift_in_map"],
                "equivariance": e["equivariance"],
                "change": e["change"],
                "map": rounded(after[c]) if spatial else None,
                "expected": rounded(e["expected"][c]) if spatial else None,
                "original": rounded(before[c]) if spatial else None,
                "min": float(min(after.min(), before.min())),
                "max": float(max(after.max(), before.max())),
            }
        )
    p = r["outputs"][-1] if model.ends_in_softmax else None
    probs = _probs(model, r["input"][None, None]) if p is None else p.round(6).tolist()
    k = int(np.argmax(probs))
    return {
        "model_id": entry.id,
        "input": rounded(r["input"], 4),
        "original_input": rounded(image, 4),
        "prediction": k,
        "label": model.classes[k],
        "probabilities": [float(v) for v in probs],
        "original_probabilities": _probs(model, x),
        "channel": body.channel,
        "layers": layers,
    }


def shift_curve(entry: LoadedModel, body, settings: Settings) -> dict:
    _check_pixels(entry, "translation")
    model = entry.model
    x, _ = network_input(body, model.input_shape, settings)
    target = body.target
    if target is None:
        target = int(np.argmax(model.predict_proba(x)[0]))
    check_target(entry, target)
    shifts = list(range(-body.max_shift, body.max_shift + 1))
    r = shift.confidence_curve(model, x[0, 0], shifts, body.axis, target)
    return {
        "model_id": entry.id,
        "axis": body.axis,
        "shifts": shifts,
        "target": target,
        "label": model.classes[target],
        "confidence": [round(v, 6) for v in r["confidence"]],
        "predictions": r["predictions"],
    }


# -- lines to a square ----------------------------------------------------------------------


def square_setup() -> dict:
    return {
        "grid": square.GRID,
        "side": square.SIDE,
        "layers": list(square.LAYERS),
        "corners": list(square.CORNERS),
        "shapes": square.shapes(),
        "weights": square.default_weights(),
    }


def square_run(body) -> dict:
    G = square.GRID
    try:
        image = np.asarray(body.image, dtype=np.float64)
    except ValueError:
        raise HTTPException(422, f"image: must be {G}×{G} numbers (a rectangular grid)") from None
    if image.shape != (G, G):
        raise HTTPException(422, f"image: must be {G}×{G} numbers, got shape {list(image.shape)}")
    if not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
        raise HTTPException(422, "image: every value must be a number from 0 to 1")
    try:
        r = square.run(image, body.weights)
    except (ValueError, TypeError) as e:
        raise HTTPException(422, str(e)) from None
    return {k: (v if isinstance(v, float) else rounded(v, 6)) for k, v in r.items()}
