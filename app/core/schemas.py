"""The bodies several features share: the drawing or photo every model endpoint takes
(``ImageInput``), a layer's description, the weight matrix and the error body. Each feature's own
bodies are in its ``schemas`` module; field names follow ``shared/docs/api.md``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from engine.layers import LAYER_TYPES

LayerType = Literal[tuple(LAYER_TYPES)]  # the engine's vocabulary, defined there once

Nested = list[Any]  # a nested list of floats, as deep as the ``shape`` beside it

# ``pixels``: H × W numbers or H × W × 3 [r, g, b]. Pydantic checks only that it is a list of
# lists (a union of the two types would report every element twice); ``engine.photo.
# check_pixels`` checks the sides first, then the shape and the values, naming ``pixels``.
Pixels = Annotated[
    list[list[Any]],
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "items": {"type": "number"},
                            "minItems": 3,
                            "maxItems": 3,
                        },
                    },
                },
            ]
        }
    ),
]


class ImageInput(BaseModel):
    """A drawing or a photo: exactly one of ``image`` or ``pixels``."""

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
        description="A PNG, JPEG or WebP as a data URL or bare base64: a drawing (dark ink on "
        "light, light ink on dark, or ink in the alpha channel of a transparent canvas) or a "
        "photo of any size (EXIF orientation applied, transparency composited on white). A "
        "colour photo sent to a grey digit model becomes its luminance, then the digit "
        "framing; a grey drawing sent to a colour model has its channel repeated. Limits: "
        "`max_image_bytes`, `max_image_side`, `max_image_pixels` (see `GET /api/limits`).",
    )
    pixels: Pixels | None = Field(
        None,
        description="An H × W list of ink values in [0, 1] (1 = ink), or an H × W × 3 list of "
        "[r, g, b] in [0, 1]; each side from `min_pixels_side` to `max_pixels_side`.",
    )
    preprocess: bool = Field(
        True,
        description="Grey digit models: MNIST-style normalisation (crop to the ink, fit into "
        "20×20, centre by mass in 28×28); `false` only resizes to the model's input size. "
        "Colour models ignore it: their input convention's `resize` policy applies.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ImageInput:
        if (self.image is None) == (self.pixels is None):
            raise ValueError(
                "give exactly one of `image` (base64 PNG/JPEG/WebP) or `pixels` "
                "(H × W or H × W × 3 list)"
            )
        return self


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


class ErrorBody(BaseModel):
    detail: str = Field(description="What is wrong, naming the field and the limit.")
