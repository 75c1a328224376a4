"""Small float64 networks for the explanation tests (shared by tests/engine/test_explain_*.py)."""

from __future__ import annotations

import numpy as np

from engine.model import Model
from tests.specs import conv, two_convs

SMALL = two_convs(3, 4, 5)

# A graph: a residual block (conv → bn → relu → conv → bn, added to the block's input), then a
# branch concatenated with the block's output along the channels.
RESIDUAL = [
    conv("stem", 3, 3, padding=1),
    {"type": "relu", "name": "stem_relu"},
    conv("c1", 3, 3, padding=1),
    {"type": "batchnorm2d", "name": "bn1"},
    {"type": "relu", "name": "r1"},
    conv("c2", 3, 3, padding=1),
    {"type": "batchnorm2d", "name": "bn2"},
    {"type": "add", "name": "skip", "inputs": ["bn2", "stem_relu"]},
    {"type": "relu", "name": "block_out"},
    conv("side", 2, 1, inputs=["stem_relu"]),
    {"type": "concat", "name": "join", "config": {"dim": 1}, "inputs": ["block_out", "side"]},
    {"type": "maxpool2d", "name": "pool", "config": {"kernel_size": 2}},
    {"type": "flatten", "name": "flatten"},
    {"type": "dense", "name": "fc", "config": {"out_features": 4}},
    {"type": "softmax", "name": "softmax"},
]


def float64(model: Model) -> Model:
    """Turn every parameter and buffer of ``model`` into float64 (in place) and return it."""
    for layer in model.layers:
        for store in (layer.params, layer.buffers):
            for k, p in store.items():
                store[k] = p.astype(np.float64)
    return model


def graph_model(seed: int = 0, side: int = 8) -> Model:
    """:data:`RESIDUAL` on (1, side, side), float64, with random biases and batch-norm
    statistics (so evaluation mode is not the identity)."""
    model = float64(Model.from_spec(RESIDUAL, input_shape=(1, side, side), seed=seed))
    rng = np.random.default_rng(seed + 100)
    for layer in model.layers:
        if "bias" in layer.params:
            layer.params["bias"][...] = rng.uniform(-0.1, 0.2, layer.params["bias"].shape)
        if "running_var" in layer.buffers:
            layer.params["weight"][...] = rng.uniform(0.5, 1.5, layer.params["weight"].shape)
            layer.buffers["running_mean"][...] = rng.uniform(-0.2, 0.2, layer.num_features)
            layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, layer.num_features)
    return model


def small_model(seed: int = 0, side: int = 8) -> Model:
    """conv3×3(3) → relu → pool2 → conv3×3(4) → relu → dense(5) → softmax on (1, side, side),
    float64, with non-zero biases so no unit sits exactly at a ReLU kink."""
    model = float64(Model.from_spec(SMALL, input_shape=(1, side, side), seed=seed))
    rng = np.random.default_rng(seed + 100)
    for layer in model.layers:
        if "bias" in layer.params:
            layer.params["bias"][...] = rng.uniform(-0.1, 0.2, layer.params["bias"].shape)
    return model


def random_input(n: int = 1, side: int = 8, seed: int = 1) -> np.ndarray:
    """(n, 1, side, side) float64 in [0, 1]."""
    return np.random.default_rng(seed).random((n, 1, side, side))
