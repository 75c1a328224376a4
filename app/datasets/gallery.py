"""``GET /api/gallery``: real test images for the pages to run through a model.

MNIST's test set ships in ``<data_dir>/mnist/``; Fashion-MNIST's is used when it is on disk
(``engine.data.search_dirs``). CIFAR-10's is the full test set when it is in ``data_dir``
(``engine.cifar10``: the binary release or the JPEG zip), else the 150 test photos that ship in
``static/samples/cifar10``; the answer's ``source`` says which. ``?model=`` serves that model's
data set (a colour model's photos). A data set that is not here is a 404 saying how to get it.
Each is read once, on first use, and kept in memory (10,000 × 28 × 28 bytes, under 8 MB;
CIFAR-10's 10,000 × 3 × 32 × 32, 30 MB).
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

from app.core.deps import RegistryDep, SettingsDep
from app.core.schemas import ErrorBody
from app.datasets.testsets import describe, test_set
from engine import cifar10
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
Dataset = Literal["mnist", "fashion-mnist", "cifar10"]
NAMES = {**CLASSES, cifar10.NAME: cifar10.CLASSES}
DECIMALS = 4  # pixel values are k/255; four decimals are exact to 2e-4


class GalleryItem(BaseModel):
    index: int = Field(description="Position in the test set, 0-based.")
    label: str = Field(description="The true class name, e.g. `7`.")
    target: int = Field(description="The true class index.")
    pixels: list[list[float]] | list[list[list[float]]] = Field(
        description="A digit: 28×28 ink values in [0, 1] (1 = ink). A photo: H×W×3 RGB values "
        "in [0, 1]. Either is an ImageInput's `pixels` as it is."
    )


class Gallery(BaseModel):
    dataset: Dataset
    items: list[GalleryItem]
    total: int = Field(description="How many images the test set (or the sample) holds.")
    offset: int
    image_shape: list[int] = Field(description="[C, H, W] of every image.")
    source: str = Field(description="Where the images come from (CIFAR-10: all, or the sample).")


DatasetQuery = Annotated[Dataset | None, Query(description="Whose test set (default mnist).")]
ModelQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="A model id: its data set's test set (`cifar10` for a CIFAR-10 model). "
        "Given with `dataset`, they must agree.",
    ),
]


def which_dataset(registry, model: str | None, dataset: str | None) -> str:
    """The data set a gallery request means: ``dataset``, else ``model``'s, else mnist."""
    if model is None:
        return dataset or "mnist"
    try:
        entry = registry.get(model)
    except KeyError:
        raise HTTPException(404, f"model: no model {model[:80]!r}") from None
    own = str(entry.card.get("dataset") or "mnist")
    if own not in NAMES:
        raise HTTPException(
            404,
            f"model: {model!r} was trained on {own!r}; the gallery has {', '.join(NAMES)}",
        )
    if dataset is not None and dataset != own:
        raise HTTPException(422, f"dataset: {dataset!r}, but model {model!r} is a {own!r} model")
    return own


def _check_index(index: int, total: int, name: str, dataset: str) -> None:
    if index >= total:
        raise HTTPException(
            404, f"{name}: the {dataset} test set has images 0 to {total - 1}, got {index}"
        )


@router.get("", response_model=Gallery, summary="Test images with their true labels")
def gallery(
    settings: SettingsDep,
    registry: RegistryDep,
    count: Annotated[int, Query(ge=1, le=MAX_COUNT, description="How many images.")] = 24,
    offset: Annotated[int, Query(ge=0, description="Index of the first image.")] = 0,
    dataset: DatasetQuery = None,
    model: ModelQuery = None,
) -> dict:
    dataset = which_dataset(registry, model, dataset)
    images, labels = test_set(settings.data_dir, dataset)
    total = len(images)
    _check_index(offset, total, "offset", dataset)
    stop = min(offset + count, total)
    chosen = images[offset:stop]  # (n, 28, 28) or (n, 3, 32, 32)
    if chosen.ndim == 4:
        chosen = chosen.transpose(0, 2, 3, 1)  # (n, 3, H, W) -> (n, H, W, 3): ImageInput's pixels
    pixels = np.round(chosen.astype(np.float32) / 255.0, DECIMALS)
    names = NAMES[dataset]
    items = [
        {
            "index": offset + i,
            "label": names[int(labels[offset + i])],
            "target": int(labels[offset + i]),
            "pixels": pixels[i].tolist(),
        }
        for i in range(stop - offset)
    ]
    shape = [1, *images.shape[1:]] if images.ndim == 3 else list(images.shape[1:])
    return {
        "dataset": dataset,
        "items": items,
        "total": total,
        "offset": offset,
        "image_shape": shape,
        "source": describe(settings.data_dir, dataset),
    }


@router.get(
    "/{index}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="One test image as a PNG (digits: white ink on black, as in MNIST; photos in colour)",
)
def gallery_png(
    settings: SettingsDep,
    registry: RegistryDep,
    index: Annotated[int, PathParam(ge=0, description="Position in the test set.")],
    scale: Annotated[int, Query(ge=1, le=MAX_PNG_SCALE, description="Pixels per pixel.")] = 1,
    dataset: DatasetQuery = None,
    model: ModelQuery = None,
) -> Response:
    dataset = which_dataset(registry, model, dataset)
    images, _ = test_set(settings.data_dir, dataset)
    _check_index(index, len(images), "index", dataset)
    picture = images[index]  # (28, 28) grey, or (3, H, W) RGB
    img = Image.fromarray(picture if picture.ndim == 2 else picture.transpose(1, 2, 0))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return Response(buf.getvalue(), media_type="image/png")
