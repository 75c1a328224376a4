"""A real conv layer's filter as a sparse weight matrix (``GET .../weight-matrix``, its PNG and
the layer anatomy): the filter and group a request asks for, the limits checked before the
engine builds the matrix (``engine.anatomy.weight_matrix``), and the JSON answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query

from app.core.deps import ModelLayer
from app.core.settings import Settings
from engine.anatomy import GroupSpan, group_of, group_span, on_every_channel, weight_matrix
from engine.layers import Conv2D
from engine.shapes import output_shape

GroupQuery = Annotated[
    int | None,
    Query(
        ge=0,
        description="A grouped conv (`groups` > 1, depthwise when `groups` = in_channels) "
        "taken apart one group at a time: with `group`, M spans only the group's input "
        "channels (`group_in_channels`) and `filter` must be one of the group's "
        "(`group_out_channels`). Without it, the weight matrix spans all C input channels "
        "(the other groups' columns are structural zeros) and the filter's group is reported; "
        "the layer anatomy takes the filter's group (0 without a filter).",
    ),
]


def pick_group(ml: ModelLayer, f: int | None, group: int | None) -> tuple[int, GroupSpan]:
    """The filter and the group of a conv layer a request asks for (see
    ``app.core.responses.GroupQuery``)."""
    layer = ml.layer
    F, G = layer.out_channels, layer.groups
    if f is not None and f >= F:
        raise HTTPException(422, f"filter: {ml.describe()} has filters 0 to {F - 1}, got {f}")
    if group is not None and group >= G:
        raise HTTPException(
            422, f"group: {ml.describe()} has {G} group(s), 0 to {G - 1}, got {group}"
        )
    g = group if group is not None else group_of(f or 0, F, G)
    span = group_span(layer.in_channels, F, G, g)
    out = span.out_channels
    if f is None:
        f = out.start
    elif f not in out:
        raise HTTPException(
            422,
            f"filter: group {g} of {ml.describe()} has filters {out.start} to {out.stop - 1}, "
            f"got {f}",
        )
    return f, span


def conv_layer(ml: ModelLayer) -> Conv2D:
    layer = ml.layer
    if not isinstance(layer, Conv2D):
        convs = [
            f"{i} ({ly.name})" for i, ly in enumerate(ml.entry.model.layers) if ly.type == "conv2d"
        ]
        raise HTTPException(
            404,
            f"index: {ml.describe()} is not a conv2d layer, so it has no weight matrix "
            f"(conv2d layers in {ml.entry.id!r}: {', '.join(convs) or 'none'})",
        )
    return layer


def of_layer(
    ml: ModelLayer,
    settings: Settings,
    f: int | None,
    height: int | None,
    width: int | None,
    group: int | None = None,
    whole: bool = False,
):
    """``(WeightMatrix, f, span)``: the engine's matrix of filter ``f`` of a conv layer on its
    group's input channels (all of them unless the layer is grouped), within the limits; with
    ``whole``, on all the layer's input channels (api.md's ``C×H×W``), the other groups'
    columns structural zeros."""
    layer = conv_layer(ml)
    f, span = pick_group(ml, f, group)
    _, H, W = ml.input_shape
    C = len(span.in_channels)
    H, W = height or H, width or W
    limit = settings.max_conv_input_side
    for name, n in (("input_height", H), ("input_width", W)):
        if n > limit:
            raise HTTPException(
                422, f"{name}: {n} is more than the limit max_conv_input_side = {limit}"
            )
    try:
        H_out, W_out = output_shape(
            (H, W), layer.kernel_size, layer.stride, layer.padding, layer.dilation
        )
    except ValueError as e:
        raise HTTPException(422, f"input_height/input_width: {H}×{W} is too small: {e}") from None
    # the matrix answered: on the group's channels, or (whole) on all the layer reads
    rows, cols = H_out * W_out, (layer.in_channels if whole else C) * H * W
    if rows * cols > settings.max_weight_matrix_cells:
        raise HTTPException(
            422,
            f"input_height/input_width: the matrix would be {rows}×{cols} = {rows * cols:,} cells, "
            f"more than the limit max_weight_matrix_cells = {settings.max_weight_matrix_cells:,}",
        )
    kh, kw = layer.kernel_size
    if rows * C * kh * kw > settings.max_weight_matrix_entries:
        raise HTTPException(
            422,
            f"input_height/input_width: the matrix would have up to {rows * C * kh * kw:,} "
            f"non-zeros, more than the limit max_weight_matrix_entries = "
            f"{settings.max_weight_matrix_entries:,}",
        )
    w = layer.params["weight"][f]  # w: (C/groups, kh, kw), the group's channels
    b = float(layer.params["bias"][f]) if "bias" in layer.params else 0.0
    wm = weight_matrix(w, b, (C, H, W), layer.stride, layer.padding, layer.dilation)
    if whole and span.groups > 1:
        wm = on_every_channel(wm, span, layer.in_channels)
    return wm, f, span


def answer(
    ml: ModelLayer,
    settings: Settings,
    f: int | None,
    height: int | None = None,
    width: int | None = None,
    group: int | None = None,
    whole: bool = False,
) -> dict:
    """The ``WeightMatrix`` answer (see :func:`of_layer` for ``group`` and ``whole``)."""
    return as_answer(ml, *of_layer(ml, settings, f, height, width, group, whole))


def as_answer(ml: ModelLayer, wm, f: int, span) -> dict:
    """The ``WeightMatrix`` answer for what :func:`of_layer` returned."""
    layer = ml.layer
    return {
        **wm.to_dict(),
        "layer": ml.index,
        "filter": f,
        "kernel_shape": [wm.shape_in[0], *layer.kernel_size],
        "stride": list(layer.stride),
        "padding": list(layer.padding),
        "dilation": list(layer.dilation),
        "group": span.group,
        "groups": span.groups,
        "group_in_channels": list(span.in_channels),
        "group_out_channels": list(span.out_channels),
    }
