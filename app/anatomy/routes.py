"""Convolution anatomy: the playground (``/api/conv``, ``/api/pool``), the named presets, a
parameter count, and one filter of a real conv layer taken apart on a drawing."""

from collections.abc import Callable
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


def _playground_op(
    path: str, op: Callable, request_model: type, response_model: type, summary: str, **extra
) -> None:
    """Register ``POST <path>``: one playground operation ``op(body, settings)`` on a small
    example, answering every step — heavy work, so it runs on the heavy threads under their
    limit (a 503 when busy). (Like ``app.teach.routes._drawing_view``, the body's class is
    chosen at run time, so this module does not postpone its annotations.)"""

    async def endpoint(request: Request, body: request_model, settings: SettingsDep) -> dict:
        return await run_heavy(request, op, body, settings)

    router.post(
        path,
        name=path.rsplit("/", 1)[1],  # the operation id's stem, as the function names gave it
        response_model=response_model,
        responses={**ERRORS, **BUSY},
        dependencies=[HeavyDep],
        summary=summary,
        **extra,
    )(endpoint)


_playground_op(
    "/api/conv",
    anatomy.conv,
    ConvRequest,
    ConvResponse,
    "One filter on a small input: output, size formula, weight matrix, every step",
)
_playground_op(
    "/api/pool",
    anatomy.pool,
    PoolRequest,
    PoolResponse,
    "Pooling on a small input: output, size formula, every window and its winner",
    response_model_by_alias=True,
)


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
