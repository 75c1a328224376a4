"""``/api/models/{model_id}/explain/layers/{index}/visualise``: a regularised feature
visualisation of one unit (``engine.explain.visualise``: gradient ascent on the input with
jitter, L2 and total-variation penalties and blur).

Bounded before any work: ``steps`` by ``max_maximise_steps``, and steps × (forward + backward +
the measurement) × one pass to the layer by ``max_request_megamacs``, so an answer takes about a
second of one core at most; it runs on the heavy threads (``HeavyDep``) and is memoised.
"""

import time
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from app.core.bounds import BUSY, HeavyDep, check_cost, largest_fitting, megamacs, run_heavy
from app.core.deps import LayerDep, ModelLayer, SettingsDep
from app.core.memo import SizedMemo, token
from app.core.render import ColourScale, grid_figure, number, rgb_grid_figure, text_legend
from app.core.responses import ERRORS, PNG, SVG, figure_response
from app.core.settings import Settings
from app.explain.filters import STEP_PASSES, picture
from app.explain.schemas import VisualiseResult
from app.models.inference import rounded
from engine.cost import pass_cost
from engine.explain.visualise import (
    DEFAULT_STEPS,
    Regularisers,
    unit_regularisers,
    visualise_unit,
)

router = APIRouter(prefix="/api/models/{model_id}/explain", tags=["explain"])

_memo = SizedMemo()  # (model token, layer, unit, steps, seed, objective, regularisers) → result


@dataclass
class VisualiseQuery:
    """The query both visualise routes (JSON and PNG) take. Regularisers left out take the
    unit's defaults (jitter at most an eighth of its receptive field, blur every 4 steps)."""

    unit: Annotated[int, Query(ge=0, description="The unit (filter) of the layer.")]
    steps: Annotated[
        int, Query(ge=0, description="Ascent steps; at most `max_maximise_steps`.")
    ] = DEFAULT_STEPS
    seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="Same seed, same picture.")] = 0
    objective: Annotated[
        Literal["center", "mean"],
        Query(description="`center`: the middle unit of the map; `mean`: the whole map."),
    ] = "center"
    jitter: Annotated[int | None, Query(ge=0, le=32, description="Random shift, px.")] = None
    blur_every: Annotated[
        int | None, Query(ge=0, le=64, description="A 3×3 blur every so many steps; 0: never.")
    ] = None
    l2: Annotated[float | None, Query(ge=0, lt=1, description="Weight of ½‖x − b‖².")] = None
    tv: Annotated[
        float | None,
        Query(ge=0, lt=0.125, description="Weight of the total variation (stable below 1/8)."),
    ] = None


VisualiseDep = Annotated[VisualiseQuery, Depends()]


def _check(ml: ModelLayer, settings: Settings, q: VisualiseQuery) -> Regularisers:
    """Every limit, before any work; the regularisers to use."""
    if ml.layer.type == "softmax" or len(ml.output_shape) not in (1, 3):
        raise HTTPException(404, f"index: {ml.describe()} has no units to visualise")
    F = ml.output_shape[0]
    if q.unit >= F:
        raise HTTPException(422, f"unit: {ml.describe()} has units 0 to {F - 1}, got {q.unit}")
    if q.steps > settings.max_maximise_steps:
        raise HTTPException(
            422,
            f"steps: {q.steps} is more than the limit max_maximise_steps = "
            f"{settings.max_maximise_steps}",
        )
    one = STEP_PASSES * pass_cost(ml.entry.model, ml.index + 1)  # one step
    fits = largest_fitting(settings, one)
    check_cost(
        settings,
        "steps",
        max(q.steps, 1) * one,
        f"{q.steps} steps × {STEP_PASSES} passes × {megamacs(one / STEP_PASSES)} per pass",
        f"; at most {fits} steps fit" if fits else "; this layer is too big to visualise",
    )
    d = unit_regularisers(ml.entry.model, ml.index)
    return Regularisers(
        jitter=d.jitter if q.jitter is None else q.jitter,
        blur_every=d.blur_every if q.blur_every is None else q.blur_every,
        l2=d.l2 if q.l2 is None else q.l2,
        tv=d.tv if q.tv is None else q.tv,
    )


def _visualise(ml: ModelLayer, settings: Settings, q: VisualiseQuery):
    """``(Visualisation, seconds)``, memoised."""
    regs = _check(ml, settings, q)
    memo = _memo(settings)
    key = (token(ml.entry.model), ml.index, q.unit, q.steps, q.seed, q.objective, regs)
    found = memo.get(key)
    if found is None:
        t0 = time.perf_counter()
        v = visualise_unit(ml.entry.model, ml.index, q.unit, q.steps, regs, q.objective, q.seed)
        found = (v, time.perf_counter() - t0)
        memo.put(key, found)
    return found


@router.get(
    "/layers/{index}/visualise",
    response_model=VisualiseResult,
    responses={**ERRORS, **BUSY},
    dependencies=[HeavyDep],
    summary="A regularised feature visualisation of one unit (gradient ascent with jitter, "
    "L2, total variation and blur)",
)
async def visualise_json(
    request: Request, ml: LayerDep, settings: SettingsDep, query: VisualiseDep
) -> dict:
    return await run_heavy(request, _visualise_json, ml, settings, query)


def _visualise_json(ml: ModelLayer, settings: Settings, q: VisualiseQuery) -> dict:
    v, seconds = _visualise(ml, settings, q)
    m = v.result
    return {
        "layer": ml.index,
        "name": ml.layer.name,
        "unit": q.unit,
        "objective": q.objective,
        "steps": q.steps,
        "seed": q.seed,
        "regularisers": {
            "jitter": v.regularisers.jitter,
            "blur_every": v.regularisers.blur_every,
            "l2": v.regularisers.l2,
            "tv": v.regularisers.tv,
        },
        "image": rounded(picture(ml, m.images[0]), 4),
        "initial": float(m.initial[0]),
        "activation": float(m.activation[0]),
        "history": [round(float(a), 5) for a in m.history[:, 0]],
        "penalties": {"l2": round(v.l2, 5), "tv": round(v.tv, 5)},
        "seconds": round(seconds, 3),
    }


def _visualise_figure(ml: ModelLayer, settings: Settings, q: VisualiseQuery, fmt: str):
    v, _ = _visualise(ml, settings, q)
    m, r = v.result, v.regularisers
    label = [f"unit {q.unit}: {number(m.initial[0], 3)} -> {number(m.activation[0], 3)}"]
    title = f"{ml.entry.id} {ml.describe()}: feature visualisation ({q.objective}, {q.steps} steps)"
    note = f"jitter {r.jitter} px, blur every {r.blur_every}, l2 {r.l2:g}, tv {r.tv:g}"
    image = picture(ml, m.images[0])
    _, H, W = m.images[0].shape
    cell = (max(1, 256 // H), max(1, 256 // W))
    if image.ndim == 2:
        scale = ColourScale.for_values(np.array([0.0, 1.0]), signed=False)
        fig = grid_figure(image[None], label, f"{title}; {note}", scale, cell=cell)
    else:
        rgb = (255 * image.transpose(1, 2, 0)).round().astype(np.uint8)[None]  # (1, H, W, 3)
        fig = rgb_grid_figure(rgb, label, title, *text_legend([note]), cell=cell)
    caption = f"CNN Explorer, model {ml.entry.id}, feature visualisation of unit {q.unit}, "
    return figure_response(fig, fmt, caption + ml.describe(), 0.0, 1.0)


def _twin(fmt: str, doc: dict, summary: str) -> None:
    """``/visualise.{fmt}``: the figure on the heavy threads, like the JSON."""

    async def route(
        request: Request, ml: LayerDep, settings: SettingsDep, query: VisualiseDep
    ) -> Response:
        return await run_heavy(request, _visualise_figure, ml, settings, query, fmt)

    route.__name__ = f"visualise_{fmt}"
    router.get(
        f"/layers/{{index}}/visualise.{fmt}",
        response_class=Response,
        responses={**doc, **ERRORS, **BUSY},
        dependencies=[HeavyDep],
        summary=summary,
    )(route)


_twin("png", PNG, "The feature visualisation of one unit as a picture")
_twin("svg", SVG, "The feature visualisation of one unit as a picture, as an SVG")
