"""Architectures shared by the tests: small enough to build in milliseconds."""


def conv(name: str, out_channels: int, kernel_size: int, **config) -> dict:
    """A ``conv2d`` layer spec; ``config`` adds stride, padding, groups..., and ``inputs`` (a
    graph's branch) goes beside the config, where the spec wants it."""
    inputs = config.pop("inputs", None)
    spec = {"type": "conv2d", "name": name}
    spec["config"] = {"out_channels": out_channels, "kernel_size": kernel_size, **config}
    return spec if inputs is None else {**spec, "inputs": inputs}


def two_convs(first: int = 4, second: int = 6, classes: int = 10) -> list[dict]:
    """conv3×3(first, pad 1) → relu → maxpool → conv3×3(second) → relu → flatten →
    dense(classes) → softmax: every kind of layer the explorer draws, two convs so a conv's
    input can itself be a feature map."""
    return [
        conv("conv1", first, 3, padding=1),
        {"type": "relu", "name": "relu1"},
        {"type": "maxpool2d", "name": "pool1", "config": {"kernel_size": 2}},
        conv("conv2", second, 3),
        {"type": "relu", "name": "relu2"},
        {"type": "flatten", "name": "flatten"},
        {"type": "dense", "name": "fc1", "config": {"out_features": classes}},
        {"type": "softmax", "name": "softmax"},
    ]


TWO_CONVS = two_convs()

# a residual block with batch norm, a 1×1 side branch joined by concat, pooling and dropout
# (the ONNX export and re-export tests)
RESIDUAL = [
    conv("stem", 8, 3, padding=1),
    {"type": "batchnorm2d", "name": "bn1"},
    {"type": "relu", "name": "act1"},
    conv("conv2", 8, 3, padding=1),
    {"type": "batchnorm2d", "name": "bn2"},
    {"type": "add", "name": "skip", "inputs": ["bn2", "act1"]},
    {"type": "relu", "name": "act2"},
    conv("side", 4, 1, inputs=["act1"]),
    {"type": "concat", "name": "join", "config": {"dim": 1}, "inputs": ["act2", "side"]},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "dropout", "config": {"p": 0.25}},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 10}},
]
