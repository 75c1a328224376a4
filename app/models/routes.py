"""``/api/models``: the installed models, running them on a drawing, and their weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from app.anatomy import layer_matrix
from app.anatomy.layer_matrix import GroupQuery
from app.core import render, render_layers
from app.core.deps import LayerDep, ModelDep, ModelLayer, RegistryDep, SettingsDep
from app.core.imaging import model_input
from app.core.responses import ERRORS, figure_response, figure_routes, input_text
from app.core.schemas import ImageInput, LayerInfo, WeightMatrix
from app.core.settings import Settings
from app.models import inference, packed
from app.models.inference import rounded
from app.models.schemas import Activations, Filters, LayerState, ModelDetail, ModelList, Prediction
from engine.convention import model_convention
from engine.layers import Conv2D, Dense

router = APIRouter(prefix="/api/models", tags=["models"])

JSON = "application/json"


# -- the models ---------------------------------------------------------------------------


@router.get("", response_model=ModelList, summary="List the installed models")
def list_models(registry: RegistryDep) -> dict:
    return {"models": [m.info() for m in registry.all()], "default": registry.default}


@router.get(
    "/{model_id}", response_model=ModelDetail, responses=ERRORS, summary="A model and its layers"
)
def model_detail(entry: ModelDep) -> dict:
    return {**entry.info(), "layers": entry.model.layer_info(), "card": entry.card}


@router.get(
    "/{model_id}/layers/{index}", response_model=LayerInfo, responses=ERRORS, summary="One layer"
)
def layer_detail(ml: LayerDep) -> dict:
    return ml.entry.model.layer_info()[ml.index]


STATE_VALUES = 4096  # numbers listed per array; larger ones get their statistics only


@router.get(
    "/{model_id}/layers/{index}/state",
    response_model=LayerState,
    responses=ERRORS,
    summary="A layer's numbers: its parameters and buffers (batch norm statistics, constants)",
)
def layer_state(ml: LayerDep) -> dict:
    arrays = []
    for kind, group in (("parameter", ml.layer.params), ("buffer", ml.layer.buffers)):
        for key, a in group.items():
            arrays.append(
                {
                    "name": key,
                    "kind": kind,
                    "shape": list(a.shape),
                    "values": rounded(a) if a.size <= STATE_VALUES else None,
                    "min": float(a.min()) if a.size else 0.0,
                    "max": float(a.max()) if a.size else 0.0,
                    "mean": float(a.mean()) if a.size else 0.0,
                }
            )
    info = {"index": ml.index, "name": ml.layer.name, "type": ml.layer.type}
    return {**info, "max_values": STATE_VALUES, "arrays": arrays}


# -- running a model on a drawing ---------------------------------------------------------


@router.post(
    "/{model_id}/predict",
    response_model=Prediction,
    responses=ERRORS,
    summary="Classify a drawing",
)
def predict(entry: ModelDep, body: ImageInput, settings: SettingsDep) -> dict:
    x, image = model_input(body, entry.model, settings)
    return inference.predict(entry.model, x, image)


FormatQuery = Annotated[
    Literal["json", "float32", "float16"] | None,
    Query(
        alias="format",
        description="`json` (the default), or every layer's output in one binary message "
        "(`app/models/packed.py`) of float32 or float16 values — what the explorer page reads. "
        f"`Accept: {packed.MEDIA_TYPE}` also asks for float32.",
    ),
]


LayersQuery = Annotated[
    str | None,
    Query(
        alias="layers",
        pattern=r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$",
        description="Which layers' outputs to ship: indices and ranges, e.g. `0-9,12` "
        "(default: all). The others are listed with their shape, min, max and scale but no "
        "data (`data` null, packed `size` 0), so a page can ask for a big network's layers in "
        "parts.",
    ),
]
MaxChannelsQuery = Annotated[
    int | None,
    Query(
        alias="max_channels",
        ge=1,
        le=4096,
        description="Ship at most this many channels of each (C, H, W) output: the first "
        "ones (`shipped_channels` says how many; `min`/`max` stay those of every channel).",
    ),
]


def parse_layers(text: str | None, count: int) -> set[int] | None:
    """``"0-3,7"`` → ``{0, 1, 2, 3, 7}``, every index checked against ``count`` layers."""
    if text is None:
        return None
    chosen: set[int] = set()
    for part in text.replace(" ", "").split(","):
        lo, _, hi = part.partition("-")
        a, b = int(lo), int(hi or lo)
        if not 0 <= a <= b < count:
            raise HTTPException(
                422, f"layers: {part!r} is not a range of layer indices from 0 to {count - 1}"
            )
        chosen.update(range(a, b + 1))
    return chosen


@router.post(
    "/{model_id}/activations",
    response_model=Activations,
    responses={**ERRORS, 200: {"content": {packed.MEDIA_TYPE: {}}}},
    summary="Classify a drawing and return every layer's output",
)
def activations(
    entry: ModelDep,
    body: ImageInput,
    settings: SettingsDep,
    request: Request,
    format_: FormatQuery = None,
    layers: LayersQuery = None,
    max_channels: MaxChannelsQuery = None,
) -> Response:
    which = inference.Shipped(parse_layers(layers, len(entry.model.layers)), max_channels)
    x, image = model_input(body, entry.model, settings)
    if format_ is None and packed.MEDIA_TYPE in request.headers.get("accept", ""):
        format_ = "float32"
    if format_ in (None, "json"):
        # Written straight to JSON: a quarter of a million numbers for a 64-channel network.
        doc = inference.activations_json(entry.model, x, image, which)
        return Response(doc, media_type=JSON)
    message = inference.activations_packed(entry.model, x, image, format_, which)
    return Response(message, media_type=packed.MEDIA_TYPE, headers={"Cache-Control": "no-store"})


FirstQuery = Annotated[
    int, Query(ge=0, description="The first channel (or filter) drawn: a big layer in pages.")
]
CountQuery = Annotated[
    int | None,
    Query(ge=1, le=65_536, description="How many; default and at most: what fits `max_png_side`."),
]


@dataclass
class PageQuery:
    """A page of a big layer's channels or filters; what was drawn is in ``X-Page``."""

    first: FirstQuery = 0
    count: CountQuery = None

    def paging(self, settings: Settings) -> render_layers.Paging:
        return render_layers.Paging(self.first, self.count, settings.max_png_side)


PageDep = Annotated[PageQuery, Depends()]


def _page_response(fig, page: render_layers.Page, fmt: str, caption: str, values) -> Response:
    """The figure as ``fmt`` with ``X-Page: first-last/total``, the page drawn."""
    response = figure_response(fig, fmt, caption, float(values.min()), float(values.max()))
    response.headers["X-Page"] = page.header()
    return response


def _check_first(ml: ModelLayer, first: int, total: int, what: str) -> None:
    if first >= total:
        raise HTTPException(422, f"first: {ml.describe()} has {what} 0 to {total - 1}, got {first}")


def _feature_maps(
    ml: LayerDep, body: ImageInput, settings: SettingsDep, page: PageDep, fmt: str
) -> Response:
    model = ml.entry.model
    _check_first(ml, page.first, ml.output_shape[0], "channels")
    x, _ = model_input(body, model, settings)
    out = inference.layer_output(model, x, ml.index)
    signed = True if isinstance(ml.layer, (Conv2D, Dense)) else None
    shape = "x".join(str(d) for d in out.shape)
    title = f"{ml.entry.id} {ml.describe()}: output {shape}"
    fig, drawn = render_layers.feature_maps_figure(out, title, signed, page.paging(settings))
    return _page_response(fig, drawn, fmt, _caption(ml, f"input {input_text(body)}"), out)


def _caption(ml: ModelLayer, *what: str) -> str:
    return ", ".join(["CNN Explorer", f"model {ml.entry.id}", *what, ml.describe()])


figure_routes(
    router, "post", "/{model_id}/layers/{index}/feature-maps",
    "One layer's output channels as a labelled grid image (a page of a big layer's; "
    "`X-Page: first-last/total`)", _feature_maps,
)  # fmt: skip


# -- weights ------------------------------------------------------------------------------


def _weights(ml: ModelLayer) -> tuple[np.ndarray, np.ndarray]:
    """``(weight, bias)`` of a conv or dense layer (zero bias if it has none), else 404."""
    if not isinstance(ml.layer, (Conv2D, Dense)):
        with_weights = [
            f"{i} ({layer.name})"
            for i, layer in enumerate(ml.entry.model.layers)
            if isinstance(layer, (Conv2D, Dense))
        ]
        raise HTTPException(
            404,
            f"index: {ml.describe()} has no weights; only conv2d and dense layers have filters "
            f"(in {ml.entry.id!r}: {', '.join(with_weights) or 'none'})",
        )
    w = ml.layer.params["weight"]
    b = ml.layer.params.get("bias", np.zeros(w.shape[0], dtype=w.dtype))
    return w, b


@router.get(
    "/{model_id}/layers/{index}/filters",
    response_model=Filters,
    responses=ERRORS,
    summary="A conv or dense layer's weights and biases",
)
def filters(ml: LayerDep) -> dict:
    w, b = _weights(ml)
    return {
        "index": ml.index,
        "name": ml.layer.name,
        "type": ml.layer.type,
        "shape": list(w.shape),
        "weights": w.astype(np.float64).tolist(),
        "bias": b.astype(np.float64).tolist(),
        "min": float(w.min()),
        "max": float(w.max()),
    }


def first_layer_colour(ml: ModelLayer) -> str | None:
    """``"rgb"``/``"bgr"`` when ``ml`` is a conv layer reading a colour network input directly
    (its filters are 3-deep pictures); else ``None``."""
    model = ml.entry.model
    if not isinstance(ml.layer, Conv2D) or model.inputs[ml.index] != [-1]:
        return None
    if model.input_shape[0] != 3:
        return None
    channels = (model_convention(model) or {}).get("channels", "rgb")
    return "bgr" if channels == "bgr" else "rgb"


def _filters(ml: LayerDep, settings: SettingsDep, page: PageDep, fmt: str) -> Response:
    w, _ = _weights(ml)
    _check_first(ml, page.first, w.shape[0], "filters" if w.ndim == 4 else "outputs")
    shape = "x".join(str(d) for d in w.shape)
    title = f"{ml.entry.id} {ml.describe()}: weights {shape}"
    colour = first_layer_colour(ml)
    fig, drawn = render_layers.filters_figure(w, title, colour, page.paging(settings))
    return _page_response(fig, drawn, fmt, _caption(ml, "weights"), w)


figure_routes(
    router, "get", "/{model_id}/layers/{index}/filters",
    "A conv or dense layer's weights as a labelled grid image (a first layer's 3-deep filters "
    "in colour; a page of a big layer's filters: `X-Page: first-last/total`)", _filters,
)  # fmt: skip


# -- convolution as a matrix --------------------------------------------------------------

FilterQuery = Annotated[
    int | None,
    Query(
        ge=0,
        alias="filter",
        description="The output channel f. Default 0, or with `group` the group's first filter.",
    ),
]
SideQuery = Annotated[
    int | None,
    Query(ge=1, description="Input side; defaults to the layer's input in the model."),
]


@dataclass
class MatrixQuery:
    """The query both weight-matrix routes (JSON and PNG) take."""

    filter_: FilterQuery = None
    input_height: SideQuery = None
    input_width: SideQuery = None
    group: GroupQuery = None

    def of_layer(self, ml: ModelLayer, settings: Settings):
        """``layer_matrix.of_layer`` for this query: the whole filter unless a ``group``."""
        return layer_matrix.of_layer(
            ml, settings, self.filter_, self.input_height, self.input_width, self.group,
            whole=self.group is None,
        )  # fmt: skip


MatrixDep = Annotated[MatrixQuery, Depends()]


@router.get(
    "/{model_id}/layers/{index}/weight-matrix",
    response_model=WeightMatrix,
    responses=ERRORS,
    summary="One conv filter as a sparse weight matrix M (M @ x.flatten() + bias = conv(x)[f])",
)
def weight_matrix_json(ml: LayerDep, settings: SettingsDep, query: MatrixDep) -> dict:
    return layer_matrix.as_answer(ml, *query.of_layer(ml, settings))


def _weight_matrix(ml: LayerDep, settings: SettingsDep, query: MatrixDep, fmt: str) -> Response:
    whole = query.group is None
    wm, filter_, span = query.of_layer(ml, settings)
    limit = settings.max_weight_matrix_png_side
    if max(wm.rows, wm.cols) > limit:
        one_group = " or ?group= draws one group's channels" if whole and span.groups > 1 else ""
        raise HTTPException(
            422,
            f"input_height/input_width: a {wm.rows}×{wm.cols} matrix is too large to draw, "
            f"more than the limit max_weight_matrix_png_side = {limit} (the JSON has it all"
            f"{one_group})",
        )
    title = f"{ml.entry.id} {ml.describe()}, filter {filter_}"
    if span.groups > 1:
        c = span.in_channels
        title += f" (group {span.group}: input channels {c.start} to {c.stop - 1}"
        title += " of all)" if whole else ")"
    fig = render.weight_matrix_figure(wm, ml.layer.kernel_size, title)
    caption = _caption(ml, f"weight matrix of filter {filter_}")
    return figure_response(fig, fmt, caption, float(wm.kernel.min()), float(wm.kernel.max()))


figure_routes(
    router, "get", "/{model_id}/layers/{index}/weight-matrix",
    "The weight matrix as an image: structural zeros grey, shared weights one colour",
    _weight_matrix,
)  # fmt: skip
