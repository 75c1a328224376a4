"""Your own data: ``POST /api/datasets`` (a zip of an image folder), ``GET``, ``DELETE``.

The zip is streamed to a temporary file beside the stored data sets (never held whole in memory),
counting bytes against ``max_dataset_upload_bytes``; ``engine.image_folder`` then inspects its
listing before a byte is decompressed and decodes the images under the ``max_dataset_*`` limits.
Whatever happens, the temporary file is removed; a refused zip leaves nothing behind.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.core.access import WriteAccess, upload_route
from app.core.deps import SettingsDep
from app.core.kept import stream_to
from app.core.schemas import ErrorBody
from app.datasets import store
from engine.image_folder import BadImageFolder

router = APIRouter(prefix="/api/datasets", tags=["datasets"])
CHUNK = 1024 * 1024
ERRORS = {
    404: {"model": ErrorBody, "description": "No such data set."},
    403: {"model": ErrorBody, "description": "A built-in data set is read-only."},
    413: {"model": ErrorBody, "description": "The zip is over max_dataset_upload_bytes."},
    422: {"model": ErrorBody, "description": "The zip is refused: `detail` names the entry."},
}
DatasetId = Annotated[str, PathParam(pattern=store.ID_PATTERN, description="A data set's id.")]


class DatasetInfo(BaseModel):
    id: str
    name: str
    classes: list[str]
    counts: dict[str, int] = Field(description='Images per split: `{"train": n, "test": n}`.')
    image_shape: list[int] = Field(description="[C, H, W] of every image (C = 3 when uploaded).")
    builtin: bool = Field(description="Built-in data sets are read-only.")
    available: bool = Field(description="Its files are here: it can be trained on.")
    source: str = Field(description="Where the images come from, and how the split was made.")


class DatasetList(BaseModel):
    datasets: list[DatasetInfo]


@router.get("", response_model=DatasetList, summary="Every data set, built-in and uploaded")
def list_datasets(settings: SettingsDep) -> dict:
    return {"datasets": store.list_all(settings)}


@router.post(
    "",
    response_model=DatasetInfo,
    **upload_route(ERRORS),
    summary="Upload a zip of <split>/<class>/<image> or <class>/<image> (a test split is made)",
)
async def upload_dataset(
    settings: SettingsDep,
    archive: Annotated[UploadFile, File(description="A zip of an image folder.")],
    name: Annotated[str, Form(min_length=1, max_length=64, description="Display name.")],
) -> dict:
    folder = store.datasets_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".upload-{secrets.token_hex(6)}.zip.tmp"
    limit = settings.max_dataset_upload_bytes
    try:
        with tmp.open("wb") as out:
            await stream_to(_chunks(archive), out, limit, "archive", "max_dataset_upload_bytes")
        return await run_in_threadpool(store.add, settings, tmp, name.strip() or "dataset")
    except BadImageFolder as e:
        raise HTTPException(422, f"archive: {e}") from None
    finally:
        tmp.unlink(missing_ok=True)


async def _chunks(upload: UploadFile):
    while chunk := await upload.read(CHUNK):
        yield chunk


@router.get("/{dataset_id}", response_model=DatasetInfo, responses={404: ERRORS[404]})
def get_dataset(dataset_id: DatasetId, settings: SettingsDep) -> dict:
    try:
        return store.info(settings, dataset_id)
    except store.UnknownDataset as e:
        raise HTTPException(404, f"dataset_id: {e.args[0]}") from None


@router.delete(
    "/{dataset_id}",
    response_model=DatasetInfo,
    dependencies=[WriteAccess],
    responses={k: ERRORS[k] for k in (403, 404)},
    summary="Delete an uploaded data set (built-in ones are read-only)",
)
def delete_dataset(dataset_id: DatasetId, settings: SettingsDep) -> dict:
    try:
        return store.delete(settings, dataset_id)
    except store.UnknownDataset as e:
        raise HTTPException(404, f"dataset_id: {e.args[0]}") from None
    except ValueError as e:
        raise HTTPException(403, str(e)) from None
