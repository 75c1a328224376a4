"""``/api/models/{id}/layers/{index}/connections`` and ``.../receptive-field``: what one unit
reads, with the numbers (for a drawing) or the geometry alone — the engine's, so the pages
never re-derive a window or a sum."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from app.core.deps import LayerDep, SettingsDep
from app.core.imaging import model_input
from app.core.responses import ERRORS
from app.models.schemas import Connections, ConnectionsRequest, ReceptiveField
from engine.explain.connections import boxes, connections

router = APIRouter(prefix="/api/models", tags=["models"])


@router.post(
    "/{model_id}/layers/{index}/connections",
    response_model=Connections,
    response_model_exclude_none=True,
    responses=ERRORS,
    summary="One unit on a drawing: its value and the windows, weights and sum it came from",
)
def unit_connections(ml: LayerDep, body: ConnectionsRequest, settings: SettingsDep) -> dict:
    model = ml.entry.model
    shape = ml.output_shape
    if len(body.unit) != len(shape):
        raise HTTPException(
            422, f"unit: {ml.describe()} outputs {list(shape)}, so a unit is "
            f"{len(shape)} indices, got {body.unit}",
        )  # fmt: skip
    for axis, (u, n) in enumerate(zip(body.unit, shape, strict=True)):
        if not 0 <= u < n:
            raise HTTPException(
                422, f"unit[{axis}]: {u} is outside {ml.describe()}'s output {list(shape)} "
                f"(0 to {n - 1})",
            )  # fmt: skip
    x, _ = model_input(body, model, settings)  # x: (1, C, H, W), as the model computes on
    outputs = [o[0] for o in model.forward(x, return_all=True, stop=ml.index + 1)]
    return connections(model, outputs, x[0], ml.index, body.unit, top=body.top)


Index = Annotated[int, Query(ge=0, le=100_000)]


@router.get(
    "/{model_id}/layers/{index}/receptive-field",
    response_model=ReceptiveField,
    responses=ERRORS,
    summary="The box one output position sees in every layer below it, down to the input",
)
def receptive_field(ml: LayerDep, row: Index, col: Index) -> dict:
    shape = ml.output_shape
    if len(shape) != 3:
        raise HTTPException(
            422, f"index: {ml.describe()} outputs {list(shape)}, not (C, H, W) maps"
        )
    H, W = shape[1:]
    if row >= H or col >= W:
        raise HTTPException(
            422, f"row/col: ({row}, {col}) is outside {ml.describe()}'s {H}×{W} maps",
        )  # fmt: skip
    found = boxes(ml.entry.model, ml.index, row, col)
    return {"index": ml.index, "unit": [row, col], "boxes": found}
