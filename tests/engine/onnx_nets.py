"""Small engine models that between them hold every layer type, for the ONNX export tests."""

from __future__ import annotations

import numpy as np

from engine.model import Model

# Convolution and pooling in their less usual settings, LRN, clamps and PReLU, two global pools
# joined by an add, batch norm in both forms, SELU, a per-channel constant, a log-softmax head.
FEATURES = [
    {"type": "conv2d", "name": "dilated", "config": {"out_channels": 6, "kernel_size": 3,
     "stride": 2, "padding": 2, "dilation": 2}},
    {"type": "batchnorm2d", "name": "bn"},
    {"type": "localresponsenorm", "name": "lrn", "config": {"size": 3, "alpha": 0.05,
     "beta": 0.75, "k": 1.5}},
    {"type": "leakyrelu", "config": {"negative_slope": 0.1}},
    {"type": "maxpool2d", "config": {"kernel_size": 3, "stride": 2, "padding": 1,
     "ceil_mode": True}},
    {"type": "conv2d", "name": "grouped", "config": {"out_channels": 6, "kernel_size": 3,
     "padding": 1, "groups": 3}},
    {"type": "conv2d", "name": "depthwise", "config": {"out_channels": 6, "kernel_size": [3, 1],
     "padding": [1, 0], "groups": 6}},
    {"type": "elu", "config": {"alpha": 0.7}},
    {"type": "hardtanh", "name": "relu6", "config": {"min_val": 0.0, "max_val": 0.6}},
    {"type": "hardtanh", "name": "ceiling", "config": {"min_val": None, "max_val": 0.5}},
    {"type": "prelu", "name": "prelu", "config": {"num_parameters": 6}},
    {"type": "avgpool2d", "name": "avg_excl", "config": {"kernel_size": 3, "stride": 2,
     "padding": 1, "ceil_mode": True, "count_include_pad": False}},
    {"type": "avgpool2d", "name": "avg_incl", "config": {"kernel_size": 2, "stride": 1,
     "padding": 1}},
    {"type": "minpool2d", "name": "minpool", "config": {"kernel_size": 2}},
    {"type": "globalmaxpool", "name": "gmax", "config": {"keepdims": True}},
    {"type": "flatten", "name": "gmax_flat"},
    {"type": "globalavgpool", "name": "gavg", "inputs": ["minpool"]},
    {"type": "add", "name": "pools", "inputs": ["gmax_flat", "gavg"]},
    {"type": "batchnorm1d", "name": "bn1d"},
    {"type": "selu"},
    {"type": "mul", "name": "gain", "config": {"constant_shape": [6]}},
    {"type": "dense", "name": "fc", "config": {"out_features": 10}},
    {"type": "logsoftmax"},
]  # fmt: skip

# Branches and merges: arithmetic of two inputs and with constants (either side), concat,
# padding in every mode, a slice, resizing up (bilinear) and down (nearest), a softmax and
# a sum along the channels, a product of two activations, gated activations, normalisation,
# and every reshaping layer, ending in softmax probabilities.
BRANCHES = [
    {"type": "conv2d", "name": "a", "config": {"out_channels": 4, "kernel_size": 3, "padding": 1}},
    {"type": "relu", "name": "a_relu"},
    {"type": "conv2d", "name": "b", "config": {"out_channels": 4, "kernel_size": 1},
     "inputs": ["input"]},
    {"type": "sigmoid", "name": "gate"},
    {"type": "add", "name": "sum", "inputs": ["a_relu", "gate"]},
    {"type": "sub", "name": "diff", "inputs": ["sum", "b"]},
    {"type": "mul", "name": "gated", "inputs": ["diff", "gate"]},
    {"type": "div", "name": "scaled", "config": {"constant_shape": [4, 1, 1]}},
    {"type": "sub", "name": "flipped", "config": {"constant_shape": [4, 1, 1],
     "constant_first": True}},
    {"type": "add", "name": "shifted", "config": {"constant_shape": [1, 28]}},
    {"type": "div", "name": "ratio", "inputs": ["shifted", "gate"]},
    {"type": "concat", "name": "cat", "config": {"dim": 1}, "inputs": ["ratio", "a_relu"]},
    {"type": "pad", "config": {"pads": [1, 2, 0, 1], "value": 0.5}},
    {"type": "meanvariancenormalization", "name": "mvn", "config": {"axes": [2, 3]}},
    {"type": "tanh"},
    {"type": "pad", "name": "mirror", "config": {"pads": [1, 1, 1, 1], "mode": "reflect"}},
    {"type": "pad", "name": "edge", "config": {"pads": [0, 1, 2, 0], "mode": "replicate"}},
    {"type": "narrow", "config": {"dim": 3, "start": 1, "length": 31}},
    {"type": "resize2d", "name": "up", "config": {"size": [66, 62], "mode": "bilinear",
     "scale": [2.0, 2.0]}},
    {"type": "resize2d", "name": "down", "config": {"size": [33, 31]}},
    {"type": "softmaxdim", "name": "weights", "config": {"dim": 1}},
    {"type": "transpose", "name": "turned", "config": {"perm": [0, 1, 3, 2]}},
    {"type": "matmul", "name": "gram", "inputs": ["weights", "turned"]},
    {"type": "narrow", "name": "gram_cols", "config": {"dim": 3, "start": 1, "length": 31}},
    {"type": "sum", "name": "total", "config": {"dim": 1, "keepdim": True}, "inputs": ["down"]},
    {"type": "mul", "name": "spread", "inputs": ["gram_cols", "total"]},
    {"type": "silu"},
    {"type": "groupnorm", "config": {"num_groups": 2}},
    {"type": "layernorm2d", "config": {"eps": 1e-6}},
    {"type": "gelu"},
    {"type": "gelu", "name": "gelu_tanh", "config": {"approximate": "tanh"}},
    {"type": "erf"},
    {"type": "hardswish"},
    {"type": "hardsigmoid", "config": {"alpha": 0.2, "beta": 0.5}},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "transpose", "config": {"perm": [0, 1, 3, 2]}},
    {"type": "reshape", "config": {"shape": [8, -1]}},
    {"type": "unsqueeze", "config": {"dim": 1}},
    {"type": "squeeze", "config": {"dim": 1}},
    {"type": "flatten", "name": "flat2", "config": {"start_dim": 2}},
    {"type": "flatten", "name": "flat"},
    {"type": "dropout", "config": {"p": 0.3}},
    {"type": "identity"},
    {"type": "dense", "name": "fc", "config": {"out_features": 10}},
    {"type": "softmax"},
]  # fmt: skip


def randomised(specs: list[dict], seed: int) -> Model:
    """``Model.from_spec(specs)`` with every bias, batch-norm statistic and constant random
    (not the zeros and ones they start as), so an export that dropped one would differ."""
    model = Model.from_spec(specs, seed=seed)
    rng = np.random.default_rng(seed)
    for name, a in model.state().items():
        key = name.rsplit(".", 1)[1]
        if key == "running_var" or (key == "constant" and "div" in _type(model, name)):
            a[...] = rng.uniform(0.5, 2.0, a.shape)
        elif key != "weight" or a.ndim == 1:
            a[...] = rng.uniform(-0.5, 0.5, a.shape) + (1.0 if key == "weight" else 0.0)
    return model


def _type(model: Model, state_name: str) -> str:
    layer = state_name.rsplit(".", 1)[0]
    return next(ly.type for ly in model.layers if ly.name == layer)
