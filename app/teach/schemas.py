"""Request and response bodies of the teaching views: backpropagation on one drawing, the
flattened digit, translation, and the hand-built square detector (``app.teach.routes``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import ImageInput

Nested = Any  # a nested list of numbers, shape given beside it


# -- backpropagation ------------------------------------------------------------------------


class BackpropRequest(ImageInput):
    """A drawing, the class the user says it is, and the step size of the one SGD step."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pixels": [[0.0] * 8] * 8, "target": 3}]}
    )

    target: int = Field(description="The true class, from 0 to (number of classes − 1).")
    learning_rate: float = Field(
        0.001, gt=0, le=10, description="The SGD step: θ ← θ − learning_rate · dL/dθ."
    )


class LayerGradient(BaseModel):
    index: int
    name: str
    type: str
    shape: list[int] = Field(description="The layer's output shape (no batch axis).")
    grad_output: Nested = Field(description="dL/d(output), shaped like the output.")
    grad_output_min: float
    grad_output_max: float
    weight_shape: list[int] | None = Field(description="(F, C, kh, kw) or (out, in).")
    grad_weights: Nested | None = Field(description="dL/dW, shaped like the weights.")
    grad_bias: list[float] | None = Field(description="dL/db, one per output.")
    grad_weights_max_abs: float | None
    routing: Nested | None = Field(
        description="Max/min pooling: (C, H, W) 0/1 over its input, 1 where an input won its "
        "window (the only inputs its gradient reaches); null otherwise."
    )


class BackpropResponse(BaseModel):
    target: int
    label: str = Field(description="The target's class name.")
    loss: float = Field(description="−log p[target] before the step.")
    loss_after: float = Field(description="The same after one SGD step on a copy.")
    learning_rate: float
    prediction: int = Field(description="The class predicted before the step.")
    probabilities_before: list[float]
    probabilities_after: list[float] = Field(
        description="After one SGD step on a copy of the weights; the stored model never changes."
    )
    input: list[Any] = Field(
        description="The picture used: (H, W) ink for a drawing, (3, H, W) RGB for a photo."
    )
    grad_input: list[Any] = Field(
        description="dL/dx of the network input: (H, W) for one channel, (C, H, W) for several."
    )
    layers: list[LayerGradient]


# -- the flattened digit --------------------------------------------------------------------


class Network(BaseModel):
    id: str
    name: str
    kind: Literal["dense", "cnn"] = Field(
        description='"dense": a dense layer on the flattened pixels comes first (no filters); '
        '"cnn": anything with a convolution before its first dense layer.'
    )
    num_params: int
    test_accuracy: float | None


class Networks(BaseModel):
    networks: list[Network]
    permutation_seed: int


class PermutationTest(BaseModel):
    """Accuracy on the test set as it is and with every image scrambled by the fixed
    permutation; for a dense net also its permuted-weights twin on the scrambled images."""

    model_id: str
    kind: Literal["dense", "cnn"]
    images: int
    num_params: int
    accuracy: float
    scrambled_accuracy: float
    twin_accuracy: float | None = Field(description="Dense only: W'[:, j] = W[:, perm[j]].")
    twin_max_abs_diff: float | None = Field(
        description="Dense only: max |twin(scrambled) − model(original)| over all "
        "probabilities (float32 rounding: the same products summed in another order)."
    )
    twin_same_predictions: int | None = Field(description="Dense only: predictions that agree.")
    seconds: float = Field(description="How long the measurement took (cached afterwards).")


class FlattenResponse(BaseModel):
    model_id: str
    kind: Literal["dense", "cnn"]
    input: list[list[float]] = Field(description="(H, W) network input.")
    vector: list[float] = Field(description="The input flattened row by row: C·H·W values.")
    permutation: list[int] = Field(description="scrambled[j] = vector[permutation[j]].")
    scrambled: list[float]
    scrambled_image: list[list[float]] = Field(description="`scrambled` folded back to (H, W).")
    probabilities: list[float] = Field(description="The model on the input.")
    scrambled_probabilities: list[float] = Field(description="The model on the scrambled input.")
    twin_probabilities: list[float] | None = Field(
        description="Dense only: the permuted-weights twin on the scrambled input."
    )


# -- translation ----------------------------------------------------------------------------


class ShiftRequest(ImageInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"pixels": [[0.0] * 28] * 28, "preprocess": False, "dx": 3}]
        }
    )

    dx: float = Field(0.0, ge=-14, le=14, description="Pixels to the right.")
    dy: float = Field(0.0, ge=-14, le=14, description="Pixels down.")
    scale: float = Field(1.0, ge=0.5, le=2.0, description="About the centre.")
    angle: float = Field(0.0, ge=-180, le=180, description="Degrees, counter-clockwise.")
    channel: int = Field(0, ge=0, description="Which channel of each layer to return as maps.")


class ShiftLayer(BaseModel):
    index: int
    name: str
    type: str
    shape: list[int]
    factor: list[float] | None = Field(description="Input side / map side (None: a vector).")
    shift_in_map: list[float] | None = Field(description="[dy, dx] in the map's own pixels.")
    equivariance: float | None = Field(
        description="Correlation of the moved input's maps with the original maps moved the "
        "same way (all channels, where the moved original has data)."
    )
    change: float | None = Field(description="‖after − before‖ / ‖before‖ (0 = unchanged).")
    map: list[list[float]] | None = Field(description="Channel `channel` for the moved input.")
    expected: list[list[float]] | None = Field(description="The original's channel, moved.")
    original: list[list[float]] | None = Field(description="The original's channel.")
    min: float
    max: float


class ShiftResponse(BaseModel):
    model_id: str
    input: list[list[float]] = Field(description="The moved network input (H, W).")
    original_input: list[list[float]]
    prediction: int
    label: str
    probabilities: list[float]
    original_probabilities: list[float]
    channel: int
    layers: list[ShiftLayer]


class CurveRequest(ImageInput):
    axis: Literal["x", "y"] = "x"
    max_shift: int = Field(8, ge=1, le=14, description="Shifts from −max_shift to +max_shift.")
    target: int | None = Field(None, description="Whose probability; default: the prediction.")


class CurveResponse(BaseModel):
    model_id: str
    axis: Literal["x", "y"]
    shifts: list[int]
    target: int
    label: str
    confidence: list[float] = Field(description="p[target] at each shift.")
    predictions: list[int]


# -- lines to a square ----------------------------------------------------------------------


class SquareSetup(BaseModel):
    grid: int
    side: int
    layers: list[str]
    corners: list[str]
    shapes: dict[str, list[list[float]]]
    weights: dict[str, dict[str, Nested]] = Field(
        description="{layer: {weight: (F, C, kh, kw), bias: (F,)}}"
    )


class SquareRequest(BaseModel):
    image: list[list[Annotated[float, Field(ge=0, le=1)]]] = Field(
        description="(grid, grid) values in [0, 1], 1 = ink."
    )
    weights: dict[str, dict[str, Nested]] | None = Field(
        None, description="Any layer's {weight, bias} to use instead of the hand-set ones."
    )


class SquareResponse(BaseModel):
    lines: Nested = Field(description="(2, G, G): horizontal, vertical (after ReLU).")
    lines_sum: Nested
    corners: Nested = Field(
        description="(4, G, G): top-left, top-right, bottom-left, bottom-right."
    )
    corners_sum: Nested
    square: Nested = Field(description="(1, G − side + 1, G − side + 1).")
    square_sum: Nested
    found: float = Field(description="Global max of the square map: > 0 means a square.")
