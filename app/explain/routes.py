"""``/api/models/{model_id}/explain``: why the network said 7, and what its filters look for.

Attribution maps for a drawing (saliency, Grad-CAM, occlusion, integrated gradients) as JSON or
as a PNG laid over the input; the test digits that excite each conv filter most; and the image
each filter likes best (activation maximisation). The numbers all come from ``engine.explain``.
"""

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.core.bounds import (
    BUSY,
    HeavyDep,
    check_cost,
    check_gradient,
    largest_fitting,
    megamacs,
    run_heavy,
)
from app.core.deps import ModelDep, SettingsDep
from app.core.imaging import model_input
from app.core.registry import LoadedModel
from app.core.responses import ERRORS, PNG, SVG, figure_response, input_text
from app.core.settings import Settings
from app.explain.render import overlay_figure
from app.explain.schemas import (
    ExplainInfo,
    ExplainRequest,
    GradCAMRequest,
    GradCAMResult,
    IntegratedGradientsRequest,
    IntegratedGradientsResult,
    OcclusionRequest,
    OcclusionResult,
    SaliencyResult,
)
from app.models.inference import rounded
from engine import explain
from engine.convention import model_convention, to_network
from engine.cost import FORWARD_BACKWARD, pass_cost
from engine.explain.geometry import receptive_field
from engine.explain.gradcam import spatial_layers
from engine.explain.top_activations import conv_layers
from engine.model import Model
from engine.ops.activation import softmax

router = APIRouter(prefix="/api/models/{model_id}/explain", tags=["explain"])

METHODS = ["saliency", "gradcam", "occlusion", "integrated-gradients"]
PREPARE_PASSES = 1  # ``_prepare``: one forward pass for the prediction


# -- the drawing, its prediction and the class to explain --------------------------------------


def _prepare(entry: LoadedModel, body: ExplainRequest, settings: Settings):
    """``(x: (1, C, H, W), image: (H, W), probs: (K,), target)`` for the request."""
    model = entry.model
    x, image = model_input(body, model, settings)
    probs = softmax(explain.class_scores(model, x))[0].astype(np.float64)  # (K,)
    k = len(model.classes)
    if body.target is not None and body.target >= k:
        raise HTTPException(
            422, f"target: model {entry.id!r} has classes 0 to {k - 1}, got {body.target}"
        )
    target = int(np.argmax(probs)) if body.target is None else body.target
    return x, image, probs, target


def _common(model: Model, method, image, probs, target, values, score, kind, signed):
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


def _picture(entry: LoadedModel, result, image, what: str, body, fmt: str) -> Response:
    """The map over the input as ``fmt`` (``"png"`` or ``"svg"``), titled, with a colour bar."""
    values = np.asarray(result["map"], dtype=np.float64)
    fig = overlay_figure(image, values, _title(entry, result, what), result["signed"])
    caption = f"CNN Explorer, model {entry.id}, input {input_text(body)}, {what}"
    if result.get("layer_name"):
        caption += f" at layer {result['layer']} ({result['layer_name']})"
    return figure_response(fig, fmt, caption, result["min"], result["max"])


# -- the four attribution methods --------------------------------------------------------------


def _saliency(entry, body, settings):
    check_gradient(settings, entry.model)
    x, image, probs, target = _prepare(entry, body, settings)
    s = explain.saliency(entry.model, x, target)
    result = _common(
        entry.model, "saliency", image, probs, target, s.saliency[0], s.score[0], "logit", False
    )
    return {**result, "gradient": rounded(s.gradient[0])}, image


def _gradcam(entry, body: GradCAMRequest, settings):
    check_gradient(settings, entry.model)
    x, image, probs, target = _prepare(entry, body, settings)
    model = entry.model
    try:
        g = explain.gradcam(model, x, target, body.layer, body.upsample)
    except ValueError as e:
        raise HTTPException(422, f"layer: {e}") from None
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
        raise HTTPException(422, f"patch: {body.patch} is larger than the {H}×{W} input")
    if body.stride > max(H, W):
        raise HTTPException(422, f"stride: {body.stride} is larger than the {H}×{W} input")
    n = _count(H, body.patch, body.stride) * _count(W, body.patch, body.stride)
    one = pass_cost(model)
    passes = largest_fitting(settings, one) - PREPARE_PASSES - 1  # patches the cost admits
    fits = min(settings.max_occlusion_patches, passes)
    hint = _stride_hint(H, W, body.patch, fits)
    if n > settings.max_occlusion_patches:
        raise HTTPException(
            422,
            f"patch/stride: {n} patch positions, more than the limit max_occlusion_patches = "
            f"{settings.max_occlusion_patches}{hint}",
        )
    check_cost(
        settings,
        "patch/stride",
        (n + PREPARE_PASSES + 1) * one,
        f"{n:,} patches + {PREPARE_PASSES + 1} passes × {megamacs(one)} per pass",
        hint,
    )
    x, image, probs, target = _prepare(entry, body, settings)
    ink = patch_ink(model, body.value)
    value = blank(model, ink)  # (C,): the patch as the model's input
    o = explain.occlusion(model, x, target, body.patch, body.stride, value, body.score)
    result = _common(
        model, "occlusion", image, probs, target, o.sensitivity[0], o.score[0], body.score, True
    )
    result |= {
        "patch": o.patch,
        "stride": o.stride,
        "value": ink,
        "drops": rounded(o.drops[0]),
        "rows": o.rows.tolist(),
        "cols": o.cols.tolist(),
    }
    return result, image


def patch_ink(model, value: float | None) -> float:
    """The occluding patch: ``value``, or by default the blank canvas (0) for a drawing and
    mid-grey (0.5) for a photo."""
    if value is not None:
        return value
    return 0.0 if model.input_shape[0] == 1 else 0.5


def blank(model, ink: float) -> np.ndarray:
    """Ink ``ink`` (0 = a blank canvas) as the numbers the model sees, ``(C,)`` one per channel
    under its convention (a photo's mean and std differ by channel)."""
    C = model.input_shape[0]
    ones = np.full((1, C, 1, 1), ink, dtype=np.float32)
    return to_network(ones, model_convention(model))[0, :, 0, 0]  # (C,)


def _count(size: int, patch: int, stride: int) -> int:
    """How many patch positions :func:`engine.explain.occlusion.patch_starts` gives."""
    n = (size - patch) // stride + 1
    return n + (1 if (size - patch) % stride else 0)


def _stride_hint(H: int, W: int, patch: int, fits: int) -> str:
    """The smallest stride whose patch positions (at this ``patch``) number at most ``fits``."""
    for stride in range(1, max(H, W) + 1):
        if _count(H, patch, stride) * _count(W, patch, stride) <= fits:
            return f"; use stride >= {stride} with patch {patch}"
    return f"; even one patch per axis is too many: this model allows {max(fits, 0)} positions"


def _integrated_gradients(entry, body: IntegratedGradientsRequest, settings):
    if body.steps > settings.max_ig_steps:
        raise HTTPException(
            422,
            f"steps: {body.steps} is more than the limit max_ig_steps = {settings.max_ig_steps}",
        )
    one = pass_cost(entry.model)
    fixed = PREPARE_PASSES + 2  # the prediction, then the logits at the input and the baseline
    largest = (largest_fitting(settings, one) - fixed) // FORWARD_BACKWARD
    check_cost(
        settings,
        "steps",
        (FORWARD_BACKWARD * body.steps + fixed) * one,
        f"{body.steps} steps × {FORWARD_BACKWARD} + {fixed} passes × {megamacs(one)} per pass",
        f"; use at most {largest} steps"
        if largest >= 1
        else "; even 1 step is too many for this model",
    )
    x, image, probs, target = _prepare(entry, body, settings)
    black = blank(entry.model, 0.0)[:, None, None]  # (C, 1, 1): a blank canvas, or black
    baseline = np.broadcast_to(black, x.shape[1:])
    ig = explain.integrated_gradients(entry.model, x, target, steps=body.steps, baseline=baseline)
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


def _routes(
    path: str, compute, request_model, response_model, what: str, summary: str, heavy=False
):
    """Register ``POST {path}`` (JSON) and ``POST {path}.png`` (the map over the input);
    ``heavy`` ones run under the heavy-request limit (``app.core.bounds``)."""
    extra = {"dependencies": [HeavyDep]} if heavy else {}
    busy = BUSY if heavy else {}

    def as_json(entry: ModelDep, body: request_model, settings: SettingsDep) -> dict:
        return compute(entry, body, settings)[0]

    def picture(fmt: str):
        def as_picture(entry: ModelDep, body: request_model, settings: SettingsDep) -> Response:
            result, image = compute(entry, body, settings)
            return _picture(entry, result, image, what, body, fmt)

        if not heavy:
            return as_picture

        async def as_heavy_picture(  # on the heavy threads, not the request threads
            request: Request, entry: ModelDep, body: request_model, settings: SettingsDep
        ) -> Response:
            return await run_heavy(request, as_picture, entry, body, settings)

        return as_heavy_picture

    if heavy:
        light_json = as_json

        async def as_json(
            request: Request, entry: ModelDep, body: request_model, settings: SettingsDep
        ) -> dict:
            return await run_heavy(request, light_json, entry, body, settings)

    router.post(
        path, response_model=response_model, responses={**ERRORS, **busy}, summary=summary, **extra
    )(as_json)
    for fmt, doc in (("png", PNG), ("svg", SVG)):
        as_fmt = picture(fmt)
        as_fmt.__name__ = f"as_{fmt}"  # the OpenAPI operation id, as before for the PNG
        router.post(
            f"{path}.{fmt}",
            response_class=Response,
            responses={**doc, **ERRORS, **busy},
            summary=f"{summary} — as a {fmt.upper()} over the input, with a colour bar",
            **extra,
        )(as_fmt)


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
    heavy=True,
)
_routes(
    "/integrated-gradients",
    _integrated_gradients,
    IntegratedGradientsRequest,
    IntegratedGradientsResult,
    "integrated gradients",
    "Integrated gradients from a blank canvas: each pixel's share of the logit",
    heavy=True,
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
