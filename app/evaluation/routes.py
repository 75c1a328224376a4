"""How good is a model: ``/api/models/{id}/evaluation`` (accuracy, confusion matrix, every
mistake) and the test images it refers to; the ``/evaluate`` page."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from PIL import Image
from pydantic import BaseModel, Field

from app.core.deps import ModelDep, SettingsDep
from app.core.responses import ERRORS
from app.datasets import store
from app.datasets.testsets import describe
from app.evaluation.service import Evaluation, EvaluationCache

router = APIRouter(tags=["evaluation"])

MAX_LISTED = 500  # misclassified digits listed in one evaluation
MAX_EXAMPLES = 200
MAX_PNG_SCALE = 16


class Example(BaseModel):
    index: int = Field(description="Position in the test set, 0-based.")
    target: int
    label: str = Field(description="The true class name.")
    predicted: int
    predicted_label: str
    confidence: float = Field(description="The probability the model gave its prediction.")


class ClassScore(BaseModel):
    index: int
    label: str
    total: int = Field(description="Test images of this class (the confusion row's sum).")
    correct: int
    accuracy: float | None
    predicted: int = Field(description="Images predicted as this class (the column's sum).")
    precision: float | None


class EvaluationResult(BaseModel):
    model_id: str
    dataset: str
    classes: list[str]
    total: int = Field(description="Test images scored; the confusion matrix sums to this.")
    correct: int
    accuracy: float
    loss: float = Field(description="Mean cross-entropy.")
    seconds: float = Field(description="Time the scoring took.")
    cached: bool = Field(description="Whether this came from the in-memory cache.")
    confusion: list[list[int]] = Field(description="[true][predicted] counts.")
    per_class: list[ClassScore]
    misclassified_total: int
    misclassified: list[Example] = Field(
        description=f"The mistakes in test-set order, the first {MAX_LISTED}."
    )
    confident_mistakes: list[Example] = Field(description="The mistakes it was surest of.")
    image_url: str = Field(description="Template of a test image's PNG: replace `{index}`.")
    source: str = Field(
        description="Where the test images come from (CIFAR-10: the full test set, or the "
        "150 photos that ship when it is not on this server)."
    )


class Examples(BaseModel):
    true_class: int
    predicted_class: int
    total: int
    offset: int
    items: list[Example]


async def get_cache(request: Request) -> EvaluationCache:
    state = request.app.state
    if getattr(state, "evaluations", None) is None:
        state.evaluations = EvaluationCache(state.tables)
    return state.evaluations


CacheDep = Annotated[EvaluationCache, Depends(get_cache)]


def _evaluation(entry, settings, cache: EvaluationCache) -> tuple[Evaluation, bool]:
    return cache.get(entry, settings)


@router.get(
    "/api/models/{model_id}/evaluation",
    response_model=EvaluationResult,
    responses=ERRORS,
    summary="Score a model on its data set's test split: accuracy, confusion matrix, mistakes",
)
def evaluation(entry: ModelDep, settings: SettingsDep, cache: CacheDep) -> dict:
    result, cached = _evaluation(entry, settings, cache)
    return {
        **result.summary(MAX_LISTED),
        "cached": cached,
        "image_url": f"/api/datasets/{result.dataset}/test/{{index}}.png",
        "source": describe(settings.data_dir, result.dataset),
    }


@router.get(
    "/api/models/{model_id}/evaluation/examples",
    response_model=Examples,
    responses=ERRORS,
    summary="The test images in one cell of the confusion matrix",
)
def evaluation_examples(
    entry: ModelDep,
    settings: SettingsDep,
    cache: CacheDep,
    true_class: Annotated[int, Query(ge=0, description="The row: the true class.")],
    predicted_class: Annotated[int, Query(ge=0, description="The column: the prediction.")],
    offset: Annotated[int, Query(ge=0)] = 0,
    count: Annotated[int, Query(ge=1, le=MAX_EXAMPLES)] = 60,
) -> dict:
    result, _ = _evaluation(entry, settings, cache)
    K = len(result.classes)
    for name, k in (("true_class", true_class), ("predicted_class", predicted_class)):
        if k >= K:
            raise HTTPException(422, f"{name}: classes are 0 to {K - 1}, got {k}")
    indices = result.cell(true_class, predicted_class)
    return {
        "true_class": true_class,
        "predicted_class": predicted_class,
        "total": int(len(indices)),
        "offset": offset,
        "items": [result.example(i) for i in indices[offset : offset + count]],
    }


@router.get(
    "/api/datasets/{dataset}/test/{index}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **ERRORS},
    summary="One test image as a PNG (digits: light ink on black, as in the data set)",
)
def test_image_png(
    dataset: Annotated[
        str,
        PathParam(
            pattern=store.ID_PATTERN,
            description="mnist, fashion-mnist, cifar10 or an uploaded data set's id.",
        ),
    ],
    index: Annotated[int, PathParam(ge=0, description="Position in the test set.")],
    settings: SettingsDep,
    cache: CacheDep,
    scale: Annotated[int, Query(ge=1, le=MAX_PNG_SCALE, description="Pixels per pixel.")] = 1,
) -> Response:
    images, _ = cache.test_set(dataset, settings)
    if index >= len(images):
        raise HTTPException(
            404, f"index: the {dataset} test set has images 0 to {len(images) - 1}, got {index}"
        )
    picture = images[index]  # (28, 28) grey, or (3, 32, 32) RGB
    img = Image.fromarray(picture if picture.ndim == 2 else picture.transpose(1, 2, 0))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return Response(
        buf.getvalue(), media_type="image/png", headers={"Cache-Control": "max-age=3600"}
    )
