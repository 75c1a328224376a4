"""Layers: thin holders of hyperparameters and weights over the pure functions in ``engine.ops``.

Every layer has ``forward(*xs, train, backprop)`` and ``backward(dout)`` (see
:mod:`engine.layers.base`). ``params``, ``buffers`` and ``grads`` map PyTorch-style names
(``"weight"``, ``"running_mean"``) to arrays. ``config()`` is the JSON the API's ``LayerInfo``
shows and :func:`layer_from_spec` reads back; types and config keys are PyTorch's module and
argument names, lower-cased.
"""

from __future__ import annotations

import numpy as np

from engine.layers.activation import ELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from engine.layers.base import Layer, Shape
from engine.layers.branches import SoftmaxDim, SumDim
from engine.layers.conv import Conv2D, Dense
from engine.layers.gates import GELU, SELU, Erf, Hardsigmoid, Hardswish, Hardtanh, PReLU, SiLU
from engine.layers.merge import Add, Concat, Div, MatMul, Mul, Sub
from engine.layers.norm import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    LayerNorm2d,
    LocalResponseNorm,
    MeanVarianceNormalization,
)
from engine.layers.pool import (
    AvgPool2D,
    GlobalAvgPool,
    GlobalMaxPool,
    MaxPool2D,
    MinPool2D,
    _GlobalPool,
    _Pool2D,
)
from engine.layers.resize import Resize2d
from engine.layers.shape import (
    Dropout,
    Flatten,
    Identity,
    Narrow,
    Pad,
    Reshape,
    Squeeze,
    Transpose,
    Unsqueeze,
)

__all__ = [
    "LAYER_TYPES",
    "Add",
    "AvgPool2D",
    "BatchNorm1d",
    "BatchNorm2d",
    "Concat",
    "Conv2D",
    "Dense",
    "Div",
    "Dropout",
    "ELU",
    "Flatten",
    "GlobalAvgPool",
    "GlobalMaxPool",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "Identity",
    "Layer",
    "LeakyReLU",
    "LocalResponseNorm",
    "LogSoftmax",
    "MaxPool2D",
    "MeanVarianceNormalization",
    "GroupNorm",
    "LayerNorm2d",
    "MinPool2D",
    "Mul",
    "MatMul",
    "Narrow",
    "Resize2d",
    "SoftmaxDim",
    "SumDim",
    "PReLU",
    "Pad",
    "ReLU",
    "Reshape",
    "SELU",
    "Shape",
    "SiLU",
    "GELU",
    "Erf",
    "Sigmoid",
    "Softmax",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Unsqueeze",
    "_GlobalPool",
    "_Pool2D",
    "layer_from_spec",
]

LAYER_TYPES: dict[str, type[Layer]] = {
    cls.type: cls
    for cls in (
        Conv2D,
        ReLU,
        MaxPool2D,
        AvgPool2D,
        MinPool2D,
        GlobalAvgPool,
        GlobalMaxPool,
        Flatten,
        Dense,
        Softmax,
        BatchNorm2d,
        BatchNorm1d,
        Dropout,
        LeakyReLU,
        ELU,
        Sigmoid,
        Tanh,
        LogSoftmax,
        Add,
        Sub,
        Mul,
        Div,
        Concat,
        Reshape,
        Squeeze,
        Unsqueeze,
        Transpose,
        MeanVarianceNormalization,
        GroupNorm,
        LayerNorm2d,
        Pad,
        Identity,
        Hardtanh,
        Hardsigmoid,
        Hardswish,
        SiLU,
        GELU,
        Erf,
        SELU,
        PReLU,
        LocalResponseNorm,
        Narrow,
        Resize2d,
        SumDim,
        SoftmaxDim,
        MatMul,
    )
}

_SEEDED = (Conv2D, Dense, Dropout)  # layers that draw from the model's generator


def layer_from_spec(spec: dict, rng: np.random.Generator | None = None) -> Layer:
    """Build a layer from ``{"type", "name"?, "config"?}`` (the vocabulary of ``LayerInfo``);
    ``inputs`` is the model's business and ignored here."""
    if not isinstance(spec, dict):
        raise ValueError(f"a layer spec must be an object, got {spec!r}")
    kind = spec.get("type")
    if kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {kind!r}; expected one of {sorted(LAYER_TYPES)}")
    config = spec.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"layer config must be an object, got {config!r}")
    if not all(isinstance(k, str) for k in config):
        raise ValueError(f"layer config keys must be strings, got {list(config)!r}")
    cls = LAYER_TYPES[kind]
    kwargs = {"name": spec.get("name")}
    if cls in _SEEDED:
        kwargs["rng"] = rng
    try:
        return cls(**config, **kwargs)
    except TypeError as e:
        raise ValueError(f"bad config for {kind} layer {spec.get('name')!r}: {e}") from None
