"""``/api/models/{model_id}/explain``: why the network said 7, and what its filters look for.

Attribution maps for a drawing (saliency, Grad-CAM, occlusion, integrated gradients) as JSON or
as a PNG laid over the input; the test digits that excite each conv filter most; and the image
each filter likes best (activation maximisation). The numbers all come from ``engine.explain``.
"""

import threading
from collections import OrderedDict
from typing import Annotated, Literal
from weakref import WeakKeyDictionary

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from app.deps import LayerDep, ModelDep, ModelLayer, SettingsDep
from app.errors import ApiError
from app.explain_render import overlay_png
from app.explain_schemas import (
    ExplainInfo,
    ExplainRequest,
    GradCAMRequest,
    GradCAMResult,
    IntegratedGradientsRequest,
    IntegratedGradientsResult,
    MaximiseResult,
    OcclusionRequest,
    OcclusionResult,
    SaliencyResult,
    TopActivationsResult,
)
from app.imaging import network_input
from app.inference import rounded
from app.registry import LoadedModel
from app.render import ColourScale, grid_png
from app.routes.models import ERRORS, PNG, png_response
from app.settings import Settings
from engine import explain
from engine.data import CLASSES, DatasetNotFound, load_dataset
from engine.explain.geometry import receptive_field
from engine.explain.gradcam import spatial_layers
from engine.explain.top_activations import conv_layers
from engine.model import Sequential
from engine.ops.activation import softmax

router = APIRouter(prefix="/api/models/{model_id}/explain", tags=["explain"])

METHODS = ["saliency", "gradcam", "occlusion", "integrated-gradients"]


# -- the drawing, its prediction and the class to explain --------------------------------------


def _prepare(entry: LoadedModel, body: ExplainRequest, settings: Settings):
    """``(x: (1, C, H, W), image: (H, W), probs: (K,), target)`` for the request."""
    model = entry.model
    x, image = network_input(body, model.input_shape, settings)
    probs = softmax(explain.class_scores(model, x))[0].astype(np.float64)  # (K,)
    k = len(model.classes)
    if body.target is not None and body.target >= k:
        raise ApiError(
            422, f"target: model {entry.id!r} has classes 0 to {k - 1}, got {body.target}"
        )
    target = int(np.argmax(probs)) if body.target is None else body.target
    return x, image, probs, target


def _common(model: Sequential, method, image, probs, target, values, score, kind, signed):
    values = np.asarray(values, dtype=np.float64)
    p = int(np.argmax(probs))
    return {
        "method": method,
        "target": target,
        "label": model.classes[target],
        "score": float(score),
        "score_kind": kind,
        "prediction": p,
        "predicted_label": model.classes[p],
        "probabilities": probs.round(6).tolist(),
        "input": rounded(image, 4),
        "shape": list(values.shape),
        "map": rounded(values),
        "min": float(values.min()),
        "max": float(values.max()),
        "signed": signed,
    }


def _title(entry: LoadedModel, result: dict, what: str) -> str:
    return (
        f"{entry.id}: {what} for class {result['label']} "
        f"({result['score_kind']} {result['score']:.4g}); predicted {result['predicted_label']}"
    )


def _png(entry: LoadedModel, result: dict, image: np.ndarray, what: str) -> Response:
    values = np.asarray(result["map"], dtype=np.float64)
    png = overlay_png(image, values, _title(entry, result, what), result["signed"])
    return png_response(png, result["min"], result["max"])


# -- the four attribution methods --------------------------------------------------------------


def _saliency(entry, body, settings):
    x, image, probs, target = _prepare(entry, body, settings)
    s = explain.saliency(entry.model, x, target)
    result = _common(
        entry.model, "saliency", image, probs, target, s.saliency[0], s.score[0], "logit", False
    )
    return {**result, "gradient": rounded(s.gradient[0])}, image


def _gradcam(entry, body: GradCAMRequest, settings):
    x, image, probs, target = _prepare(entry, body, settings)
    model = entry.model
    try:
        g = explain.gradcam(model, x, target, body.layer, body.upsample)
    except ValueError as e:
        raise ApiError(422, f"layer: {e}") from None
    result = _common(model, "gradcam", image, probs, target, g.cam[0], g.score[0], "logit", False)
    result |= {
        "layer": g.layer,
        "layer_name": model.layers[g.layer].name,
        "layer_shape": list(model.shapes[g.layer + 1]),
        "raw": rounded(g.raw[0]),
        "weights": rounded(g.weights[0]),
        "upsample": g.upsample,
    }
    return result, image


def _occlusion(entry, body: OcclusionRequest, settings):
    model = entry.model
    _, H, W = model.input_shape
    if body.patch > min(H, W):
        raise ApiError(422, f"patch: {body.patch} is larger than the {H}×{W} input")
    if body.stride > max(H, W):
        raise ApiError(422, f"stride: {body.stride} is larger than the {H}×{W} input")
    n = _count(H, body.patch, body.stride) * _count(W, body.patch, body.stride)
    if n > settings.max_occlusion_patches:
        raise ApiError(
            422,
            f"patch/stride: {n} patch positions, more than the limit max_occlusion_patches = "
            f"{settings.max_occlusion_patches}; use a larger stride",
        )
    x, image, probs, target = _prepare(entry, body, settings)
    o = explain.occlusion(model, x, target, body.patch, body.stride, body.value, body.score)
    result = _common(
        model, "occlusion", image, probs, target, o.sensitivity[0], o.score[0], body.score, True
    )
    result |= {
        "patch": o.patch,
        "stride": o.stride,
        "value": o.value,
        "drops": rounded(o.drops[0]),
        "rows": o.rows.tolist(),
        "cols": o.cols.tolist(),
    }
    return result, image


def _count(size: int, patch: int, stride: int) -> int:
    """How many patch positions :func:`engine.explain.occlusion.patch_starts` gives."""
    n = (size - patch) // stride + 1
    return n + (1 if (size - patch) % stride else 0)


def _integrated_gradients(entry, body: IntegratedGradientsRequest, settings):
    if body.steps > settings.max_ig_steps:
        raise ApiError(
            422,
            f"steps: {body.steps} is more than the limit max_ig_steps = {settings.max_ig_steps}",
        )
    x, image, probs, target = _prepare(entry, body, settings)
    ig = explain.integrated_gradients(entry.model, x, target, steps=body.steps)
    values = ig.attributions[0].sum(axis=0)  # (C, H, W) → (H, W)
    result = _common(
        entry.model,
        "integrated-gradients",
        image,
        probs,
        target,
        values,
        ig.score[0],
        "logit",
        True,
    )
    result |= {
        "steps": ig.steps,
        "baseline_score": float(ig.baseline_score[0]),
        "total": float(values.sum()),
        "delta": float(ig.delta[0]),
    }
    return result, image


def _routes(path: str, compute, request_model, response_model, what: str, summary: str):
    """Register ``POST {path}`` (JSON) and ``POST {path}.png`` (the map over the input)."""

    def as_json(entry: ModelDep, body: request_model, settings: SettingsDep) -> dict:
        return compute(entry, body, settings)[0]

    def as_png(entry: ModelDep, body: request_model, settings: SettingsDep) -> Response:
        result, image = compute(entry, body, settings)
        return _png(entry, result, image, what)

    router.post(path, response_model=response_model, responses=ERRORS, summary=summary)(as_json)
    router.post(
        f"{path}.png",
        response_class=Response,
        responses={**PNG, **ERRORS},
        summary=f"{summary} — as a PNG over the input, with a colour bar",
    )(as_png)


_routes(
    "/saliency",
    _saliency,
    ExplainRequest,
    SaliencyResult,
    "saliency |d logit / d x|",
    "Saliency: how strongly each input pixel moves the class's logit",
)
_routes(
    "/gradcam",
    _gradcam,
    GradCAMRequest,
    GradCAMResult,
    "Grad-CAM",
    "Grad-CAM: where a conv layer's evidence for the class is",
)
_routes(
    "/occlusion",
    _occlusion,
    OcclusionRequest,
    OcclusionResult,
    "occlusion (score drop)",
    "Occlusion: how much hiding each region lowers the class's score",
)
_routes(
    "/integrated-gradients",
    _integrated_gradients,
    IntegratedGradientsRequest,
    IntegratedGradientsResult,
    "integrated gradients",
    "Integrated gradients from a blank canvas: each pixel's share of the logit",
)


# -- what can be explained -----------------------------------------------------------------------


@router.get("", response_model=ExplainInfo, responses=ERRORS, summary="What can be explained")
def info(entry: ModelDep) -> dict:
    model = entry.model

    def ref(i: int) -> dict:
        layer = model.layers[i]
        return {
            "index": i,
            "name": layer.name,
            "type": layer.type,
            "output_shape": list(model.shapes[i + 1]),
        }

    gradcam_layers = spatial_layers(model)
    convs = conv_layers(model)
    return {
        "model": entry.id,
        "classes": list(model.classes),
        "methods": METHODS,
        "gradcam_layers": [ref(i) for i in gradcam_layers],
        "default_gradcam_layer": explain.default_gradcam_layer(model) if convs else None,
        "conv_layers": [
            {
                **ref(i),
                "filters": model.shapes[i + 1][0],
                "receptive_field": list(receptive_field(model, i)),
            }
            for i in convs
        ],
    }


# -- top-activating test digits ------------------------------------------------------------------

DATASET = "mnist"
_data_lock = threading.Lock()
_data: dict = {}  # data_dir → (images (N, 28, 28) uint8, labels (N,) uint8)


def test_set(data_dir) -> tuple[np.ndarray, np.ndarray]:
    """The shipped MNIST test set, read once per ``data_dir``; 503 when it is missing."""
    with _data_lock:
        if data_dir not in _data:
            try:
                _data[data_dir] = load_dataset(DATASET, "test", data_dir)
            except DatasetNotFound as e:
                raise HTTPException(503, f"top activations need the MNIST test set: {e}") from None
            except ValueError as e:
                raise HTTPException(503, f"the MNIST test set is unreadable: {e}") from None
        return _data[data_dir]


_top_lock = threading.Lock()
_top_memo: WeakKeyDictionary = WeakKeyDictionary()  # model → TopActivations


def _top_activations(model: Sequential, settings: Settings):
    """The model's table, from memory, the disk cache or computed (once, under a lock)."""
    with _top_lock:
        top = _top_memo.get(model)
        if top is None:
            images, _ = test_set(settings.data_dir)
            top = explain.top_activations(
                model, images, k=settings.max_top_k, cache_dir=settings.cache_dir
            )
            _top_memo[model] = top
        return top


def _conv_layer(ml: ModelLayer) -> None:
    if ml.layer.type != "conv2d":
        model = ml.entry.model
        convs = ", ".join(f"{i} ({model.layers[i].name})" for i in conv_layers(model)) or "none"
        raise HTTPException(
            404, f"index: {ml.describe()} is not a conv2d layer (conv2d layers: {convs})"
        )


def _filter_list(ml: ModelLayer, f: int | None) -> list[int]:
    F = ml.output_shape[0]
    if f is not None and f >= F:
        raise ApiError(422, f"filter: {ml.describe()} has filters 0 to {F - 1}, got {f}")
    return list(range(F)) if f is None else [f]


FilterQuery = Annotated[
    int | None, Query(ge=0, alias="filter", description="One filter; default: all of them.")
]
KQuery = Annotated[
    int | None,
    Query(ge=1, description="Digits per filter; default 9, at most `max_top_k`."),
]
DEFAULT_K = 9


def _top(ml: ModelLayer, settings: Settings, f: int | None, k: int | None):
    _conv_layer(ml)
    k = min(DEFAULT_K, settings.max_top_k) if k is None else k
    if k > settings.max_top_k:
        raise ApiError(422, f"k: {k} is more than the limit max_top_k = {settings.max_top_k}")
    filters = _filter_list(ml, f)
    top = _top_activations(ml.entry.model, settings)
    return top, top.layers[ml.index], filters, k


@router.get(
    "/layers/{index}/top-activations",
    response_model=TopActivationsResult,
    responses={**ERRORS, 503: {"description": "The MNIST test set is not installed."}},
    summary="The test digits that excite each filter most, with the patch each one saw",
)
def top_activations_json(
    ml: LayerDep, settings: SettingsDep, filter_: FilterQuery = None, k: KQuery = None
) -> dict:
    top, layer, filters, k = _top(ml, settings, filter_, k)
    _, labels = test_set(settings.data_dir)
    names = CLASSES[DATASET]
    return {
        "layer": ml.index,
        "name": ml.layer.name,
        "k": k,
        "receptive_field": list(layer.patches.shape[2:]),
        "dataset": f"{DATASET} test",
        "cached": top.from_cache,
        "seconds": round(top.seconds, 3),
        "filters": [
            {
                "filter": f,
                "examples": [
                    {
                        "index": int(layer.index[f, r]),
                        "label": names[int(labels[layer.index[f, r]])],
                        "value": float(layer.value[f, r]),
                        "position": [int(layer.row[f, r]), int(layer.col[f, r])],
                        "box": [int(v) for v in layer.box[f, r]],
                        "patch": rounded(layer.patches[f, r] / 255.0, 4),
                    }
                    for r in range(k)
                ],
            }
            for f in filters
        ],
    }


@router.get(
    "/layers/{index}/top-activations.png",
    response_class=Response,
    responses={**PNG, **ERRORS},
    summary="The top-activating patches as a grid: one row per filter, best first",
)
def top_activations_png(
    ml: LayerDep, settings: SettingsDep, filter_: FilterQuery = None, k: KQuery = None
) -> Response:
    _, layer, filters, k = _top(ml, settings, filter_, k)
    tiles = layer.patches[filters, :k].astype(np.float64) / 255.0  # (n, k, h, w)
    tiles = tiles.reshape(-1, *tiles.shape[2:])  # (n, k, h, w) → (n*k, h, w)
    labels = [f"f{f}: {layer.value[f, r]:.3g}" for f in filters for r in range(k)]
    title = (
        f"{ml.entry.id} {ml.describe()}: top {k} test digits per filter (patch = receptive field)"
    )
    scale = ColourScale.for_values(np.array([0.0, 1.0]), signed=False)
    return png_response(grid_png(tiles, labels, title, scale, ncols=k), 0.0, 1.0)


# -- activation maximisation -----------------------------------------------------------------------

_max_lock = threading.Lock()
_max_memo: WeakKeyDictionary = WeakKeyDictionary()  # model → OrderedDict(params → Maximised)
MAX_MEMO = 32

StepsQuery = Annotated[int, Query(ge=0, description="Ascent steps; at most `max_maximise_steps`.")]
SeedQuery = Annotated[int, Query(ge=0, le=2**32 - 1, description="Same seed, same images.")]
ObjectiveQuery = Annotated[
    Literal["center", "mean"],
    Query(description="`center`: the middle unit; `mean`: the whole map."),
]


def _maximise(ml: ModelLayer, settings: Settings, f, steps: int, seed: int, objective: str):
    if steps > settings.max_maximise_steps:
        raise ApiError(
            422,
            f"steps: {steps} is more than the limit max_maximise_steps = "
            f"{settings.max_maximise_steps}",
        )
    if ml.layer.type == "softmax" or len(ml.output_shape) not in (1, 3):
        raise HTTPException(404, f"index: {ml.describe()} has no units to maximise")
    filters = _filter_list(ml, f)
    model = ml.entry.model
    key = (ml.index, tuple(filters), steps, seed, objective)
    with _max_lock:
        memo = _max_memo.setdefault(model, OrderedDict())
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
    result = explain.maximise_activation(
        model, ml.index, filters, steps=steps, objective=objective, seed=seed
    )
    with _max_lock:
        memo[key] = result
        while len(memo) > MAX_MEMO:
            memo.popitem(last=False)
    return result


@router.get(
    "/layers/{index}/maximise",
    response_model=MaximiseResult,
    responses=ERRORS,
    summary="The input each filter responds to most (gradient ascent, seeded)",
)
def maximise_json(
    ml: LayerDep,
    settings: SettingsDep,
    filter_: FilterQuery = None,
    steps: StepsQuery = 48,
    seed: SeedQuery = 0,
    objective: ObjectiveQuery = "center",
) -> dict:
    m = _maximise(ml, settings, filter_, steps, seed, objective)
    return {
        "layer": ml.index,
        "name": ml.layer.name,
        "objective": m.objective,
        "steps": steps,
        "seed": seed,
        "filters": [
            {
                "filter": int(f),
                "image": rounded(m.images[i, 0], 4),
                "initial": float(m.initial[i]),
                "activation": float(m.activation[i]),
            }
            for i, f in enumerate(m.filters)
        ],
    }


@router.get(
    "/layers/{index}/maximise.png",
    response_class=Response,
    responses={**PNG, **ERRORS},
    summary="The activation-maximising inputs as a labelled grid",
)
def maximise_png(
    ml: LayerDep,
    settings: SettingsDep,
    filter_: FilterQuery = None,
    steps: StepsQuery = 48,
    seed: SeedQuery = 0,
    objective: ObjectiveQuery = "center",
) -> Response:
    m = _maximise(ml, settings, filter_, steps, seed, objective)
    labels = [f"f{f}: {a:.3g}" for f, a in zip(m.filters, m.activation, strict=True)]
    title = f"{ml.entry.id} {ml.describe()}: inputs maximising each filter ({objective})"
    scale = ColourScale.for_values(np.array([0.0, 1.0]), signed=False)
    return png_response(grid_png(m.images[:, 0], labels, title, scale), 0.0, 1.0)
