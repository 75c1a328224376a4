"""Training from the browser: ``/api/train`` (jobs and their progress as Server-Sent Events),
``/api/architectures/validate`` (the editor's shapes, from the engine), and the ``/train`` page.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import StreamingResponse

from app.core.access import WriteAccess, client_of
from app.core.bounds import hashed
from app.core.deps import RegistryDep, SettingsDep
from app.core.schemas import ErrorBody
from app.core.settings import Settings
from app.datasets import store as datasets
from app.models import store as model_store
from app.training import architecture, recipes, schedule
from app.training.data_help import missing_data
from app.training.jobs import JOB_ID_PATTERN, JobManager
from app.training.schemas import (
    MAX_LR,
    MAX_WEIGHT_DECAY,
    MIN_LR,
    ArchitectureReport,
    ArchitectureRequest,
    Job,
    JobList,
    LrSchedule,
    ScheduleRequest,
    TrainOptions,
    TrainRequest,
    WorkerList,
)
from engine import architectures, data
from engine.layers import LAYER_TYPES
from engine.train import SCHEDULES

router = APIRouter(tags=["training"])

ERRORS = {
    404: {"model": ErrorBody, "description": "No such job."},
    409: {"model": ErrorBody, "description": "The job's state does not allow it."},
    422: {"model": ErrorBody, "description": "Bad request; `detail` names the field and why."},
}
JOB_REF = "#/paths/~1api~1train~1{job_id}"
JOB_LINKS = {  # OpenAPI links: what a client (or the stateful fuzz) can do with a new job
    name: {
        "operationRef": ref,
        "parameters": {"job_id": "$response.body#/id"},
        "description": what,
    }
    for name, ref, what in (
        ("GetJob", f"{JOB_REF}/get", "The job's state."),
        ("JobEvents", f"{JOB_REF}~1events/get", "Its progress as Server-Sent Events."),
        ("CancelJob", f"{JOB_REF}/delete", "Cancel it."),
        ("ResumeJob", f"{JOB_REF}~1resume/post", "Continue it from its last checkpoint."),
    )
}
SSE_RETRY_MS = 3000
SSE_DONE_RETRY_MS = 24 * 3600 * 1000


async def get_jobs(request: Request) -> JobManager:
    return request.app.state.jobs


JobsDep = Annotated[JobManager, Depends(get_jobs)]
JobId = Annotated[str, Path(pattern=JOB_ID_PATTERN, description="A job id (12 hex digits).")]


def _job(jobs: JobManager, job_id: str) -> dict:
    try:
        return jobs.get(job_id)
    except KeyError:
        raise HTTPException(404, f"job_id: no training job {job_id!r}") from None


def _missing_data(dataset: str, settings: Settings) -> str | None:
    """Why ``dataset`` cannot be trained on (with how to get it), or ``None`` if it can."""
    try:
        return datasets.missing(settings, dataset)
    except datasets.UnknownDataset as e:
        return e.args[0]


def _check_bounds(body: ScheduleRequest, settings: Settings) -> None:
    for field, limit_name in (
        ("epochs", "max_train_epochs"),
        ("batch_size", "max_train_batch_size"),
        ("limit", "max_train_images"),
    ):
        value, limit = getattr(body, field), getattr(settings, limit_name)
        if value is not None and value > limit:
            raise HTTPException(
                422, f"{field}: {value} is more than the limit {limit_name} = {limit}"
            )


# -- the editor ---------------------------------------------------------------------------


@router.get(
    "/api/train/options",
    response_model=TrainOptions,
    summary="The training form's choices, defaults, bounds and built-in architectures",
)
def options(settings: SettingsDep, registry: RegistryDep) -> dict:
    listed = datasets.list_all(settings)
    presets = architectures.names()
    return {
        "datasets": [d["id"] for d in listed],
        "available": {d["id"]: d["available"] for d in listed},
        "input_shapes": {d["id"]: d["image_shape"] for d in listed},
        "missing": {name: missing_data(name, settings) for name in data.NAMES},
        "optimisers": ["adam", "sgd"],
        "schedules": list(SCHEDULES),
        "layer_types": list(LAYER_TYPES),
        "defaults": {
            name: field.default
            for name, field in TrainRequest.model_fields.items()
            if name != "architecture"
        },
        "bounds": {
            "epochs": [1, settings.max_train_epochs],
            "crop": [0, 16],
            "batch_size": [1, settings.max_train_batch_size],
            "limit": [1, settings.max_train_images],
            "lr": [MIN_LR, MAX_LR],
            "warmup": [0, 1],  # both ends excluded
            "weight_decay": [0, MAX_WEIGHT_DECAY],
            "label_smoothing": [0, 1],  # 1 excluded
            "seed": [0, 2**32 - 1],
            "layers": [1, settings.max_train_layers],
            "out_channels": [1, settings.max_channels],
            "kernel_size": [1, settings.max_kernel_side],
            "padding": [0, settings.max_conv_padding],
            "out_features": [1, settings.max_dense_features],
        },
        "presets": {name: architectures.load_spec(name)["layers"] for name in presets},
        "recipes": recipes.recipes(registry, presets),
    }


@router.post(
    "/api/train/schedule",
    summary="The learning rate at each step of a job with these settings",
    description="The engine's own schedule (`engine.train.lr_at`), sampled: what the Train page "
    "draws. A whole TrainRequest may be sent; only the fields that shape the curve are read.",
    response_model=LrSchedule,
    responses={422: ERRORS[422]},
)
def lr_schedule(body: ScheduleRequest, settings: SettingsDep) -> dict:
    _check_bounds(body, settings)
    try:
        images = schedule.train_images(settings, body)
    except ValueError as e:
        raise HTTPException(422, f"dataset: {e}") from None
    return schedule.curve(body, images)


@router.post(
    "/api/architectures/validate",
    response_model=ArchitectureReport,
    responses={422: ERRORS[422]},
    summary="Check an architecture with the engine: every layer's output shape and parameters, "
    "or which layer does not fit and why",
)
def validate_architecture(body: ArchitectureRequest, settings: SettingsDep) -> dict:
    specs = architecture.specs_of(body.architecture.layers)
    missing = _missing_data(body.dataset, settings)
    if missing and missing.startswith("no data set"):
        raise HTTPException(422, f"dataset: {missing}")
    return architecture.report(
        specs, body.dataset, settings, body.batch_size, body.architecture.input_shape
    )


# -- jobs ---------------------------------------------------------------------------------


@router.post(
    "/api/train",
    response_model=Job,
    status_code=202,
    responses={**ERRORS, 202: {"links": JOB_LINKS}},
    summary="Start a training job (it is queued if another is running)",
    dependencies=[WriteAccess],
)
def start_training(
    body: TrainRequest, settings: SettingsDep, registry: RegistryDep, jobs: JobsDep, http: Request
) -> dict:
    _check_bounds(body, settings)
    specs = architecture.specs_of(body.architecture.layers)
    try:
        architecture.check(
            specs, body.dataset, settings, body.batch_size, body.architecture.input_shape
        )
    except architecture.ArchitectureError as e:
        raise HTTPException(422, f"architecture: {e}") from None
    missing = _missing_data(body.dataset, settings)
    if missing:
        raise HTTPException(422, f"dataset: {missing}")
    request = body.model_dump()
    request["architecture"] = {"layers": specs}
    planned = model_store.unique_id(
        body.name, model_store.taken_ids(settings, registry) | jobs.huey.planned_ids()
    )
    return jobs.create(request, planned, client=hashed(client_of(http)))


@router.get(
    "/api/train/workers", response_model=WorkerList, summary="The training workers alive now"
)
def list_workers(jobs: JobsDep) -> dict:
    return {"workers": jobs.workers()}


@router.get("/api/train", response_model=JobList, summary="Every training job, newest first")
def list_jobs(jobs: JobsDep) -> dict:
    return {"jobs": jobs.list()}


@router.get("/api/train/{job_id}", response_model=Job, responses=ERRORS, summary="One job")
def get_job(job_id: JobId, jobs: JobsDep) -> dict:
    return _job(jobs, job_id)


@router.delete(
    "/api/train/{job_id}",
    response_model=Job,
    responses=ERRORS,
    summary="Cancel a job (a running one stops after its current step)",
    dependencies=[WriteAccess],
)
def cancel_job(job_id: JobId, jobs: JobsDep) -> dict:
    _job(jobs, job_id)
    return jobs.cancel(job_id)


@router.post(
    "/api/train/{job_id}/resume",
    response_model=Job,
    status_code=202,
    responses=ERRORS,
    dependencies=[WriteAccess],
    summary="Continue an interrupted or cancelled job from its last checkpoint",
)
def resume_job(job_id: JobId, jobs: JobsDep) -> dict:
    _job(jobs, job_id)
    return jobs.resume(job_id)


def _sse(event: str, data: dict) -> str:
    # After the last event the server closes the stream; a long retry keeps the browser's
    # EventSource from reconnecting before the page closes it.
    retry = f"retry: {SSE_DONE_RETRY_MS}\n" if event == "end" else ""
    return f"{retry}event: {event}\ndata: {json.dumps(_finite(data), allow_nan=False)}\n\n"


def _finite(value):
    """``value`` with NaN and infinities as ``null`` (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


@router.get(
    "/api/train/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-Sent Events: `state` (the job), `step`, `epoch`, `filters` "
            "(the first conv layer's kernels), comments as heartbeats, and a last `end` (the "
            "finished job) after which the stream closes.",
        },
        **ERRORS,
    },
    summary="Follow a job's progress as Server-Sent Events",
)
async def job_events(job_id: JobId, jobs: JobsDep, settings: SettingsDep) -> StreamingResponse:
    await asyncio.to_thread(_job, jobs, job_id)
    heartbeat = float(settings.sse_heartbeat_seconds)

    async def stream():
        yield f"retry: {SSE_RETRY_MS}\n"
        async for event in jobs.follow(job_id, heartbeat):
            if event is None:
                yield ": heartbeat\n\n"
                continue
            yield _sse(event["event"], event)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
