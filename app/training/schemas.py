"""Request and response bodies of ``/api/train``, ``/api/architectures/validate`` and the model
management endpoints.

An architecture is the ``LayerInfo`` vocabulary — ``{"type", "name"?, "config"}`` per layer —
given either as ``{"layers": [...]}`` or as a bare list: exactly what
``python -m engine train --arch FILE.json`` reads. Fields a ``LayerInfo`` carries besides those
three (``index``, shapes, ``num_params``) are ignored, so a model's ``layers`` can be sent back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.core.schemas import LayerInfo, LayerType
from engine.train import SCHEDULES

Dataset = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9-]{0,47}$",
        description="A data set's id from `GET /api/datasets`: mnist, fashion-mnist, cifar10 or "
        "an uploaded one.",
    ),
]
JobState = Literal["queued", "running", "done", "failed", "cancelled"]
LAYER_NAME = r"^[A-Za-z0-9_]{1,32}$"
MIN_LR, MAX_LR = 1e-6, 1.0
MAX_WEIGHT_DECAY = 0.1
MAX_LAYER_INPUTS = 16
LayerRef = (
    Annotated[str, Field(pattern=LAYER_NAME)]
    | Annotated[int, Field(ge=-1, le=1023, description="A layer index; -1 = the input.")]
)


class LayerSpec(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"type": "conv2d", "config": {"out_channels": 8}}]},
    )

    type: LayerType
    name: str | None = Field(
        None,
        pattern=LAYER_NAME,
        description="Letters, digits and '_' (PyTorch's `0`, `3` too); it names the "
        "parameters (`conv1.weight`). Left out, layers are named conv1, relu1, ... by type.",
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="conv2d: out_channels, kernel_size, stride, padding (int, pair, 'same' or "
        "'valid'), dilation, groups; pooling: kernel_size, stride, padding; dense: "
        "out_features; batchnorm2d: eps, momentum; dropout: p. in_channels / in_features / "
        "num_features are inferred when left out.",
    )
    inputs: list[LayerRef] | None = Field(
        None,
        min_length=1,
        max_length=MAX_LAYER_INPUTS,
        description='The layers whose outputs this one reads: names ("input" is the network '
        "input) or indices (-1 is the input). Left out: the layer before. An `add` reading a "
        "block's last layer and the block's input is a residual connection.",
    )


class Architecture(BaseModel):
    """``{"layers": [...]}``; a bare list of layers is accepted too."""

    model_config = ConfigDict(extra="ignore")

    layers: list[LayerSpec] = Field(min_length=1)
    input_shape: list[int] | None = Field(
        None, description="[C, H, W]; left out, the data set's ([1, 28, 28], [3, 32, 32], ...)."
    )


# the OpenAPI examples' network: conv 4@3×3 → ReLU → max-pool → dense 10
EXAMPLE_LAYERS = [
    {"type": "conv2d", "config": {"out_channels": 4, "kernel_size": 3}},
    {"type": "relu"},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 10}},
]


def _wrap_list(value: Any) -> Any:
    return {"layers": value} if isinstance(value, list) else value


class ArchitectureRequest(BaseModel):
    """What the editor sends to have an architecture checked and described."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "architecture": EXAMPLE_LAYERS,  # a bare list is read as {"layers": [...]}
                    "dataset": "mnist",
                    "batch_size": 64,
                }
            ]
        }
    )

    architecture: Architecture
    dataset: Dataset = "mnist"
    batch_size: int = Field(128, ge=1, description="For the memory estimate of one step.")

    _wrap = field_validator("architecture", mode="before")(_wrap_list)


class ArchitectureReport(BaseModel):
    """The engine's reading of an architecture: every layer's shapes, or where it breaks."""

    valid: bool
    error: str | None = Field(None, description="Why it is not valid (names the layer).")
    error_layer: int | None = Field(None, description="Index of the layer at fault, if one is.")
    layers: list[LayerInfo] = Field(
        description="Every layer when valid; otherwise the layers before the one at fault."
    )
    input_shape: list[int]
    output_shape: list[int] | None
    num_params: int = Field(description="Parameters of the layers listed.")
    classes: list[str]
    step_megabytes: float | None = Field(
        None, description="Estimated memory of one training step at this batch size."
    )


class ScheduleRequest(BaseModel):
    """What decides the course of the learning rate: the data set's size (and ``limit``), the
    batch size and epochs (hence the steps), the peak ``lr``, the schedule and its warm-up. A
    whole ``TrainRequest`` is accepted (its other fields are ignored)."""

    dataset: Dataset = "mnist"
    epochs: int = Field(3, ge=1, description="Passes over the training images.")
    batch_size: int = Field(64, ge=1, description="Images per gradient step.")
    limit: int | None = Field(
        None, ge=1, description="Train on the first N training images only (default: all)."
    )
    lr: float = Field(2e-3, ge=MIN_LR, le=MAX_LR, description="Peak learning rate.")
    lr_schedule: Literal[SCHEDULES] = Field(
        "cosine",
        description="`cosine`: from `lr` down to 5 % of it by the last step; `onecycle`: a "
        "linear rise to `lr` over the first `warmup` of the steps, then a linear fall towards "
        "0; `constant`: `lr` throughout. `POST /api/train/schedule` gives the curve.",
    )
    warmup: float = Field(
        0.2,
        gt=0,
        lt=1,
        description="`onecycle` only: the fraction of all steps spent rising to `lr`, in (0, 1).",
    )


class TrainRequest(ScheduleRequest):
    """A training job. Upper bounds are in ``GET /api/limits`` (``max_train_*``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "tiny net",
                    "dataset": "mnist",
                    "architecture": {"layers": EXAMPLE_LAYERS},
                    "epochs": 1,
                    "batch_size": 32,
                    "limit": 500,
                },
                {
                    "name": "one-cycle",
                    "architecture": {"layers": EXAMPLE_LAYERS},
                    "epochs": 2,
                    "limit": 2000,
                    "optimiser": "sgd",
                    "nesterov": True,
                    "lr": 0.05,
                    "lr_schedule": "onecycle",
                    "warmup": 0.15,
                    "weight_decay": 5e-4,
                    "label_smoothing": 0.1,
                },
            ]
        }
    )

    name: str = Field(
        "my model",
        min_length=1,
        max_length=64,
        description="Display name; the model id is made from it (lower case, '-' for spaces).",
    )
    architecture: Architecture
    optimiser: Literal["adam", "sgd"] = "adam"
    weight_decay: float = Field(
        0.0,
        ge=0,
        le=MAX_WEIGHT_DECAY,
        description="L2 weight decay added to every gradient (`g + weight_decay · w`, "
        "PyTorch's `weight_decay`); 5e-4 is usual with sgd.",
    )
    nesterov: bool = Field(
        False, description="Nesterov momentum (momentum 0.9); `sgd` only, else a 422."
    )
    label_smoothing: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="The cross-entropy's targets smoothed (PyTorch's `label_smoothing`): the "
        "true class gets 1 - s + s/K, every class s/K. In [0, 1).",
    )
    augment: bool = Field(
        True,
        description="Random shifts, scaling, rotation, slant, thickness (digits: one-channel "
        "data sets only; ignored for colour images).",
    )
    flip: bool = Field(False, description="Random horizontal flips (photos).")
    crop: int = Field(0, ge=0, le=16, description="Random crops after padding by this many pixels.")
    seed: int = Field(0, ge=0, le=2**32 - 1)

    _wrap = field_validator("architecture", mode="before")(_wrap_list)

    @field_validator("nesterov")
    @classmethod
    def _nesterov_is_sgds(cls, nesterov: bool, info: ValidationInfo) -> bool:
        optimiser = info.data.get("optimiser", "sgd")  # absent: it failed its own check
        if nesterov and optimiser != "sgd":
            raise ValueError(f"applies to the 'sgd' optimiser only, not {optimiser!r}")
        return nesterov


class LrPoint(BaseModel):
    step: int = Field(description="0-based step of the whole run.")
    epoch: float = Field(
        description="`(step + 1) / steps_per_epoch`: epochs done after it (the loss chart's x)."
    )
    lr: float


class LrSchedule(BaseModel):
    """The learning rate a job with these settings will use, from the engine's own
    ``engine.train.lr_at``: sampled evenly, plus every corner of the curve."""

    lr_schedule: str
    train_images: int = Field(description="Images per epoch: the data set's, or `limit`.")
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int | None = Field(None, description="`onecycle`: steps rising to `lr`.")
    peak_lr: float
    final_lr: float = Field(description="The last step's learning rate.")
    points: list[LrPoint] = Field(description="In step order, at most a few hundred.")


class Recipe(BaseModel):
    """How an installed model was trained, as the fields of a ``TrainRequest``."""

    model_id: str
    name: str
    test_accuracy: float | None = None
    command: str | None = Field(None, description="The command in its card, if it has one.")
    settings: dict[str, Any] = Field(
        description="`TrainRequest` fields: dataset, epochs, batch_size, optimiser, lr, "
        "lr_schedule, warmup, weight_decay, nesterov, label_smoothing, augment, flip, crop, "
        "seed (those its record holds)."
    )


class EpochRecord(BaseModel):
    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float | None = None
    val_accuracy: float | None = None
    seconds: float


class StepPoint(BaseModel):
    step: int = Field(description="Steps done since the start of the job (all epochs).")
    epoch: int
    loss: float = Field(description="Mean training loss of the epoch so far.")
    accuracy: float
    lr: float | None = Field(None, description="The learning rate of this step.")


class Job(BaseModel):
    """A training job's record; ``GET /api/train/{job_id}``."""

    id: str
    name: str
    state: JobState
    message: str | None = Field(None, description="Why it failed, or what happened.")
    model_id: str | None = Field(
        None, description="The installed model once done (the id planned until then)."
    )
    request: dict[str, Any] = Field(description="The TrainRequest as accepted.")
    client: str = Field("", description="A digest of the address it came from (for the shares).")
    created: float = Field(description="Unix time.")
    started: float | None = None
    finished: float | None = None
    epoch: int = Field(0, description="The epoch in progress (1-based), or the last one.")
    epochs: int
    step: int = Field(0, description="Step within the epoch.")
    steps: int = Field(0, description="Steps per epoch.")
    progress: float = Field(0.0, description="Fraction of all steps done, 0..1.")
    loss: float | None = None
    accuracy: float | None = None
    elapsed: float = Field(0.0, description="Seconds since it started running.")
    eta: float | None = Field(None, description="Estimated seconds left.")
    history: list[EpochRecord] = Field(default_factory=list)
    steps_history: list[StepPoint] = Field(default_factory=list)
    test_accuracy: float | None = None
    train_images: int | None = None
    checkpoint: str | None = Field(None, description="Where the last epoch's checkpoint is.")
    epochs_done: int = 0
    resumable: bool = Field(False, description="`POST /api/train/{id}/resume` can continue it.")
    position: int | None = Field(None, description="Place in the queue (0 = next).")
    workers: int | None = Field(
        None,
        description="While queued: how many training workers are alive. With none, `message` "
        "says so and how to start one.",
    )


class Worker(BaseModel):
    """A training worker (a consumer of the queue) that beat its heart lately."""

    id: str = Field(description="host:pid:kind:suffix")
    host: str
    pid: int
    kind: str = Field(description="`consumer` (a process of its own) or `thread` (in a server).")
    beat: float = Field(description="Unix time of its last heartbeat.")


class WorkerList(BaseModel):
    workers: list[Worker]


class JobList(BaseModel):
    jobs: list[Job] = Field(description="Newest first.")


class TrainOptions(BaseModel):
    """What the training form offers: the choices, defaults and bounds."""

    datasets: list[str]
    available: dict[str, bool] = Field(description="Whether each data set is on disk.")
    input_shapes: dict[str, list[int]] = Field(
        default_factory=dict, description="Each data set's image shape [C, H, W]."
    )
    missing: dict[str, dict[str, Any] | None] = Field(
        default_factory=dict,
        description="Per data set not on disk: its missing `files`, the `folder` this server "
        "reads (`setting`: the variable that moves it) and the `command` that downloads them.",
    )
    optimisers: list[str]
    layer_types: list[str]
    defaults: dict[str, Any]
    bounds: dict[str, list[float]] = Field(description="[min, max] of every number.")
    presets: dict[str, list[dict[str, Any]]] = Field(description="Built-in architectures.")
    schedules: list[str] = Field(default_factory=lambda: list(SCHEDULES))
    recipes: dict[str, Recipe] = Field(
        default_factory=dict,
        description="Per built-in architecture: how the installed model of that id was "
        "trained (a shipped model's card recipe), to fill the form with.",
    )
