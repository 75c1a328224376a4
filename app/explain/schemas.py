"""Request and response bodies of the explanations, the kernel editor and the colour page.

Maps are nested lists ``(H, W)`` at the network input's size, row-major; ``min``/``max`` give
their range. Every method explains one class, ``target`` (default: the predicted class), by
its pre-softmax logit — occlusion can use the probability instead (``score``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from app.core.schemas import ImageInput

Grid = Annotated[list[Any], WithJsonSchema({"type": "array", "description": "nested numbers"})]

# -- requests ---------------------------------------------------------------------------------


class ExplainRequest(ImageInput):
    """A drawing (``ImageInput``) and the class to explain."""

    target: int | None = Field(
        None, ge=0, description="Class index to explain; default: the predicted class."
    )


class GradCAMRequest(ExplainRequest):
    layer: int | None = Field(
        None,
        ge=0,
        description="Index of a layer with (C, H, W) output (a conv layer or its ReLU/pool); "
        "default: the last conv layer's ReLU. See `GET .../explain` for the choices.",
    )
    upsample: Literal["bilinear", "nearest"] = Field(
        "bilinear", description="How the layer-sized map is stretched to the input size."
    )


class OcclusionRequest(ExplainRequest):
    patch: int = Field(6, ge=1, description="Side of the square patch, in input pixels.")
    stride: int = Field(2, ge=1, description="Step between patch positions, in pixels.")
    value: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="The patch: 0 = blank canvas (a drawing) or black (a photo), 0.5 = grey; "
        "default 0 for a drawing, 0.5 for a photo.",
    )
    score: Literal["probability", "logit"] = Field(
        "probability", description="Which drop to report when a patch hides part of the input."
    )


class IntegratedGradientsRequest(ExplainRequest):
    steps: int = Field(
        32, ge=1, description="Points on the path from the blank baseline; at most `max_ig_steps`."
    )


# -- responses --------------------------------------------------------------------------------


class Attribution(BaseModel):
    """A map over the input pixels explaining one class."""

    method: str
    target: int = Field(description="The class explained.")
    label: str = Field(description="Its name.")
    score: float = Field(description="The explained score of `target` on the input.")
    score_kind: Literal["logit", "probability"]
    prediction: int
    predicted_label: str
    probabilities: list[float]
    input: Grid = Field(
        description="The picture explained: (H, W) ink for a drawing, (3, H, W) RGB for a photo."
    )
    shape: list[int] = Field(description="[H, W] of `map`.")
    map: Grid = Field(description="(H, W) attribution per input pixel.")
    min: float
    max: float
    signed: bool = Field(description="Whether the map has meaningful negative values.")


class SaliencyResult(Attribution):
    gradient: Grid = Field(description="(C, H, W) signed d logit_target / d input.")


class GradCAMResult(Attribution):
    layer: int
    layer_name: str
    layer_shape: list[int] = Field(description="[C, h, w] of the layer's output.")
    raw: Grid = Field(description="(h, w) Grad-CAM at the layer's resolution, before upsampling.")
    weights: list[float] = Field(description="The channel weights: mean gradient per channel.")
    upsample: str


class OcclusionResult(Attribution):
    patch: int
    stride: int
    value: float
    drops: Grid = Field(description="(rows, cols) score drop for each patch position.")
    rows: list[int] = Field(description="Top edge of each patch row.")
    cols: list[int] = Field(description="Left edge of each patch column.")


class IntegratedGradientsResult(Attribution):
    steps: int
    baseline_score: float = Field(description="The target's logit on the blank baseline.")
    total: float = Field(description="Sum of the attributions ≈ score − baseline_score.")
    delta: float = Field(description="Completeness error: total − (score − baseline_score).")


class LayerRef(BaseModel):
    index: int
    name: str
    type: str
    output_shape: list[int]


class ConvLayerRef(LayerRef):
    filters: int
    receptive_field: list[int] = Field(
        description="[h, w] input pixels one unit sees: an upper bound, the whole map past a "
        "global pool, a flatten or a layer that mixes positions (attention)."
    )


class ExplainInfo(BaseModel):
    model: str
    classes: list[str]
    methods: list[str]
    gradcam_layers: list[LayerRef]
    default_gradcam_layer: int | None
    conv_layers: list[ConvLayerRef]


class TopExample(BaseModel):
    index: int = Field(description="Position in the image set (`dataset`).")
    label: str = Field(description="Its true class (a photo: its name).")
    value: float = Field(description="The filter's largest activation on this image.")
    position: list[int] = Field(description="[i, j] of that activation in the feature map.")
    box: list[int] = Field(description="[top, left, bottom, right) of its receptive field.")
    patch: Grid = Field(
        description="The image inside the box, in [0, 1]: (h, w) ink for a digit model, "
        "(3, h, w) RGB for a colour set."
    )


class FilterTop(BaseModel):
    filter: int
    examples: list[TopExample]


class TopActivationsResult(BaseModel):
    layer: int
    name: str
    k: int
    receptive_field: list[int]
    filters: list[FilterTop]
    dataset: str = Field(
        description="The images ranked: `mnist test`, `cifar10 test`, `cifar10 test sample "
        "(150 photos)` (no full copy in the data directory) or `bundled photos`."
    )
    channels: int = Field(1, description="1: ink patches (h, w); 3: RGB patches (3, h, w).")
    cached: bool = Field(description="Read from the on-disk cache rather than computed.")
    seconds: float = Field(description="Time to load or compute the whole model's table.")


class MaximisedFilter(BaseModel):
    filter: int
    image: Grid = Field(
        description="The input found, in [0, 1]: (H, W) ink for a drawing model, (3, H, W) RGB "
        "for a colour one."
    )
    initial: float = Field(description="The objective on the starting noise.")
    activation: float = Field(description="The objective on `image`.")


class MaximiseResult(BaseModel):
    layer: int
    name: str
    units: int = Field(description="Filters or units the layer has (ask in ranges: `first`).")
    objective: str
    steps: int
    seed: int
    box: list[int] | None = Field(
        None,
        description="With `objective=center`: [top, left, bottom, right) of the input the "
        "centre unit sees (clipped to the image) — the part of `image` that matters.",
    )
    filters: list[MaximisedFilter]


class TopPhotosRequest(BaseModel):
    """Your own photos, ranked by what excites each filter of a conv layer most."""

    photos: list[ImageInput] = Field(
        min_length=1,
        description="The photos (each an `ImageInput`, through the model's own resize and "
        "crop); at most `max_top_photos`, and photos × one pass within `max_request_megamacs`.",
    )
    names: list[Annotated[str, Field(max_length=80)]] | None = Field(
        None, description="A label for each photo (default: photo 1, photo 2, ...)."
    )
    k: int | None = Field(
        None, ge=1, description="Photos per filter, at most the photos sent; default 3 (or all)."
    )
    filter: int | None = Field(None, ge=0, description="One filter; default: all of them.")


class VisualiseRegularisers(BaseModel):
    jitter: int = Field(description="Random shift each step, px.")
    blur_every: int = Field(description="A 3×3 binomial blur every so many steps (0: never).")
    l2: float = Field(description="Weight of ½‖x − background‖².")
    tv: float = Field(description="Weight of the total variation Σ(Δh² + Δv²).")


class VisualisePenalties(BaseModel):
    l2: float
    tv: float


class VisualiseResult(BaseModel):
    layer: int
    name: str
    unit: int
    objective: str
    steps: int
    seed: int
    regularisers: VisualiseRegularisers
    image: Grid = Field(
        description="The picture found, in [0, 1]: (H, W) ink for a drawing model, (3, H, W) "
        "RGB for a colour one."
    )
    initial: float = Field(description="The unit's activation on the starting noise.")
    activation: float = Field(description="Its activation on `image`.")
    history: list[float] = Field(description="The activation after each step (steps + 1).")
    penalties: VisualisePenalties = Field(description="The (unweighted) penalties of `image`.")
    seconds: float = Field(description="Time the ascent took (0 when memoised).")


# -- kernel editor ----------------------------------------------------------------------------


class KernelPreset(BaseModel):
    name: str
    description: str
    kernel: Grid


class KernelPresets(BaseModel):
    presets: list[KernelPreset] = Field(description="One-channel kernels for a drawing.")
    color_presets: list[KernelPreset] = Field(description="(3, kh, kw) filters for a photo.")


class KernelRequest(ImageInput):
    """A drawing and a hand-made kernel (or a preset's name)."""

    kernel: Grid | None = Field(
        None, description="(kh, kw) weights, each side at most `max_kernel_side`."
    )
    preset: str | None = Field(None, description="A preset name instead of `kernel`.")
    bias: float = 0.0
    padding: Literal["same", "valid"] = "same"


class KernelResult(BaseModel):
    input: list[list[float]] = Field(description="The (H, W) network input the kernel ran on.")
    kernel: Grid
    bias: float
    preset: str | None
    padding: str
    shape: list[int]
    output: Grid = Field(description="(H_out, W_out) the feature map (before any ReLU).")
    min: float
    max: float
    formula: str


# -- colour images ----------------------------------------------------------------------------


class ColorSample(BaseModel):
    name: str
    description: str
    url: str
    width: int
    height: int


class ColorSamples(BaseModel):
    samples: list[ColorSample]


SAMPLES = {  # the bundled colour images a ``ColorRequest`` may name (``static/img/samples``)
    "shapes": "A red disc, a green square, a blue triangle and a yellow square on white.",
    "stripes": "Bars of red, yellow, green, cyan, blue and magenta, darker towards the top.",
    "landscape": "A blue-to-orange sky, a yellow sun, green hills and a red house.",
}


class ColorRequest(BaseModel):
    """A photo (PNG/JPEG, as for ``ImageInput.image``) or a bundled sample, and a filter."""

    image: str | None = Field(None, description="A PNG or JPEG as a data URL or bare base64.")
    sample: str | None = Field(None, description="A bundled sample's name instead of `image`.")
    kernel: Grid | None = Field(
        None, description="(C, kh, kw): C must be 3, one slice per R, G, B channel."
    )
    preset: str | None = Field(None, description="A colour preset's name instead of `kernel`.")
    bias: float = 0.0
    padding: Literal["same", "valid"] = "same"


class ColorResult(BaseModel):
    source: str
    width: int
    height: int
    input_shape: list[int] = Field(description="[3, H, W]: the image as the filter sees it.")
    channels: list[Grid] = Field(description="R, G, B as three (H, W) grids in [0, 1].")
    kernel: Grid | None = None
    kernel_shape: list[int] | None = None
    preset: str | None = None
    bias: float = 0.0
    output: Grid | None = Field(None, description="(H_out, W_out) the filter's one map.")
    parts: list[Grid] | None = Field(
        None, description="Each channel's slice on that channel; output = sum(parts) + bias."
    )
    min: float | None = None
    max: float | None = None
    explanation: str
