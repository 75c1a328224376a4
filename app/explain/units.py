"""What the filters page's routes share: which layer is a conv layer, which of its units a
request names, and the ``filter`` query."""

from typing import Annotated

from fastapi import HTTPException, Query

from app.core.deps import ModelLayer
from engine.explain.top_activations import conv_layers

FilterQuery = Annotated[
    int | None, Query(ge=0, alias="filter", description="One filter; default: all of them.")
]


def conv_layer(ml: ModelLayer) -> None:
    """404 unless ``ml`` is a conv2d layer, listing the model's conv layers."""
    if ml.layer.type != "conv2d":
        model = ml.entry.model
        convs = ", ".join(f"{i} ({model.layers[i].name})" for i in conv_layers(model)) or "none"
        raise HTTPException(
            404, f"index: {ml.describe()} is not a conv2d layer (conv2d layers: {convs})"
        )


def filter_list(ml: ModelLayer, f: int | None, field: str = "filter") -> list[int]:
    """``[f]``, or every filter of the layer when ``f`` is ``None``; 422 past the last."""
    F = ml.output_shape[0]
    if f is not None and f >= F:
        raise HTTPException(422, f"{field}: {ml.describe()} has filters 0 to {F - 1}, got {f}")
    return list(range(F)) if f is None else [f]
