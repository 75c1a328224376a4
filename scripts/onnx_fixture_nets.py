"""The PyTorch nets ``make_onnx_fixtures.py`` trains and exports (and the twins whose weights
go into its hand-written tf2onnx- and CNTK-style graphs)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

# -- the PyTorch nets -----------------------------------------------------------------------


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class BNDropout(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.drop1 = nn.Dropout(0.25)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.drop2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 7 * 7, 24)
        self.bn3 = nn.BatchNorm1d(24)
        self.fc2 = nn.Linear(24, 10)

    def forward(self, x):
        x = self.drop1(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.fc1(self.drop2(torch.flatten(x, 1)))))
        return self.fc2(x)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(8)
        self.conv_a = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn_a = nn.BatchNorm2d(8)
        self.conv_b = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn_b = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        y = self.bn_b(self.conv_b(F.relu(self.bn_a(self.conv_a(x)))))
        x = torch.clamp(x + y, min=0)  # Clip(min=0): a ReLU by another name
        x = F.max_pool2d(x, 4)
        return self.fc(x.view(x.size(0), -1))  # Shape/Gather/Unsqueeze/Concat → Reshape


class ConcatBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.branch3 = nn.Conv2d(1, 4, 3, padding=1)
        self.branch5 = nn.Conv2d(1, 4, 5, padding=2)
        self.conv = nn.Conv2d(8, 8, 3, stride=2)
        self.fc = nn.Linear(8 * 6 * 6, 10)

    def forward(self, x):
        x = torch.cat([self.branch3(x), self.branch5(x)], dim=1)
        x = F.avg_pool2d(F.leaky_relu(x, 0.1), 2, ceil_mode=True)  # 28 → 14
        x = torch.tanh(self.conv(x))  # 14 → 6
        return self.fc(torch.flatten(x, 1))


class DepthwiseELU(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3)
        self.depthwise = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.grouped = nn.Conv2d(8, 16, 1, groups=2)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.elu(self.conv1(x))  # 26
        x = F.elu(self.depthwise(x), alpha=0.5)  # 13
        x = torch.sigmoid(self.grouped(x))
        x = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)  # 7
        return self.fc(torch.flatten(x, 1))


class SmallLogSoftmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, stride=2)
        self.conv2 = nn.Conv2d(6, 12, 3, stride=2)
        self.fc = nn.Linear(12 * 6 * 6, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)


class PaddedLogOfSoftmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 4, stride=2)
        self.conv2 = nn.Conv2d(6, 12, 3)
        self.fc = nn.Linear(12 * 5 * 5, 10)

    def forward(self, x):
        x = F.pad(x, (1, 0, 1, 0))  # asymmetric: 29×29
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2, ceil_mode=True)  # 13 → 7
        x = torch.relu(self.conv2(x))  # 5
        return torch.log(torch.softmax(self.fc(torch.flatten(x, 1)), dim=1))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x))) + x


class Twin(nn.Module):
    """The net exported twice (TorchScript and dynamo) and once with local functions."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.block = Block(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(self.block(F.relu(self.conv1(x))), 2)  # 14
        x = F.relu(self.conv2(x))  # 6
        x = F.adaptive_avg_pool2d(x, 1)
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


class NoBatch(nn.Module):
    """Takes one image (1, 28, 28) with no batch axis."""

    def __init__(self, core):
        super().__init__()
        self.core = core

    def forward(self, x):
        return self.core(x.unsqueeze(0))


class Flat784(nn.Module):
    """Takes (N, 784) rows."""

    def __init__(self, core):
        super().__init__()
        self.core = core

    def forward(self, x):
        return self.core(x.view(-1, 1, 28, 28))


class KerasTwin(nn.Module):
    """What the tf2onnx graph computes, in NCHW, flattened NHWC as Keras does."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.a = nn.Conv2d(8, 4, 1)
        self.b = nn.Conv2d(8, 4, 3, padding=1)
        self.fc1 = nn.Linear(7 * 7 * 8, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(torch.cat([self.a(x), self.b(x)], 1))
        x = F.max_pool2d(x, 4)  # 7
        x = x.permute(0, 2, 3, 1).flatten(1)
        return self.fc2(F.relu(self.fc1(x)))


class CNTKTwin(nn.Module):
    """What the mnist-8-style graph computes (convs SAME-padded, trained on raw 0-255)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5, padding=2)
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 14
        x = F.max_pool2d(F.relu(self.conv2(x)), 3)  # 4
        return self.fc(torch.flatten(x, 1))
