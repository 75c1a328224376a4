"""A ResNet-18-shaped engine model built from specs (random weights, no file): the size the
cost rule must hold on — 224×224 RGB, about 1.8 G multiply-adds per image."""

from __future__ import annotations

from functools import cache

from engine.model import Model


def _block(prefix: str, source: str, channels: int, stride: int) -> list[dict]:
    """A basic block: conv3×3-BN-ReLU-conv3×3-BN, plus the (projected) shortcut, then ReLU."""
    conv = {"type": "conv2d", "config": {"out_channels": channels, "kernel_size": 3,
            "padding": 1, "bias": False}}  # fmt: skip
    specs = [
        {**conv, "name": f"{prefix}a", "inputs": [source],
         "config": {**conv["config"], "stride": stride}},
        {"type": "batchnorm2d", "name": f"{prefix}bna"},
        {"type": "relu", "name": f"{prefix}ra"},
        {**conv, "name": f"{prefix}b"},
        {"type": "batchnorm2d", "name": f"{prefix}bnb"},
    ]  # fmt: skip
    shortcut = source
    if stride != 1:
        specs += [
            {"type": "conv2d", "name": f"{prefix}down", "inputs": [source],
             "config": {"out_channels": channels, "kernel_size": 1, "stride": stride,
                        "bias": False}},
            {"type": "batchnorm2d", "name": f"{prefix}bnd"},
        ]  # fmt: skip
        shortcut = f"{prefix}bnd"
    return specs + [
        {"type": "add", "name": f"{prefix}add", "inputs": [f"{prefix}bnb", shortcut]},
        {"type": "relu", "name": f"{prefix}out"},
    ]


def resnet18_specs(classes: int = 1000) -> list[dict]:
    specs = [
        {"type": "conv2d", "name": "conv1", "config": {"out_channels": 64, "kernel_size": 7,
         "stride": 2, "padding": 3, "bias": False}},
        {"type": "batchnorm2d", "name": "bn1"},
        {"type": "relu", "name": "relu1"},
        {"type": "maxpool2d", "name": "pool1", "config": {"kernel_size": 3, "stride": 2,
         "padding": 1}},
    ]  # fmt: skip
    source = "pool1"
    for stage, channels in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            specs += _block(f"l{stage}{block}", source, channels, stride)
            source = f"l{stage}{block}out"
    return specs + [
        {"type": "globalavgpool", "name": "gap"},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "fc", "config": {"out_features": classes}},
        {"type": "softmax", "name": "prob"},
    ]


@cache
def resnet18() -> Model:
    """Random weights (seeded); 224×224 RGB input. Built once per process (about a second)."""
    return Model.from_spec(resnet18_specs(), input_shape=(3, 224, 224), seed=0, name="resnet18")
