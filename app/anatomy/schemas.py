"""Request and response bodies of the convolution anatomy: the playground and a real layer.

Field names follow ``shared/docs/api.md`` ("Convolution as a matrix", "The convolution
playground"); arrays are nested lists, ``(C, H, W)`` for volumes. Grids are typed loosely here
(any nested list) and checked in ``app.anatomy.service``, so a ragged row or a NaN gets a
sentence that names the row, rather than a union of type errors.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from app.anatomy.limits import ALL_MAPS_MAX_VALUES
from app.core.schemas import ImageInput, LayerInfo, MatrixCore, WeightMatrix

_NUMBERS = {"type": "array", "items": {"type": "number"}}
_GRID_2D = {"type": "array", "items": _NUMBERS}
_GRID_3D = {"type": "array", "items": _GRID_2D}

Grid = Annotated[
    list[Any],
    WithJsonSchema({"anyOf": [_GRID_2D, _GRID_3D], "description": "(H, W) or (C, H, W)"}),
]
Grid2D = Annotated[list[Any], WithJsonSchema({**_GRID_2D, "description": "(H, W)"})]
PairLike = Annotated[
    int | list[int],
    WithJsonSchema(
        {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]}
    ),
]


# -- the convolution playground ---------------------------------------------------------------


class ConvRequest(BaseModel):
    """One filter on one small input; every size is within ``GET /api/limits``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "input": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
                    "kernel": [[1, 2], [3, 4]],
                    "bias": 1,
                    "stride": 1,
                    "padding": 0,
                    "dilation": 1,
                }
            ]
        }
    )

    input: Grid = Field(
        description="`(H, W)` or `(C, H, W)` finite numbers; each side at most "
        "`max_conv_input_side`, at most `max_channels` channels."
    )
    kernel: Grid = Field(
        description="`(kh, kw)` or `(C, kh, kw)`, the same `C` as the input; each side at most "
        "`max_kernel_side`."
    )
    bias: float = Field(0.0, description="Added to every output.")
    stride: PairLike = Field(1, description="int or `[sh, sw]`, each >= 1.")
    padding: PairLike | Literal["same", "valid"] = Field(
        0,
        description='int or `[ph, pw]`, each from 0 to `max_conv_padding`; or `"same"` / '
        '`"valid"`.',
    )
    dilation: PairLike = Field(1, description="int or `[dh, dw]`, each >= 1.")
    step: list[int] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="`[i, j]`: return only this output's step (large inputs, one window at a "
        "time); default: every step.",
    )
    mode: Literal["cross-correlation", "convolution"] = Field(
        "cross-correlation",
        description='`"cross-correlation"` (what deep-learning libraries call convolution: the '
        'kernel as given) or `"convolution"` (the mathematical one: the kernel flipped in both '
        "spatial axes first; output, steps and matrix are then of the flipped kernel).",
    )
    matrix: bool = Field(
        True,
        description="false: leave the weight matrix out (`matrix` is null), e.g. when "
        "asking for one more step of an input whose matrix is already known.",
    )


class Term(BaseModel):
    input: list[int] | None = Field(description="`[c, r, s]`, or null for a padded position.")
    x: float
    w: float
    product: float


class Step(BaseModel):
    """Output `[i, j]` as the sum of its terms plus the bias; `sum == output[i][j]`."""

    output: list[int] = Field(description="[i, j]")
    terms: list[Term] = Field(description="One per kernel weight, k = c*kh*kw + a*kw + b.")
    bias: float
    sum: float
    window: list[list[int]] = Field(
        description="`[c, r, s]` of every term in kernel order, padded positions included "
        "(their `r`, `s` lie outside the input): where the window sits on the padded input."
    )


class Parameters(BaseModel):
    """Trainable parameters of this filter against a dense layer wiring the same inputs to the
    same outputs (Mukul Rathi's comparison)."""

    conv: int = Field(description="C*kh*kw + 1: the filter's weights and its bias.")
    conv_formula: str
    dense: int = Field(description="rows*cols + rows: a weight per (output, input) and biases.")
    dense_formula: str


class ConvResponse(BaseModel):
    output: list[list[float]] = Field(description="(H_out, W_out)")
    output_shape: list[int] = Field(description="[H_out, W_out]")
    formula: str = Field(description="The output-size arithmetic with the actual numbers.")
    matrix: MatrixCore | None
    steps: list[Step] = Field(
        description="One per output position, row-major (only `[i, j]` if the request's `step` "
        "says so)."
    )
    input: list[list[list[float]]] = Field(description="The input as (C, H, W).")
    kernel: list[list[list[float]]] = Field(description="The kernel as (C, kh, kw).")
    bias: float
    stride: list[int] = Field(description="[sh, sw]")
    padding: list[int] = Field(description="[ph, pw]")
    dilation: list[int] = Field(description="[dh, dw]")
    parameters: Parameters
    mode: Literal["cross-correlation", "convolution"] = Field(
        description="Which operation the output is."
    )
    flipped_kernel: list[list[list[float]]] | None = Field(
        description='With `"convolution"`: the kernel flipped in both spatial axes, (C, kh, kw), '
        "the one the window multiplies by; null for cross-correlation."
    )
    relation: str = Field(
        description="The one line of maths relating convolution and cross-correlation, with "
        "this kernel's size and stride."
    )


# -- pooling --------------------------------------------------------------------------------


class PoolRequest(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "input": [[4, 5, 1, 2], [9, 2, 7, 2], [3, 8, 6, 1], [0, 4, 2, 5]],
                    "mode": "max",
                    "kernel_size": 2,
                    "stride": 2,
                    "padding": 0,
                    "global": False,
                }
            ]
        },
    )

    input: Grid2D = Field(
        description="`(H, W)` finite numbers, each side at most `max_conv_input_side`."
    )
    mode: Literal["max", "avg", "min"] = "max"
    kernel_size: PairLike = Field(2, description="int or `[kh, kw]`, at most `max_kernel_side`.")
    stride: PairLike | None = Field(None, description="int or `[sh, sw]`; null = kernel_size.")
    padding: PairLike = Field(0, description="int or `[ph, pw]`, at most half the kernel.")
    global_: bool = Field(
        False, alias="global", description="One window over the whole input (1×1 output)."
    )


class PoolStep(BaseModel):
    output: list[int] = Field(description="[i, j]")
    window: list[list[int]] = Field(description="The in-bounds `[r, s]` the window covers.")
    value: float
    source: list[int] | None = Field(description="The winning `[r, s]` (max/min), null for avg.")
    padded_window: list[list[int]] = Field(
        description="Every `[r, s]` of the window, padded positions included (outside the input)."
    )


class PoolResponse(BaseModel):
    input: list[list[float]] = Field(description="The input as read, (H, W).")
    output: list[list[float]]
    output_shape: list[int]
    formula: str
    steps: list[PoolStep]
    mode: Literal["max", "avg", "min"]
    kernel_size: list[int]
    stride: list[int]
    padding: list[int]
    global_: bool = Field(alias="global", serialization_alias="global")


# -- the size arithmetic alone ------------------------------------------------------------

Int = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class ArithmeticQuery(BaseModel):
    """Sizes and hyperparameters only, no numbers: is this combination possible?"""

    model_config = ConfigDict(populate_by_name=True)

    op: Literal["conv", "pool"] = Field("conv", description="A convolution or a pooling.")
    channels: Int = Field(1, description="conv: input channels C.")
    height: Int = Field(description="Input height H.")
    width: Int = Field(description="Input width W.")
    kernel_height: Int = Field(3, description="conv: kernel height kh.")
    kernel_width: Int = Field(3, description="conv: kernel width kw.")
    kernel_size: Int = Field(2, description="pool: window side k.")
    stride: Int | None = Field(None, description="Default: 1 (conv), the window (pool).")
    padding: Int = 0
    dilation: Int = Field(1, description="conv only.")
    global_: bool = Field(False, alias="global", description="pool: one window over it all.")


class Arithmetic(BaseModel):
    valid: bool
    formula: str | None = Field(description="The output-size arithmetic, if valid.")
    output_shape: list[int] | None = Field(description="[H_out, W_out], if valid.")
    problems: list[str] = Field(
        description="Why not, naming the field and the limit (what /api/conv or /api/pool "
        "would answer with a 4xx)."
    )


# -- presets --------------------------------------------------------------------------------


class Source(BaseModel):
    """The explanation a preset reproduces, to cite beside it."""

    key: str
    author: str
    title: str
    year: int | None = Field(description="Only where the text gives it.")
    citation: str = Field(description='`Author, "Title" (year)`.')


class ConvPreset(BaseModel):
    name: str = Field(description="A stable slug.")
    title: str = Field(description='What it shows, e.g. "2×2 filter on a 3×3 image".')
    description: str
    source: Source
    input: list[list[list[float]]] = Field(description="(C, H, W)")
    kernel: list[list[list[float]]] = Field(description="(C, kh, kw)")
    bias: float
    stride: list[int]
    padding: list[int]
    dilation: list[int]


class PoolPreset(BaseModel):
    name: str = Field(description="A stable slug.")
    title: str = Field(description='What it shows, e.g. "max pooling, 2×2".')
    description: str
    source: Source
    input: list[list[float]]
    mode: Literal["max", "avg", "min"]
    kernel_size: list[int]
    stride: list[int]
    padding: list[int]
    global_: bool = Field(alias="global", serialization_alias="global")


class Presets(BaseModel):
    conv: list[ConvPreset] = Field(description="The convolution examples, in order.")
    pool: list[PoolPreset] = Field(description="The pooling examples, in order.")


class ParamsResponse(BaseModel):
    """A conv layer against a dense layer on the same image (Mukul Rathi's comparison)."""

    conv: int
    conv_formula: str
    dense: int
    dense_formula: str
    ratio: float = Field(description="dense / conv")


# -- a real layer ---------------------------------------------------------------------------


class LayerAnatomyRequest(ImageInput):
    """A drawing (as for predict), which filter of the layer, and optionally which output."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"pixels": [[0.0] * 8] * 8, "filter": 0, "output": [12, 12]}]
        }
    )

    filter: int = Field(
        0, ge=0, description="The output channel f; without it, `?group=`'s first filter (or 0)."
    )
    output: list[int] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="`[i, j]` whose equation to write out; default: the strongest output.",
    )


class GroupCheck(BaseModel):
    """The whole group's block: ``M_g @ x_g + b_g`` against the layer's output on the group's
    filters (``rows = len(group_out_channels) * H_out * W_out``)."""

    checked: bool = Field(description="False when the block is over max_weight_matrix_entries.")
    filters: int
    rows: int
    cols: int | None = None
    max_abs_diff: float | None = None
    tolerance: float | None = None
    matches: bool | None = None


class LayerAnatomy(BaseModel):
    model_id: str
    layer: LayerInfo
    filter: int
    network_input: list[Any] = Field(
        description="The picture the model sees: (H, W) ink for a drawing, (3, H, W) RGB for a "
        "photo."
    )
    input: Any = Field(
        description="The layer's input (C, H, W) for this drawing (a grouped conv: the group's "
        "C/groups channels)."
    )
    input_min: float
    input_max: float
    kernel: Any = Field(description="The filter (C, kh, kw).")
    bias: float
    matrix: WeightMatrix
    feature_map: list[list[float]] = Field(
        description="(H_out, W_out): the layer's output channel `filter`, as the explorer shows."
    )
    feature_min: float
    feature_max: float
    feature_maps: list[list[list[float]]] | None = Field(
        None,
        description="(F, H_out, W_out): every filter's feature map, the layer's whole output "
        f"for this input, when it has at most {ALL_MAPS_MAX_VALUES:,} values (else null).",
    )
    formula: str
    output: list[int] = Field(description="The [i, j] written out in `step`.")
    step: Step
    max_abs_diff: float = Field(
        description="max |M @ x.flatten() + bias - feature_map.flatten()|, computed in float64 "
        "from the float32 layer input and output."
    )
    tolerance: float = Field(description="`max_abs_diff` below this counts as equal.")
    matches: bool
    group: int = Field(
        0,
        description="The filter's group (`?group=`). For a grouped conv, `input`, `kernel`, "
        "`matrix` and `step` cover only the group's input channels: `input[c]` is layer input "
        "channel `group_in_channels[c]`.",
    )
    groups: int = Field(1, description="The layer's groups (1: an ordinary conv).")
    group_in_channels: list[int] = Field(default_factory=list)
    group_out_channels: list[int] = Field(default_factory=list)
    group_check: GroupCheck | None = Field(None, description="A grouped conv's whole group.")
