"""``/api/models/{model_id}/explain/layers/{index}/maximise``: the input each unit of a layer
responds to most, by seeded gradient ascent, memoised in memory (a page of units at once; one
unit with its own regularisers is ``app/explain/visualise.py``; the top-activating images are
``app/explain/top_images.py``).
"""

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from app.core.bounds import BUSY, HeavyDep, check_cost, largest_fitting, megamacs, run_heavy
from app.core.deps import LayerDep, ModelLayer, SettingsDep
from app.core.memo import SizedMemo, token
from app.core.render import ColourScale, grid_png, number, rgb_grid_png, text_legend
from app.core.responses import ERRORS, PNG, png_response
from app.core.settings import Settings
from app.explain.schemas import MaximiseResult
from app.explain.units import FilterQuery, filter_list
from app.models.inference import rounded
from engine import explain
from engine.convention import model_convention
from engine.cost import FORWARD_BACKWARD, pass_cost
from engine.explain.geometry import input_box

router = APIRouter(prefix="/api/models/{model_id}/explain", tags=["explain"])
# -- activation maximisation -----------------------------------------------------------------------

_memo = SizedMemo()  # (model token, layer, filters, steps, seed, objective) → result

STEP_PASSES = FORWARD_BACKWARD + 1  # each ascent step, and the objective measured after it
StepsQuery = Annotated[int, Query(ge=0, description="Ascent steps; at most `max_maximise_steps`.")]
SeedQuery = Annotated[int, Query(ge=0, le=2**32 - 1, description="Same seed, same images.")]
ObjectiveQuery = Annotated[
    Literal["center", "mean"],
    Query(description="`center`: the middle unit; `mean`: the whole map."),
]
FirstQuery = Annotated[
    int | None,
    Query(ge=0, description="With `count`: the first of a range of units (a page)."),
]
CountQuery = Annotated[
    int | None,
    Query(
        ge=1,
        description="Units in the range from `first` (default 0); at most `max_maximise_units`, "
        "and units × steps within `max_request_megamacs`.",
    ),
]


@dataclass
class MaximiseQuery:
    """The query both maximise routes (JSON and PNG) take."""

    filter_: FilterQuery = None
    steps: StepsQuery = 48
    seed: SeedQuery = 0
    objective: ObjectiveQuery = "center"
    first: FirstQuery = None
    count: CountQuery = None


MaximiseDep = Annotated[MaximiseQuery, Depends()]


def _units(ml: ModelLayer, settings: Settings, f, first, count, steps: int) -> list[int]:
    """The units a maximise request runs: one ``filter``, a range, or all — within the limits."""
    F = ml.output_shape[0]
    if f is not None and (first is not None or count is not None):
        raise HTTPException(
            422, "filter/first/count: give one `filter`, or a range `first`+`count`"
        )
    if f is not None:
        units = filter_list(ml, f)
        start, stop = units[0], units[0] + 1
    elif count is not None and count > settings.max_maximise_units:
        raise HTTPException(
            422,
            f"count: {count} is more than the limit max_maximise_units = "
            f"{settings.max_maximise_units}",
        )
    elif first is not None and first >= F:
        raise HTTPException(422, f"first: {ml.describe()} has units 0 to {F - 1}, got {first}")
    else:
        start = first or 0
        stop = F if count is None else min(F, start + count)
    n = stop - start
    one = STEP_PASSES * pass_cost(ml.entry.model, ml.index + 1)  # one unit, one step
    per_unit = max(steps, 1) * one
    fits = min(settings.max_maximise_units, largest_fitting(settings, per_unit))
    page = (
        f"ask for a range: first={start}&count={fits} (then first={start + fits}, ...)"
        if fits >= 1
        else f"one unit at a time, with at most {largest_fitting(settings, one)} steps"
    )
    if n > settings.max_maximise_units:
        field = "count" if count is not None else "filter"
        raise HTTPException(
            422,
            f"{field}: {n:,} units of {ml.describe()} at once, more than the limit "
            f"max_maximise_units = {settings.max_maximise_units}; {page}",
        )
    check_cost(
        settings,
        "count/steps" if count is not None else "filter/steps",
        n * per_unit,
        f"{n:,} units × {max(steps, 1)} steps × {STEP_PASSES} passes × "
        f"{megamacs(one / STEP_PASSES)} per pass",
        f"; {page}",
    )
    return list(range(start, stop))


def _maximise(ml: ModelLayer, settings: Settings, q: MaximiseQuery):
    steps = q.steps
    if steps > settings.max_maximise_steps:
        raise HTTPException(
            422,
            f"steps: {steps} is more than the limit max_maximise_steps = "
            f"{settings.max_maximise_steps}",
        )
    if ml.layer.type == "softmax" or len(ml.output_shape) not in (1, 3):
        raise HTTPException(404, f"index: {ml.describe()} has no units to maximise")
    filters = _units(ml, settings, q.filter_, q.first, q.count, steps)
    model = ml.entry.model
    memo = _memo(settings)
    key = (token(model), ml.index, tuple(filters), steps, q.seed, q.objective)
    result = memo.get(key)
    if result is None:
        result = explain.maximise_activation(
            model, ml.index, filters, steps=steps, objective=q.objective, seed=q.seed
        )
        memo.put(key, result)
    return result


def _centre_box(ml: ModelLayer) -> list[int] | None:
    """The input box ``[top, left, bottom, right)`` the centre unit sees, clipped to the input;
    ``None`` when the layer has no receptive-field box (dense layers, after a flatten)."""
    if len(ml.output_shape) != 3:
        return None
    _, h, w = ml.output_shape
    try:
        top, left, bottom, right = input_box(ml.entry.model, ml.index, h // 2, w // 2)
    except ValueError:
        return None
    _, H, W = ml.entry.model.input_shape
    return [max(int(top), 0), max(int(left), 0), min(int(bottom), H), min(int(right), W)]


def _maximise_json(ml: ModelLayer, settings: Settings, q: MaximiseQuery) -> dict:
    m = _maximise(ml, settings, q)
    return {
        "layer": ml.index,
        "name": ml.layer.name,
        "units": ml.output_shape[0],
        "objective": m.objective,
        "steps": q.steps,
        "seed": q.seed,
        "box": _centre_box(ml) if q.objective == "center" else None,
        "filters": [
            {
                "filter": int(f),
                "image": rounded(picture(ml, m.images[i]), 4),
                "initial": float(m.initial[i]),
                "activation": float(m.activation[i]),
            }
            for i, f in enumerate(m.filters)
        ],
    }


def _maximise_png(ml: ModelLayer, settings: Settings, q: MaximiseQuery) -> Response:
    m = _maximise(ml, settings, q)
    labels = [f"f{f}: {number(a, 3)}" for f, a in zip(m.filters, m.activation, strict=True)]
    title = f"{ml.entry.id} {ml.describe()}: inputs maximising each filter ({q.objective})"
    if m.images.shape[1] == 1:
        scale = ColourScale.for_values(np.array([0.0, 1.0]), signed=False)
        return png_response(grid_png(m.images[:, 0], labels, title, scale), 0.0, 1.0)
    rgb = np.stack([picture(ml, im) for im in m.images]).transpose(0, 2, 3, 1)  # (n, H, W, 3)
    note = "the pictures in their own colours (R, G, B in [0, 1]); jitter + blur regularised"
    png = rgb_grid_png((255 * rgb).round().astype(np.uint8), labels, title, *text_legend([note]))
    return png_response(png, 0.0, 1.0)


def picture(ml: ModelLayer, image: np.ndarray) -> np.ndarray:
    """One maximising input ``(C, H, W)`` as a picture: ``(H, W)`` ink for a drawing model,
    ``(3, H, W)`` RGB for a colour one (a BGR network's channels put in R, G, B order)."""
    if image.shape[0] == 1:
        return image[0]
    channels = (model_convention(ml.entry.model) or {}).get("channels", "rgb")
    return image[::-1] if channels == "bgr" else image


def _maximise_route(suffix: str, answer, responses: dict, summary: str, **route) -> None:
    """Register ``GET .../layers/{index}/maximise<suffix>``, answered by ``answer(ml, settings,
    query)`` on a heavy-work thread (its slot taken first: ``HeavyDep``)."""

    async def endpoint(request: Request, ml: LayerDep, settings: SettingsDep, query: MaximiseDep):
        return await run_heavy(request, answer, ml, settings, query)

    router.get(
        f"/layers/{{index}}/maximise{suffix}",
        name=answer.__name__.lstrip("_"),  # the operation id's stem: maximise_json / _png
        responses={**responses, **ERRORS, **BUSY},
        dependencies=[HeavyDep],
        summary=summary,
        **route,
    )(endpoint)


_maximise_route(
    "",
    _maximise_json,
    {},
    "The input each filter responds to most (gradient ascent, seeded)",
    response_model=MaximiseResult,
)
_maximise_route(
    ".png",
    _maximise_png,
    PNG,
    "The activation-maximising inputs as a labelled grid",
    response_class=Response,
)
