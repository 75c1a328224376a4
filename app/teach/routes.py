"""The teaching views: backpropagation on your drawing, the flattened digit, translation, and
lines combined into a square by hand-set filters."""

from collections.abc import Callable
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


def _drawing_view(
    path: str, view: Callable, request_model: type, response_model: type, summary: str
) -> None:
    """Register ``POST /api/models/{model_id}/<path>``: a drawing, with the view's settings in
    ``request_model``, through the teaching view ``view(entry, body, settings)``. (Like
    ``app.explain.routes._routes``, the body's class is chosen at run time, so this module does
    not postpone its annotations.)"""

    def endpoint(entry: ModelDep, body: request_model, settings: SettingsDep) -> dict:
        return view(entry, body, settings)

    router.post(
        f"/api/models/{{model_id}}/{path}",
        name=path.replace("-", "_"),  # the operation id's stem, as the function names gave it
        response_model=response_model,
        responses=ERRORS,
        summary=summary,
    )(endpoint)


_drawing_view(
    "backprop",
    teach.backprop,
    BackpropRequest,
    BackpropResponse,
    "Backpropagation on one drawing: the loss, every layer's gradient, one SGD step on a copy "
    "of the weights",
)


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


_drawing_view(
    "flatten",
    teach.flatten_view,
    ImageInput,
    FlattenResponse,
    "The drawing as its vector, scrambled by the fixed permutation, and the model on both",
)
_drawing_view(
    "shift",
    teach.shift_view,
    ShiftRequest,
    ShiftResponse,
    "The drawing moved, scaled and rotated: how far every layer's maps follow",
)
_drawing_view(
    "shift-curve",
    teach.shift_curve,
    CurveRequest,
    CurveResponse,
    "The prediction's confidence against a horizontal or vertical shift",
)


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
