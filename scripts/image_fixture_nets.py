"""The PyTorch nets ``make_image_fixtures.py`` exports: small colour-image classifiers in the
shapes people publish (CIFAR CNNs, MobileNet, ResNet, Inception/SqueezeNet, AlexNet's LRN,
ShuffleNet; AlexNet's LRN is written by hand, as PyTorch exports LocalResponseNorm as
elementwise arithmetic), with random weights — the fixtures test the importer, not accuracy."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def conv_bn(c_in, c_out, k=3, stride=1, groups=1, act=None):
    layers = [
        nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    return nn.Sequential(*layers, *([act] if act is not None else []))


class CifarCNN(nn.Module):
    """The classic CIFAR-10 tutorial net, with batch norm: 3×32×32 → 10."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 16, act=nn.ReLU()),
            nn.MaxPool2d(2),
            conv_bn(16, 32, act=nn.ReLU()),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.LeakyReLU(0.1),
            nn.AvgPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(32 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 10)
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class SqueezeExcite(nn.Module):
    """GlobalAvg (a mean over H, W) → 1×1 conv → ReLU → 1×1 conv → gate → channel scale."""

    def __init__(self, c, r=4, gate=None):
        super().__init__()
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.fc2 = nn.Conv2d(c // r, c, 1)
        self.gate = gate or nn.Hardsigmoid()

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * self.gate(self.fc2(F.relu(self.fc1(s))))


class InvertedResidual(nn.Module):
    """MobileNetV2/V3: 1×1 expand, ReLU6 → 3×3 depthwise, ReLU6 → SE → 1×1 project, + x."""

    def __init__(self, c, expand=2):
        super().__init__()
        h = c * expand
        self.expand = conv_bn(c, h, 1, act=nn.ReLU6())
        self.depthwise = conv_bn(h, h, 3, groups=h, act=nn.ReLU6())
        self.se = SqueezeExcite(h)
        self.project = conv_bn(h, c, 1)

    def forward(self, x):
        return x + self.project(self.se(self.depthwise(self.expand(x))))


class MobileNetBlock(nn.Module):
    """A MobileNetV3-shaped net: HardSwish stem, an inverted residual with SE, SiLU head."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, 2, act=nn.Hardswish())
        self.block = InvertedResidual(16)
        self.se_sigmoid = SqueezeExcite(16, gate=nn.Sigmoid())
        self.head = nn.Sequential(nn.Conv2d(16, 32, 1), nn.SiLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(32, 24), nn.Hardswish(), nn.Linear(24, 10))

    def forward(self, x):
        return self.fc(self.pool(self.head(self.se_sigmoid(self.block(self.stem(x))))))


class BasicBlock(nn.Module):
    """ResNet's basic block; a 1×1 stride-2 projection when the shape changes."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = conv_bn(c_in, c_out, 3, stride, act=nn.ReLU())
        self.conv2 = conv_bn(c_out, c_out, 3)
        self.down = None if stride == 1 and c_in == c_out else conv_bn(c_in, c_out, 1, stride)

    def forward(self, x):
        skip = x if self.down is None else self.down(x)
        return F.relu(self.conv2(self.conv1(x)) + skip)


class ResNetBlocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 16, 3, act=nn.ReLU()), nn.MaxPool2d(3, 2, 1))
        self.layer1 = BasicBlock(16, 16)
        self.layer2 = BasicBlock(16, 32, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layer2(self.layer1(self.stem(x)))), 1))


class Fire(nn.Module):
    """SqueezeNet's fire module: 1×1 squeeze → (1×1 expand ‖ 3×3 expand)."""

    def __init__(self, c_in, s, e):
        super().__init__()
        self.squeeze = nn.Conv2d(c_in, s, 1)
        self.e1 = nn.Conv2d(s, e, 1)
        self.e3 = nn.Conv2d(s, e, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.e1(x)), F.relu(self.e3(x))], 1)


class Inception(nn.Module):
    """GoogLeNet's four branches: 1×1, 1×1→3×3, 1×1→5×5, 3×3 max pool→1×1."""

    def __init__(self, c_in, n):
        super().__init__()
        self.b1 = nn.Conv2d(c_in, n, 1)
        self.b3 = nn.Sequential(nn.Conv2d(c_in, n, 1), nn.ReLU(), nn.Conv2d(n, n, 3, padding=1))
        self.b5 = nn.Sequential(nn.Conv2d(c_in, n, 1), nn.ReLU(), nn.Conv2d(n, n, 5, padding=2))
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(c_in, n, 1))

    def forward(self, x):
        return F.relu(torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1))


class InceptionSqueeze(nn.Module):
    """Fire modules, an Inception block, SqueezeNet's head: a 1×1 conv to the classes, ReLU,
    global average pool, and a Softmax over the (N, 10, 1, 1) tensor (no flatten)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True)
        )
        self.fire = nn.Sequential(Fire(16, 8, 16), Fire(32, 8, 16))
        self.inception = Inception(32, 8)
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(32, 10, 1), nn.ReLU())

    def forward(self, x):
        x = self.pool(self.inception(self.fire(self.stem(x))))
        return torch.softmax(F.adaptive_avg_pool2d(self.head(x), 1), 1)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2's unit: split the channels in two, transform one half, join, shuffle."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.branch = nn.Sequential(
            conv_bn(h, h, 1, act=nn.ReLU()),
            conv_bn(h, h, 3, groups=h),
            conv_bn(h, h, 1, act=nn.ReLU()),
        )

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat([a, self.branch(b)], 1), 2)


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    x = x.reshape(n, groups, c // groups, h, w).transpose(1, 2)
    return x.reshape(n, c, h, w)


class ShuffleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, 2, act=nn.ReLU())
        self.units = nn.Sequential(ShuffleUnit(16), ShuffleUnit(16))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.units(self.stem(x))
        x = x[:, :, 1:, :]  # a Slice on an activation
        return self.fc(x.mean((2, 3)))


class SeluPRelu(nn.Module):
    """SELU and PReLU (per channel and shared), ELU, Gemm without transB (a matmul by W.T)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 2, 1)
        self.conv2 = nn.Conv2d(8, 8, 3, 2, 1)
        self.prelu = nn.PReLU(8)
        self.shared = nn.PReLU()
        self.w = nn.Parameter(torch.randn(8 * 8 * 8, 10) * 0.05)

    def forward(self, x):
        x = F.elu(self.prelu(F.selu(self.conv1(x))))
        x = self.shared(self.conv2(x))
        return torch.flatten(x, 1) @ self.w


class TwoOutputs(nn.Module):
    """Returns (features, scores): an intermediate tensor exported beside the class scores."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten()
        )
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        features = self.body(x)
        return features, self.fc(features)


class Unbatched(nn.Module):
    """Called on one image (3, 32, 32) with no batch axis: PyTorch's convs accept it, and the
    dynamo exporter writes the Unsqueeze/Squeeze they do inside."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))  # (8, 8, 8)
        return self.fc(torch.flatten(x))  # (10,)


class FeaturesBN1d(nn.Module):
    """A BatchNorm1d on features given as (N, C, 1): Unsqueeze → BatchNormalization on
    (N, C, 1) → Squeeze, as some exporters write a BatchNorm1d."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten()
        )
        self.bn = nn.BatchNorm1d(32)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(F.relu(self.bn(self.body(x).unsqueeze(2)).squeeze(2)))


class PadModes(nn.Module):
    """Reflection, replication and zero padding as separate Pad nodes before convs and pools;
    a conv with ``padding_mode='reflect'``; AveragePool with ceil_mode and count_include_pad."""

    def __init__(self):
        super().__init__()
        self.reflect = nn.ReflectionPad2d((1, 2, 2, 1))
        self.conv1 = nn.Conv2d(3, 8, 3)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, padding_mode="reflect")
        self.edge = nn.ReplicationPad2d(1)
        self.pool = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=True)
        self.zero = nn.ZeroPad2d((0, 1, 0, 1))
        self.pool2 = nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False)
        self.fc = nn.Linear(8 * 10 * 10, 10)

    def forward(self, x):
        x = F.relu(self.conv1(self.reflect(x)))
        x = self.pool(self.edge(F.relu(self.conv2(x))))
        return self.fc(torch.flatten(self.pool2(self.zero(x)), 1))
