"""Request and response bodies of ``/api/models``: the installed models, a prediction, every
layer's output, the weights, and one unit's connections. Arrays are nested lists in the order of
the ``shape`` beside them, PyTorch layout (activations ``(C, H, W)``, conv weights
``(F, C, kh, kw)``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.schemas import ImageInput, LayerInfo, LayerType, Nested


class Resize(BaseModel):
    mode: Literal["digit", "stretch", "pad"] = Field(
        description="`digit`: a grey digit model's MNIST framing; `stretch`: straight to "
        "H × W; `pad`: fit inside, pad the rest."
    )


class CenterCrop(BaseModel):
    mode: Literal["center-crop"] = Field(
        description="The shorter side to `size` (bilinear), then the central H × W: "
        "torchvision's Resize(size) + CenterCrop."
    )
    size: int


class InputConvention(BaseModel):
    """As stored (api.md, "Any image"): per channel, network input = ((1 − x if invert else x)
    · scale − mean) / std."""

    invert: bool = False
    scale: float | list[float] = 1.0
    mean: list[float] = Field(default_factory=lambda: [0.0])
    std: list[float] = Field(default_factory=lambda: [1.0])
    channels: Literal["gray", "rgb", "bgr"] | None = Field(
        None, description="The order of the network's channels (absent: the model's default)."
    )
    resize: Resize | CenterCrop | None = Field(
        None, description="How a picture of another size becomes H × W (absent: the default)."
    )


# A convention's numbers as a request may give them: bounded (the engine checks the rest).
Coefficient = Annotated[float, Field(ge=-1e6, le=1e6)]


class ConventionPatch(BaseModel):
    invert: bool = False
    scale: float = Field(1.0, gt=0, le=1e6)
    mean: list[Coefficient] = Field(default_factory=lambda: [0.0], min_length=1, max_length=4)
    std: list[Coefficient] = Field(default_factory=lambda: [1.0], min_length=1, max_length=4)


class ModelPatch(BaseModel):
    """``PATCH /api/models/{id}``: a new display name, a new input convention, or both."""

    name: str | None = Field(None, min_length=1, max_length=64, description="The display name.")
    input: ConventionPatch | None = Field(
        None,
        description="How the model wants its input (as at import): change it when the import "
        "guessed wrong; the model's evaluation is then scored again.",
    )

    @model_validator(mode="after")
    def _something(self) -> ModelPatch:
        if self.name is None and self.input is None:
            raise ValueError("give a new name, a new input convention, or both")
        return self


class ModelInfo(BaseModel):
    id: str
    name: str
    dataset: str | None
    classes: list[str]
    input_shape: list[int] = Field(description="[C, H, W]")
    num_params: int
    test_accuracy: float | None
    input: InputConvention = Field(
        description="How the model wants its input, as stored: network input = ((1 − x if "
        "invert else x) · scale − mean) / std per channel, x ∈ [0, 1]; `channels` and "
        "`resize` for colour models; the identity for models trained here."
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


class Ranked(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    class_: int = Field(alias="class", description="Index of the class.")
    label: str
    probability: float


class Prediction(BaseModel):
    prediction: int = Field(description="Index of the most probable class.")
    label: str = Field(description="Name of the predicted class.")
    probabilities: list[float] = Field(description="One per class, in `classes` order.")
    top: list[Ranked] = Field(
        description="The five most probable classes (fewer if the model has fewer), most "
        "probable first."
    )
    input: Nested = Field(
        description="The network input actually used, after preprocessing and before the "
        "model's normalisation: H × W for one channel (a digit model's ink map, 1 = ink), "
        "C × H × W in RGB order for a colour model (1 = full intensity)."
    )


class Scale(BaseModel):
    """How a layer's output is coloured (``app.core.palette``): values ``lo..hi`` onto colour map
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
    data: Nested | None = Field(
        description="The layer's output, nested in `shape` order, rounded to 5 significant "
        "digits of the layer's largest magnitude; null when `?layers=` left it out, its "
        "first `shipped_channels` channels with `?max_channels=`."
    )
    shipped_channels: int | None = Field(
        None, description="(C, H, W) outputs: how many channels `data` holds."
    )


class Activations(Prediction):
    layers: list[LayerOutput] = Field(description="One per layer, in order.")


class Filters(BaseModel):
    index: int
    name: str
    type: LayerType
    shape: list[int] = Field(description="conv2d: [F, C, kh, kw]; dense: [out, in].")
    weights: Nested
    bias: list[float] = Field(description="[F] (zeros if the layer has no bias).")
    min: float = Field(description="Smallest weight.")
    max: float = Field(description="Largest weight.")


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
