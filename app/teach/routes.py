"""The teaching views: backpropagation on your drawing, the flattened digit, translation, and
lines combined into a square by hand-set filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.core.deps import ModelDep, RegistryDep, SettingsDep
from app.core.responses import ERRORS, TABLE_503
from app.core.schemas import ImageInput
from app.datasets.testsets import test_set
from app.teach import service as teach
from app.teach.schemas import (
    BackpropRequest,
    BackpropResponse,
    CurveRequest,
    CurveResponse,
    FlattenResponse,
    Networks,
    PermutationTest,
    ShiftRequest,
    ShiftResponse,
    SquareRequest,
    SquareResponse,
    SquareSetup,
)

router = APIRouter(tags=["teach"])


@router.post(
    "/api/models/{model_id}/backprop",
    response_model=BackpropResponse,
    responses=ERRORS,
    summary="Backpropagation on one drawing: the loss, every layer's gradient, one SGD step "
    "on a copy of the weights",
)
def backprop(entry: ModelDep, body: BackpropRequest, settings: SettingsDep) -> dict:
    return teach.backprop(entry, body, settings)


@router.get(
    "/api/teach/networks",
    response_model=Networks,
    summary="The installed models as dense-on-pixels or convolutional networks",
)
def networks(registry: RegistryDep) -> dict:
    return teach.networks(registry.all())


@router.get(
    "/api/models/{model_id}/permutation-test",
    response_model=PermutationTest,
    responses={**ERRORS, **TABLE_503},
    summary="Test accuracy with every test image's pixels scrambled by one fixed permutation "
    "(measured once per model)",
)
def permutation_test(
    request: Request,
    entry: ModelDep,
    settings: SettingsDep,
    images: Annotated[
        int, Query(ge=100, le=10_000, description="The first N test images (cost ∝ N).")
    ] = 2000,
) -> dict:
    dataset = str(entry.card.get("dataset") or "mnist")
    x, y = test_set(settings.data_dir, dataset if dataset == "fashion-mnist" else "mnist")
    return teach.permutation_test(entry, x[:images], y[:images], request.app.state.tables)


@router.post(
    "/api/models/{model_id}/flatten",
    response_model=FlattenResponse,
    responses=ERRORS,
    summary="The drawing as its vector, scrambled by the fixed permutation, and the model on both",
)
def flatten(entry: ModelDep, body: ImageInput, settings: SettingsDep) -> dict:
    return teach.flatten_view(entry, body, settings)


@router.post(
    "/api/models/{model_id}/shift",
    response_model=ShiftResponse,
    responses=ERRORS,
    summary="The drawing moved, scaled and rotated: how far every layer's maps follow",
)
def shift(entry: ModelDep, body: ShiftRequest, settings: SettingsDep) -> dict:
    return teach.shift_view(entry, body, settings)


@router.post(
    "/api/models/{model_id}/shift-curve",
    response_model=CurveResponse,
    responses=ERRORS,
    summary="The prediction's confidence against a horizontal or vertical shift",
)
def shift_curve(entry: ModelDep, body: CurveRequest, settings: SettingsDep) -> dict:
    return teach.shift_curve(entry, body, settings)


@router.get(
    "/api/teach/square",
    response_model=SquareSetup,
    summary="The hand-built lines → corners → square network: its weights and example shapes",
)
def square_setup() -> dict:
    return teach.square_setup()


@router.post(
    "/api/teach/square",
    response_model=SquareResponse,
    responses=ERRORS,
    summary="Every map of the lines → corners → square network on a drawing",
)
def square(body: SquareRequest) -> dict:
    return teach.square_run(body)
