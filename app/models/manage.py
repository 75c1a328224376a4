"""Managing models: rename, delete, download the weights, import weights trained elsewhere.

The shipped default model is read-only (403). An import is an ONNX file (graph and weights,
with its external-data files; see ``app.models.onnx_upload``) or an ``.npz`` whose arrays are named
as PyTorch names a ``state_dict`` (``conv1.weight``, ``conv1.bias``, ...) plus the
architecture as JSON — the same JSON ``/api/train`` and ``python -m engine train --arch``
take; the engine checks every array's name and shape against it. Files are read with
``allow_pickle=False`` and written only as ``<models_dir>/<validated id>.npz``.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError

from app.core.access import WriteAccess
from app.core.deps import ModelDep, RegistryDep, SettingsDep
from app.core.responses import ERRORS
from app.models import onnx_upload
from app.models import store as model_store
from app.models.schemas import ModelInfo, ModelPatch
from app.training import architecture
from app.training.schemas import Architecture
from engine import architectures, archive, onnx_import
from engine.model import ARCH_KEY
from engine.onnx_import import looks_like_zip
from engine.persist import MAX_ARCH_BYTES

router = APIRouter(prefix="/api/models", tags=["models"])

MANAGE_ERRORS = {
    **ERRORS,
    403: {"model": ERRORS[404]["model"], "description": "The shipped default is read-only."},
}


@router.patch(
    "/{model_id}",
    response_model=ModelInfo,
    responses=MANAGE_ERRORS,
    summary="Rename a model, or change its input convention (the id stays)",
    dependencies=[WriteAccess],
)
def patch_model(
    entry: ModelDep, body: ModelPatch, settings: SettingsDep, registry: RegistryDep
) -> dict:
    try:
        if body.input is not None:
            channels = entry.model.input_shape[0]
            try:
                convention = onnx_import.check_convention(body.input.model_dump(), channels)
            except ValueError as e:
                raise HTTPException(422, str(e)) from None
            entry = model_store.set_convention(settings, registry, entry, convention)
        if body.name is not None:
            entry = model_store.rename(settings, registry, entry, body.name.strip())
        return entry.info()
    except model_store.ProtectedModel as e:
        raise HTTPException(403, str(e)) from None


@router.delete(
    "/{model_id}",
    status_code=204,
    response_class=Response,
    responses=MANAGE_ERRORS,
    summary="Delete a model's weights and card (never the shipped default)",
    dependencies=[WriteAccess],
)
def delete_model(entry: ModelDep, settings: SettingsDep, registry: RegistryDep) -> Response:
    try:
        model_store.delete(settings, registry, entry.id)
    except model_store.ProtectedModel as e:
        raise HTTPException(403, str(e)) from None
    return Response(status_code=204)


@router.get(
    "/{model_id}/weights.npz",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, **ERRORS},
    summary="Download the weights: an .npz of PyTorch-named arrays plus the architecture",
)
def download_weights(entry: ModelDep, settings: SettingsDep) -> Response:
    path = settings.models_dir / f"{entry.id}.npz"
    if not path.is_file():
        raise HTTPException(404, f"model_id: {entry.id!r} has no weight file on disk")
    return FileResponse(path, media_type="application/octet-stream", filename=f"{entry.id}.npz")


MODEL_REF = "#/paths/~1api~1models~1{model_id}"
IMPORTED_LINKS = {  # OpenAPI links: what a client (or the stateful fuzz) can do next
    name: {
        "operationRef": f"{MODEL_REF}/{method}",
        "parameters": {"model_id": "$response.body#/id"},
        "description": f"{what} the imported model.",
    }
    for name, method, what in (
        ("GetImported", "get", "Read"),
        ("RenameImported", "patch", "Rename"),
        ("DeleteImported", "delete", "Delete"),
    )
}


def _parse_architecture(text: str) -> Architecture:
    try:
        spec = architectures.from_json(json.loads(text), "architecture")
        return Architecture.model_validate(spec)
    except json.JSONDecodeError as e:
        raise HTTPException(422, f"architecture: not valid JSON ({e})") from None
    except ValueError as e:  # from_json's message, or pydantic's (a ValueError too)
        if isinstance(e, ValidationError):
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise HTTPException(422, f"architecture: {where}: {first['msg']}") from None
        raise HTTPException(422, str(e)) from None


@router.post(
    "/import",
    response_model=ModelInfo,
    status_code=201,
    responses={**ERRORS, 413: ERRORS[413], 201: {"links": IMPORTED_LINKS}},
    summary="Import a model trained elsewhere: an ONNX file, or an .npz with its architecture",
    dependencies=[WriteAccess],
)
async def import_model(
    settings: SettingsDep,
    registry: RegistryDep,
    weights: Annotated[
        UploadFile,
        File(
            description="An `.onnx` file (graph and weights, from `torch.onnx.export`, tf2onnx, "
            "...), or an .npz of arrays named `conv1.weight`, `conv1.bias`, ... "
            "(`np.savez(f, **{k: v.numpy() for k, v in net.state_dict().items()})`)."
        ),
    ],
    name: Annotated[str, Form(min_length=1, max_length=64, description="Display name.")],
    architecture_json: Annotated[
        str | None,
        Form(
            alias="architecture",
            description='The layers as JSON: `{"layers": [...]}` or a bare list. May be left '
            "out when the file is a CNN Explorer model (it carries its architecture).",
        ),
    ] = None,
    dataset: Annotated[Literal["mnist", "fashion-mnist", "cifar10"], Form()] = "mnist",
    external_data: Annotated[
        list[UploadFile] | None,
        File(
            description="An ONNX model's external-data file(s) (`model.onnx.data`), matched by "
            "the file name the graph refers to. Repeatable."
        ),
    ] = None,
    classes: Annotated[
        str | None, Form(description='JSON list of class labels, e.g. `["cat", "dog"]`.')
    ] = None,
    input_json: Annotated[
        str | None,
        Form(
            alias="input",
            description='How the model expects its input, JSON (api.md, "Any image"): '
            '`{"channels": "rgb", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, '
            '0.225], "resize": {"mode": "center-crop", "size": 256}}` (torchvision\'s '
            'ImageNet models), `{"mean": [0.1307], "std": [0.3081]}` (an MNIST model). Keys: '
            "`invert`, `scale`, `mean`, `std` (one value, or one per channel), `channels` "
            "(`gray`, `rgb`, `bgr`), `resize` (`center-crop` with `size`, `stretch`, `pad`; "
            "`digit` for grey digit models, their default). Network input = ((1 − x if invert "
            "else x) · scale − mean) / std per channel, x ∈ [0, 1].",
        ),
    ] = None,
    output: Annotated[
        str | None,
        Form(
            description="ONNX only: the name of the graph output that holds the class scores, "
            "when the graph has several (default: the one whose last axis has the class count)."
        ),
    ] = None,
) -> dict:
    limit = settings.max_import_bytes
    sizes = [("weights", upload_size(weights))]
    sizes += [("external_data", upload_size(u)) for u in external_data or []]
    if sizes[0][1] > limit:
        raise HTTPException(
            413, f"weights: the file is more than the limit max_import_bytes = {limit:,}"
        )
    if sum(n for _, n in sizes) > limit:
        raise HTTPException(
            413,
            f"external_data: the files together are more than the limit max_import_bytes "
            f"= {limit:,}",
        )
    # The multipart parser spooled each file to a temporary file on disk as it streamed in
    # (the body limit refused an oversized one before that); only now, the sizes checked, is
    # the file read — the ONNX protobuf parser and the .npz reader take bytes.
    data = await weights.read()
    external = {(u.filename or "").rsplit("/", 1)[-1]: await u.read() for u in external_data or []}
    labels = onnx_upload.parse_classes(classes)
    convention = onnx_upload.parse_convention(input_json)
    source = weights.filename or "weights"
    if not looks_like_zip(data):
        request = onnx_upload.Upload(data, external, source, name.strip(), dataset, output)
        if architecture_json is not None:  # meant as an .npz (a zip archive): it is not one
            raise HTTPException(
                422,
                "weights: not a readable .npz file (not a zip archive); an architecture goes "
                "only with an .npz (an ONNX model carries its own graph: send it without one)",
            )
        return await run_in_threadpool(
            onnx_upload.import_onnx_upload, settings, registry, request, labels, convention
        )
    # Not a heavy request: the archive is judged by its headers before anything is read, and the
    # upload is at most max_import_bytes (bench/README.md: about 20 ms for the shipped model).
    return await run_in_threadpool(
        _import,
        settings,
        registry,
        data,
        source,
        name.strip(),
        architecture_json,
        dataset,
        labels,
        convention,
    )


def upload_size(upload: UploadFile) -> int:
    """The bytes of an uploaded file, from its spooled temporary file (nothing read)."""
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def _embedded_specs(data: bytes) -> list[dict]:
    """The layers of a CNN Explorer model file's own ``__architecture__`` (read alone, bounded)."""
    raw = archive.read_member(data, ARCH_KEY, MAX_ARCH_BYTES)
    if raw is None:
        raise HTTPException(
            422,
            "architecture: required (the layers as JSON) unless the file is a CNN Explorer "
            "model with its architecture inside",
        )
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise HTTPException(422, f"weights: {ARCH_KEY} must be UTF-8 JSON bytes")
    try:
        arch = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise HTTPException(422, f"weights: {ARCH_KEY} is not valid JSON ({e})") from None
    layers = arch.get("layers") if isinstance(arch, dict) else None
    try:
        return architecture.specs_of(Architecture.model_validate({"layers": layers}).layers)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise HTTPException(422, f"weights: {ARCH_KEY}: {loc}: {first['msg']}") from None


def _import(
    settings, registry, data, source, name, architecture_json, dataset, labels=None, convention=None
) -> dict:
    """Check the file against the architecture and install it (in a worker thread).

    Nothing of the arrays is decompressed until the archive's headers (``engine.archive``)
    match the parameters the checked architecture expects.
    """
    limit = settings.max_train_params * 8 + MAX_ARCH_BYTES  # float64 weights at most
    try:
        members = archive.inspect_npz(data, max_bytes=limit, where="weights")
        specs = (
            _embedded_specs(data)
            if architecture_json is None
            else architecture.specs_of(_parse_architecture(architecture_json).layers)
        )
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    try:
        model = architecture.check(specs, dataset, settings, input_shape=None).model
    except architecture.ArchitectureError as e:
        raise HTTPException(422, f"architecture: {e}") from None
    expected = {k: p.shape for k, p in model.state().items()}  # parameters and buffers
    try:
        archive.check_expected(members, expected, "weights", optional=frozenset({ARCH_KEY}))
        arrays = archive.read_npz(data, max_bytes=limit, where="weights")
        arrays.pop(ARCH_KEY, None)
        model.set_state(arrays, source)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    if labels is not None:
        if len(labels) != len(model.classes):
            raise HTTPException(
                422, f"classes: {len(labels)} labels for a model with {len(model.classes)} outputs"
            )
        model.classes = labels
    if convention is not None:
        model.meta["input"] = convention
    model.meta.update(
        {
            "source": "npz",
            "dataset": dataset,
            "imported_from": source,
            "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    entry = model_store.install(settings, registry, model, name)
    return entry.info()
