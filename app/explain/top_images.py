"""``/api/models/{model_id}/explain/layers/{index}/top-activations``: the images that excite
each conv filter most, with the patch of input one unit sees.

The images are the model's own data set's (``app/explain/image_sets.py``: MNIST for a digit
model, CIFAR-10 for a CIFAR model) or the bundled photos. The table covers every conv layer,
is computed once per model in the background (``app.datasets.tables``) and cached on disk
(``engine.explain.top_activations``). Its cost — images × one pass to the last conv layer — is
checked against ``max_table_megamacs`` before any work; an answer's patch values against
``max_top_values``.
"""

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from app.core.bounds import MEGA, megamacs
from app.core.deps import LayerDep, ModelLayer, SettingsDep
from app.core.memo import token
from app.core.render import ColourScale, grid_figure, number, rgb_grid_figure, text_legend
from app.core.responses import ERRORS, TABLE_503, figure_response, figure_routes
from app.core.settings import Settings
from app.datasets.tables import Tables
from app.explain.image_sets import ImageSet, answer, image_set, patches_of
from app.explain.schemas import TopActivationsResult
from app.explain.units import FilterQuery, conv_layer, filter_list
from engine import explain
from engine.cost import pass_cost
from engine.explain.geometry import receptive_field
from engine.explain.top_activations import conv_layers

router = APIRouter(prefix="/api/models/{model_id}/explain", tags=["explain"])

KQuery = Annotated[
    int | None,
    Query(ge=1, description="Images per filter; default 9, at most `max_top_k`."),
]
DEFAULT_K = 9


@dataclass
class TopQuery:
    """The query both top-activations routes (JSON and PNG) take."""

    filter_: FilterQuery = None
    k: KQuery = None


TopDep = Annotated[TopQuery, Depends()]


def _table(ml: ModelLayer, request: Request, settings: Settings, images: ImageSet):
    """The model's table: from memory, the disk cache, or computed in the background (a 503
    with ``Retry-After`` while that takes longer than a request may); its cost checked first."""
    model = ml.entry.model
    one = pass_cost(model, conv_layers(model)[-1] + 1)  # one image, to the last conv layer
    cost = len(images.images) * one
    if cost > settings.max_table_megamacs * MEGA:
        raise HTTPException(
            422,
            f"model_id: the top-activations table of {ml.entry.id!r} would cost about "
            f"{megamacs(cost)} multiply-adds ({len(images.images):,} {images.name} images × "
            f"{megamacs(one)} per pass), more than the limit max_table_megamacs = "
            f"{settings.max_table_megamacs:,}",
        )
    tables: Tables = request.app.state.tables
    k = min(settings.max_top_k, len(images.images))
    key = ("top-activations", token(model), k, images.name)

    def compute():
        return explain.top_activations(
            model,
            images.images,
            k=k,
            cache_dir=settings.cache_dir,
            progress=tables.progress,
            patches=not images.rgb,  # colour: cut on demand (a deep box is most of a photo)
        )

    return tables.get(key, compute, "top-activations")[0]


def _patch_values(ml: ModelLayer, images: ImageSet) -> int:
    """At most how many values one patch of this layer holds: its receptive field within the
    image, times the channels."""
    C, H, W = images.images.shape[1:] if images.images.ndim == 4 else (1, *images.images.shape[1:])
    h, w = receptive_field(ml.entry.model, ml.index)
    return int(C * min(h, H) * min(w, W))


def _top(ml: ModelLayer, request: Request, settings: Settings, q: TopQuery):
    """(table, the layer's part, image set, filters, k, patches (n, k, [C,] h, w) in [0, 1])."""
    conv_layer(ml)
    k = min(DEFAULT_K, settings.max_top_k) if q.k is None else q.k
    if k > settings.max_top_k:
        raise HTTPException(422, f"k: {k} is more than the limit max_top_k = {settings.max_top_k}")
    filters = filter_list(ml, q.filter_)
    images = image_set(ml.entry, settings)
    if k > len(images.images):
        raise HTTPException(422, f"k: {k} is more than the {len(images.images)} {images.name}")
    per_patch = _patch_values(ml, images)
    values = len(filters) * k * per_patch
    if images.rgb and values > settings.max_top_values:
        raise HTTPException(
            422,
            f"filter: {len(filters)} filters × {k} patches of up to {per_patch:,} values is "
            f"more than the limit max_top_values = {settings.max_top_values:,}; ask for one "
            "filter at a time",
        )
    top = _table(ml, request, settings, images)
    layer = top.layers[ml.index]
    return top, layer, images, filters, k, patches_of(ml.entry, images, layer, filters, k)


@router.get(
    "/layers/{index}/top-activations",
    response_model=TopActivationsResult,
    responses={**ERRORS, **TABLE_503},
    summary="The images that excite each filter most (the model's data set, or the bundled "
    "photos), with the patch each one saw",
)
def top_activations_json(
    ml: LayerDep, request: Request, settings: SettingsDep, query: TopDep
) -> dict:
    top, layer, images, filters, k, patches = _top(ml, request, settings, query)
    return answer(ml, layer, images, filters, patches, top.from_cache, top.seconds)


def _top_activations(
    ml: LayerDep, request: Request, settings: SettingsDep, query: TopDep, fmt: str
) -> Response:
    _, layer, images, filters, k, patches = _top(ml, request, settings, query)
    labels = [f"f{f}: {number(layer.value[f, r], 3)}" for f in filters for r in range(k)]
    title = (
        f"{ml.entry.id} {ml.describe()}: top {k} {images.name} images per filter "
        "(patch = receptive field)"
    )
    tiles = patches.reshape(-1, *patches.shape[2:])  # (n, k, [C,] h, w) → (n*k, [C,] h, w)
    if images.rgb:
        rgb = (255 * tiles.transpose(0, 2, 3, 1)).round().astype(np.uint8)  # (n*k, h, w, 3)
        note = "the patches in their own colours; label: filter and its activation"
        fig = rgb_grid_figure(rgb, labels, title, *text_legend([note]), ncols=k)
    else:
        scale = ColourScale.for_values(np.array([0.0, 1.0]), signed=False)
        fig = grid_figure(tiles, labels, title, scale, ncols=k)
    caption = f"CNN Explorer, model {ml.entry.id}, top {images.name} images, {ml.describe()}"
    return figure_response(fig, fmt, caption, 0.0, 1.0)


figure_routes(
    router, "get", "/layers/{index}/top-activations",
    "The top-activating patches as a grid: one row per filter, best first", _top_activations,
)  # fmt: skip
