"""Layer specs and batch-norm statistics for the tests of a convolution's fused batch norm and
clamp (tests/engine/test_conv_epilogue.py, tests/engine/test_prepared_convs.py)."""

from __future__ import annotations

import numpy as np

from engine.model import Model


def conv(name, out, k=3, **config):
    return {
        "type": "conv2d",
        "name": name,
        "config": {"out_channels": out, "kernel_size": k, "padding": k // 2, **config},
    }


def bn(name):
    return {"type": "batchnorm2d", "name": name}


RELU6 = {"type": "hardtanh", "config": {"min_val": 0.0, "max_val": 6.0}}


def with_statistics(model: Model, seed: int = 0, far: bool = False) -> Model:
    """Random batch-norm parameters and running statistics (a mean far from 0 if ``far``)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.type == "batchnorm2d":
            C = layer.num_features
            layer.params["weight"][:] = rng.uniform(0.5, 2.0, C)
            layer.params["bias"][:] = rng.uniform(-0.5, 0.5, C)
            layer.buffers["running_mean"][:] = rng.uniform(-0.3, 0.3, C) + (30.0 if far else 0)
            layer.buffers["running_var"][:] = rng.uniform(0.2, 2.0, C)
    return model
