"""``GET /api/gallery``: real test images for the explorer to run through a model.

MNIST's test set ships in ``<data_dir>/mnist/``; Fashion-MNIST's is used when it is on disk
(``engine.data.search_dirs``), else its requests are 404s saying how to get it. Each is read
once, on first use, and kept in memory (10,000 × 28 × 28 bytes, under 8 MB).
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import Response
from PIL import Image
from pydantic import BaseModel, Field

from app.core.deps import SettingsDep
from app.core.schemas import ErrorBody
from app.datasets.testsets import test_set
from engine.data import CLASSES

router = APIRouter(
    prefix="/api/gallery",
    tags=["gallery"],
    responses={
        404: {"model": ErrorBody, "description": "No such image, or that data set is not here."},
        503: {"model": ErrorBody, "description": "The data set's files are unreadable."},
    },
)

MAX_COUNT = 100
MAX_PNG_SCALE = 16
Dataset = Literal["mnist", "fashion-mnist"]
DECIMALS = 4  # pixel values are k/255; four decimals are exact to 2e-4


class GalleryItem(BaseModel):
    index: int = Field(description="Position in the test set, 0-based.")
    label: str = Field(description="The true class name, e.g. `7`.")
    target: int = Field(description="The true class index.")
    pixels: list[list[float]] = Field(description="28×28 ink values in [0, 1] (1 = ink).")


class Gallery(BaseModel):
    dataset: Dataset
    items: list[GalleryItem]
    total: int = Field(description="How many digits the test set holds.")
    offset: int


DatasetQuery = Annotated[Dataset, Query(description="Whose test set.")]


def _check_index(index: int, total: int, name: str, dataset: str) -> None:
    if index >= total:
        raise HTTPException(
            404, f"{name}: the {dataset} test set has images 0 to {total - 1}, got {index}"
        )


@router.get("", response_model=Gallery, summary="Test images with their true labels")
def gallery(
    settings: SettingsDep,
    count: Annotated[int, Query(ge=1, le=MAX_COUNT, description="How many images.")] = 24,
    offset: Annotated[int, Query(ge=0, description="Index of the first image.")] = 0,
    dataset: DatasetQuery = "mnist",
) -> dict:
    images, labels = test_set(settings.data_dir, dataset)
    total = len(images)
    _check_index(offset, total, "offset", dataset)
    stop = min(offset + count, total)
    pixels = np.round(images[offset:stop].astype(np.float32) / 255.0, DECIMALS)  # (n, 28, 28)
    names = CLASSES[dataset]
    items = [
        {
            "index": offset + i,
            "label": names[int(labels[offset + i])],
            "target": int(labels[offset + i]),
            "pixels": pixels[i].tolist(),
        }
        for i in range(stop - offset)
    ]
    return {"dataset": dataset, "items": items, "total": total, "offset": offset}


@router.get(
    "/{index}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="One test image as a PNG (white ink on black, as in MNIST)",
)
def gallery_png(
    settings: SettingsDep,
    index: Annotated[int, PathParam(ge=0, description="Position in the test set.")],
    scale: Annotated[int, Query(ge=1, le=MAX_PNG_SCALE, description="Pixels per pixel.")] = 1,
    dataset: DatasetQuery = "mnist",
) -> Response:
    images, _ = test_set(settings.data_dir, dataset)
    _check_index(index, len(images), "index", dataset)
    img = Image.fromarray(images[index], mode="L")
    if scale > 1:
        img = img.resize((28 * scale, 28 * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return Response(buf.getvalue(), media_type="image/png")
