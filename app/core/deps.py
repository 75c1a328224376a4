"""Shared dependencies as ``Annotated`` aliases: settings, the registry, a model, a layer.

They are ``async`` because they only look things up: a plain ``def`` dependency would cost a
round trip through the thread pool on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request

from app.core.registry import LoadedModel, ModelRegistry
from app.core.settings import Settings
from engine.layers import Layer


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_registry(request: Request) -> ModelRegistry:
    return request.app.state.registry


SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]


async def get_model(
    registry: RegistryDep,
    model_id: Annotated[str, Path(description="A model id, e.g. `mnist-cnn`.")],
) -> LoadedModel:
    """The installed model ``model_id``, or 404 naming it and the ids there are."""
    try:
        return registry.get(model_id)
    except KeyError:
        known = ", ".join(registry.ids()) or "none installed"
        shown = model_id if len(model_id) <= 80 else model_id[:77] + "..."
        raise HTTPException(404, f"model_id: no model {shown!r} (models: {known})") from None


ModelDep = Annotated[LoadedModel, Depends(get_model)]


@dataclass(frozen=True)
class ModelLayer:
    """Layer ``index`` of an installed model, with its input and output shapes."""

    entry: LoadedModel
    index: int
    layer: Layer
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]

    def describe(self) -> str:
        return f"layer {self.index} ({self.layer.name}, {self.layer.type})"


async def get_layer(
    entry: ModelDep,
    index: Annotated[int, Path(description="Layer index, 0 = the first layer.")],
) -> ModelLayer:
    """Layer ``index`` of the model, or 404 naming the valid range."""
    model = entry.model
    n = len(model.layers)
    if not 0 <= index < n:
        raise HTTPException(
            404, f"index: model {entry.id!r} has layers 0 to {n - 1}, there is no layer {index}"
        )
    in_shape = model.input_shapes(index)[0]  # its (first) input's shape
    return ModelLayer(entry, index, model.layers[index], in_shape, model.shapes[index + 1])


LayerDep = Annotated[ModelLayer, Depends(get_layer)]
