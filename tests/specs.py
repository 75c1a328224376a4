"""Architectures shared by the tests: small enough to build in milliseconds."""

# conv(pad 1) → relu → maxpool → conv → relu → flatten → dense → softmax: every kind of layer
# the explorer draws, two convs so a conv's input can itself be a feature map.
TWO_CONVS = [
    {
        "type": "conv2d",
        "name": "conv1",
        "config": {"out_channels": 4, "kernel_size": 3, "padding": 1},
    },
    {"type": "relu", "name": "relu1"},
    {"type": "maxpool2d", "name": "pool1", "config": {"kernel_size": 2}},
    {"type": "conv2d", "name": "conv2", "config": {"out_channels": 6, "kernel_size": 3}},
    {"type": "relu", "name": "relu2"},
    {"type": "flatten", "name": "flatten"},
    {"type": "dense", "name": "fc1", "config": {"out_features": 10}},
    {"type": "softmax", "name": "softmax"},
]

# a residual block with batch norm, a 1×1 side branch joined by concat, pooling and dropout
# (the ONNX export and re-export tests)
RESIDUAL = [
    {"type": "conv2d", "name": "stem", "config": {"out_channels": 8, "kernel_size": 3,
     "padding": 1}},
    {"type": "batchnorm2d", "name": "bn1"},
    {"type": "relu", "name": "act1"},
    {"type": "conv2d", "name": "conv2", "config": {"out_channels": 8, "kernel_size": 3,
     "padding": 1}},
    {"type": "batchnorm2d", "name": "bn2"},
    {"type": "add", "name": "skip", "inputs": ["bn2", "act1"]},
    {"type": "relu", "name": "act2"},
    {"type": "conv2d", "name": "side", "config": {"out_channels": 4, "kernel_size": 1},
     "inputs": ["act1"]},
    {"type": "concat", "name": "join", "config": {"dim": 1}, "inputs": ["act2", "side"]},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "dropout", "config": {"p": 0.25}},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 10}},
]  # fmt: skip
