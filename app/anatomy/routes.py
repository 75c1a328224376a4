"""Convolution anatomy: the playground (``/api/conv``, ``/api/pool``), the named presets, a
parameter count, and one filter of a real conv layer taken apart on a drawing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.anatomy import layer_matrix
from app.anatomy import service as anatomy
from app.anatomy.layer_matrix import GroupQuery
from app.anatomy.schemas import (
    Arithmetic,
    ArithmeticQuery,
    ConvRequest,
    ConvResponse,
    LayerAnatomy,
    LayerAnatomyRequest,
    ParamsResponse,
    PoolRequest,
    PoolResponse,
    Presets,
)
from app.core.bounds import BUSY, HeavyDep, run_heavy
from app.core.deps import LayerDep, SettingsDep
from app.core.responses import ERRORS
from engine.anatomy import POOL_PRESETS, PRESETS

router = APIRouter(tags=["anatomy"])

Size = Annotated[int, Query(ge=1, le=1_000_000)]
# The playground's operations answer every step of a small example: heavy work, run on the heavy
# threads under their limit (a 503 when busy).
PLAYGROUND = {"responses": {**ERRORS, **BUSY}, "dependencies": [HeavyDep]}


@router.post(
    "/api/conv",
    response_model=ConvResponse,
    **PLAYGROUND,
    summary="One filter on a small input: output, size formula, weight matrix, every step",
)
async def conv(request: Request, body: ConvRequest, settings: SettingsDep) -> dict:
    return await run_heavy(request, anatomy.conv, body, settings)


@router.post(
    "/api/pool",
    response_model=PoolResponse,
    **PLAYGROUND,
    response_model_by_alias=True,
    summary="Pooling on a small input: output, size formula, every window and its winner",
)
async def pool(request: Request, body: PoolRequest, settings: SettingsDep) -> dict:
    return await run_heavy(request, anatomy.pool, body, settings)


@router.get(
    "/api/anatomy/presets",
    response_model=Presets,
    response_model_by_alias=True,
    summary="The source texts' worked examples for the playgrounds, named by what they show",
)
def presets() -> dict:
    return {"conv": list(PRESETS.values()), "pool": POOL_PRESETS}


@router.get(
    "/api/anatomy/arithmetic",
    response_model=Arithmetic,
    responses=ERRORS,
    summary="Whether sizes and hyperparameters work: the size formula, or every reason not",
)
def arithmetic(query: Annotated[ArithmeticQuery, Query()], settings: SettingsDep) -> dict:
    return anatomy.arithmetic(query, settings)


@router.get(
    "/api/anatomy/params",
    response_model=ParamsResponse,
    responses=ERRORS,
    summary="Parameters of a conv layer against a dense layer on the same image",
)
def params(
    channels: Size = 3,
    height: Size = 256,
    width: Size = 256,
    filters: Size = 1,
    kernel_size: Annotated[int, Query(ge=1, le=1000)] = 5,
    units: Size = 128,
    bias: bool = False,
) -> dict:
    return anatomy.params_comparison(channels, height, width, filters, kernel_size, units, bias)


@router.post(
    "/api/models/{model_id}/layers/{index}/anatomy",
    response_model=LayerAnatomy,
    responses=ERRORS,
    summary="One filter of a conv layer on a drawing: its input, matrix, feature map and "
    "the check M @ x + b = feature map",
)
def layer_anatomy(
    ml: LayerDep, body: LayerAnatomyRequest, settings: SettingsDep, group: GroupQuery = None
) -> dict:
    f = body.filter if "filter" in body.model_fields_set else None  # else the group's first
    matrix = layer_matrix.answer(ml, settings, f, group=group)  # the group's block
    return anatomy.layer(ml, body, settings, matrix)
