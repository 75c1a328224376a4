"""A ConvNeXt-Tiny-shaped network, built in plain ``torch.nn`` as torchvision lays it out (no
torchvision): ``bench/bench_imagenet.py --nets convnext`` imports its TorchScript export and
checks it against onnxruntime.

Liu et al. 2022: a 4×4/4 stem with a channel LayerNorm, four stages of blocks (96, 192, 384,
768 channels; 3, 3, 9, 3 blocks) with a channel LayerNorm and a 2×2/2 convolution between
stages, global average pooling, a channel LayerNorm and a 1000-way dense layer. Each block: a
7×7 depthwise convolution, then channels-last LayerNorm, Linear to 4×, GELU, Linear back, a
per-channel layer scale, and the residual add. Random weights (the norms' and layer scales'
drawn away from 1 and 0, so that they matter).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class LayerNorm2d(nn.LayerNorm):
    """torchvision's: a LayerNorm over the channels of an N×C×H×W map."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Permute(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)


class Block(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, 7, padding=3, groups=dim),
            Permute([0, 2, 3, 1]),
            nn.LayerNorm(dim, eps=1e-6),
            nn.Linear(dim, 4 * dim),
            nn.GELU(),
            nn.Linear(4 * dim, dim),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(0.5 + torch.rand(dim, 1, 1))

    def forward(self, x):
        return self.layer_scale * self.block(x) + x


def convnext(dims=(96, 192, 384, 768), depths=(3, 3, 9, 3), classes=1000) -> nn.Module:
    layers = [nn.Sequential(nn.Conv2d(3, dims[0], 4, 4), LayerNorm2d(dims[0], eps=1e-6))]
    for i, (dim, depth) in enumerate(zip(dims, depths, strict=True)):
        layers.append(nn.Sequential(*[Block(dim) for _ in range(depth)]))
        if i + 1 < len(dims):
            layers.append(
                nn.Sequential(LayerNorm2d(dim, eps=1e-6), nn.Conv2d(dim, dims[i + 1], 2, 2))
            )
    net = nn.Sequential(
        *layers,
        nn.AdaptiveAvgPool2d(1),
        LayerNorm2d(dims[-1], eps=1e-6),
        nn.Flatten(1),
        nn.Linear(dims[-1], classes),
    )
    for m in net.modules():
        if isinstance(m, nn.LayerNorm):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.3, 0.3)
    return net
