"""Pydantic models for every request and response body, so ``/docs`` is the API reference.

Field names follow ``shared/docs/api.md``; arrays are nested lists in the order of the
``shape`` beside them, PyTorch layout (activations ``(C, H, W)``, conv weights
``(F, C, kh, kw)``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.layers import LAYER_TYPES

LayerType = Literal[tuple(LAYER_TYPES)]  # the engine's vocabulary, defined there once

Nested = list[Any]  # a nested list of floats, as deep as the ``shape`` beside it


# -- requests -----------------------------------------------------------------------------


class ImageInput(BaseModel):
    """A drawing: exactly one of ``image`` or ``pixels``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"image": "data:image/png;base64,iVBORw0KGgo...", "preprocess": True},
                {"pixels": [[0.0] * 8] * 8, "preprocess": False},
            ]
        }
    )

    image: str | None = Field(
        None,
        description="A PNG or JPEG as a data URL or bare base64. Dark ink on light, light ink "
        "on dark, or ink in the alpha channel of a transparent canvas. Size limits: "
        "`max_image_bytes`, `max_image_side` (see `GET /api/limits`).",
    )
    pixels: list[list[float]] | None = Field(
        None,
        description="A 2-D list of ink values in [0, 1] (1 = ink), each side from "
        "`min_pixels_side` to `max_pixels_side`.",
    )
    preprocess: bool = Field(
        True,
        description="MNIST-style normalisation (crop to the ink, fit into 20×20, centre by mass "
        "in 28×28); `false` only resizes to the model's input size.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ImageInput:
        if (self.image is None) == (self.pixels is None):
            raise ValueError("give exactly one of `image` (base64 PNG/JPEG) or `pixels` (2-D list)")
        return self


# -- models -------------------------------------------------------------------------------


class LayerInfo(BaseModel):
    index: int
    name: str
    type: LayerType
    config: dict[str, Any] = Field(
        description="conv2d: in/out_channels, kernel_size, stride, padding, dilation [h, w]; "
        "pooling: kernel_size, stride, padding; dense: in_features, out_features."
    )
    inputs: list[int] = Field(
        description="Indices of the layers whose outputs this one reads, -1 = the network "
        "input; [index - 1] in a chain."
    )
    input_shape: list[int] = Field(description="The shape of its (first) input.")
    input_shapes: list[list[int]] = Field(description="The shape of each input.")
    output_shape: list[int]
    num_params: int


class InputConvention(BaseModel):
    invert: bool = False
    scale: float = 1.0
    mean: list[float] = Field(default_factory=lambda: [0.0])
    std: list[float] = Field(default_factory=lambda: [1.0])


class ModelInfo(BaseModel):
    id: str
    name: str
    dataset: str | None
    classes: list[str]
    input_shape: list[int] = Field(description="[C, H, W]")
    num_params: int
    test_accuracy: float | None
    input: InputConvention = Field(
        description="How the model wants its input: network input = ((1 − x if invert else x) "
        "· scale − mean) / std for ink x ∈ [0, 1]; the identity for models trained here."
    )
    source: Literal["onnx", "npz", "trained", "shipped"] = Field(
        description="Where the model came from."
    )


class StateArray(BaseModel):
    name: str = Field(description="`weight`, `bias`, `running_mean`, `running_var`, `constant`.")
    kind: Literal["parameter", "buffer"] = Field(
        description="Trained (`parameter`) or saved but not trained (`buffer`)."
    )
    shape: list[int]
    values: Nested | None = Field(
        description="The numbers, nested as `shape`; null when there are more than "
        "`max_values` of them (the statistics are still given)."
    )
    min: float
    max: float
    mean: float


class LayerState(BaseModel):
    index: int
    name: str
    type: str
    max_values: int
    arrays: list[StateArray]


class ModelList(BaseModel):
    models: list[ModelInfo]
    default: str | None = Field(description="The id to show first, or null with no models.")


class ModelDetail(ModelInfo):
    layers: list[LayerInfo]
    card: dict[str, Any] = Field(
        default_factory=dict,
        description="Everything saved with the weights (dataset, accuracy, training history).",
    )


# -- running a model ----------------------------------------------------------------------


class Prediction(BaseModel):
    prediction: int = Field(description="Index of the most probable class.")
    label: str = Field(description="Name of the predicted class.")
    probabilities: list[float] = Field(description="One per class, in `classes` order.")
    input: list[list[float]] = Field(
        description="The H×W network input actually used, after preprocessing (1 = ink)."
    )


class Scale(BaseModel):
    """How a layer's output is coloured (``app.palette``): values ``lo..hi`` onto colour map
    ``kind``, the same in the PNGs and on the pages."""

    kind: Literal["diverging", "sequential", "ink"]
    lo: float
    hi: float


class LayerOutput(BaseModel):
    index: int
    name: str
    type: LayerType
    shape: list[int] = Field(description="(C, H, W) for maps, (n,) for vectors.")
    min: float
    max: float
    scale: Scale
    data: Nested = Field(
        description="The layer's output, nested in `shape` order, rounded to 5 significant "
        "digits of the layer's largest magnitude."
    )


class Activations(Prediction):
    layers: list[LayerOutput] = Field(description="One per layer, in order.")


# -- weights ------------------------------------------------------------------------------


class Filters(BaseModel):
    index: int
    name: str
    type: LayerType
    shape: list[int] = Field(description="conv2d: [F, C, kh, kw]; dense: [out, in].")
    weights: Nested
    bias: list[float] = Field(description="[F] (zeros if the layer has no bias).")
    min: float = Field(description="Smallest weight.")
    max: float = Field(description="Largest weight.")


class MatrixCore(BaseModel):
    """``WeightMatrix`` of the contract: ``M[row, col] = kernel[k]`` for each entry."""

    shape_in: list[int] = Field(description="[C, H, W]")
    shape_out: list[int] = Field(description="[H_out, W_out]")
    rows: int = Field(description="H_out * W_out")
    cols: int = Field(description="C * H * W")
    kernel: list[float] = Field(description="The filter's weights, k = c*kh*kw + a*kw + b.")
    bias: float
    entries: list[list[int]] = Field(description="[row, col, k] for every non-zero of M.")
    num_structural_zeros: int = Field(description="rows * cols - len(entries)")


class WeightMatrix(MatrixCore):
    """One conv filter of a model's layer as a matrix, with the layer's geometry."""

    layer: int = Field(description="The layer index.")
    filter: int = Field(description="The output channel f.")
    kernel_shape: list[int] = Field(description="[C, kh, kw]; C/groups for a grouped conv")
    stride: list[int]
    padding: list[int]
    dilation: list[int]
    group: int = Field(
        0,
        description="The filter's group. A grouped conv's M spans only that group's input "
        "channels: M @ x[group_in_channels].flatten() + bias == conv(x)[filter].flatten().",
    )
    groups: int = Field(1, description="The layer's groups (1: an ordinary conv).")
    group_in_channels: list[int] = Field(
        default_factory=list, description="The layer input channels the group reads, in order."
    )
    group_out_channels: list[int] = Field(
        default_factory=list, description="The output channels (filters) of the group."
    )


# -- service ------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"]
    engine_version: str
    models_loaded: int
    models: list[str]
    model_errors: dict[str, str] = Field(
        description="Model files found but not loaded, with the reason."
    )


class Limits(BaseModel):
    """Every limit the API enforces; a request beyond one gets a 4xx naming it."""

    max_request_bytes: int
    max_image_bytes: int
    max_image_side: int
    min_pixels_side: int
    max_pixels_side: int
    max_conv_input_side: int
    max_channels: int
    max_kernel_side: int
    max_weight_matrix_cells: int
    max_weight_matrix_entries: int
    max_weight_matrix_png_side: int
    max_ig_steps: int
    max_occlusion_patches: int
    max_top_k: int
    max_maximise_steps: int
    max_color_side: int
    max_conv_padding: int
    max_conv_terms: int
    max_pool_positions: int
    max_running_jobs: int
    max_queued_jobs: int
    max_train_epochs: int
    max_train_batch_size: int
    max_train_images: int
    max_train_layers: int
    max_train_params: int
    max_dense_features: int
    max_train_step_megabytes: int
    max_import_bytes: int
    max_request_megamacs: int = Field(
        description="Estimated cost of one request's model passes, in millions of multiply-add "
        "equivalents (`engine.cost`): units × steps × 3 × pass for maximise, (patches + 1) × pass "
        "for occlusion, (steps + 1) × 3 × pass for integrated gradients; about 1 s of a core."
    )
    max_maximise_units: int = Field(description="Filters or units in one maximise request.")
    max_model_megamacs: int = Field(
        description="One image through a model that is trained or imported."
    )
    max_train_step_megamacs: int = Field(
        description="One training step: batch size × 3 × one image's pass."
    )
    max_cache_bytes: int = Field(description="Each in-memory cache of computed results.")
    max_heavy_requests: int = Field(
        description="Heavy requests running at once in the server; more get a 503 with Retry-After."
    )


class ErrorBody(BaseModel):
    detail: str = Field(description="What is wrong, naming the field and the limit.")


# -- what one unit reads ------------------------------------------------------------------


class ConnectionsRequest(ImageInput):
    """A drawing (as for predict) and one unit of the layer's output."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pixels": [[0.0] * 8] * 8, "unit": [0, 4, 4]}]}
    )

    unit: list[Annotated[int, Field(ge=0, le=100_000)]] = Field(
        min_length=1,
        max_length=3,
        description="`[c, i, j]` of a (C, H, W) output, `[k]` of a vector.",
    )
    top: int = Field(12, ge=1, le=64, description="Dense layers: how many strongest weights.")


class Box(BaseModel):
    layer: int = Field(description="The layer whose output the box is in; -1 = the input.")
    box: list[int] = Field(description="[top, left, bottom, right], half-open, clipped.")


class Connections(BaseModel):
    """One unit, its value, and what it was computed from (``engine.explain.connections``)."""

    index: int
    name: str
    type: str
    unit: list[int]
    value: float = Field(description="The unit's output, as `activations` gives it.")
    reads: list[dict[str, Any]] = Field(
        description="One entry per layer read (`layer`, -1 = the input) with `kind`: "
        "`window` (conv: per input channel its `box`, window values `x`, `kernel` slice and "
        "`share`; `bias`, `sum`), `pool` (`box`, `winner`), `dense` (`strongest` weights "
        "with `x` and `product`, `bias`, `sum`), `relu`/`same` (`source`), `softmax`."
    )
    receptive_field: list[Box] | None = Field(
        None, description="Spatial units: the box seen in every layer below, down to the input."
    )


class ReceptiveField(BaseModel):
    index: int
    unit: list[int] = Field(description="[i, j]")
    boxes: list[Box]
