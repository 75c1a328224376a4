"""A ResNet-18-shaped network at 224×224, built in plain ``torch.nn`` (no torchvision) and
exported to ONNX (run with a Python that has PyTorch):

    $TORCH_PYTHON bench/torch_resnet18.py OUT.onnx [--repeat 20]

ResNet-18's structure (He et al. 2015, torchvision's layout): a 7×7/2 stem with BatchNorm, ReLU
and a 3×3/2 max-pool, four stages of two basic blocks (64, 128, 256, 512 channels; the first
block of stages 2–4 strides 2 with a 1×1 projection shortcut), global average pooling and a
1000-way dense layer. Random weights (PyTorch's initialisation), eval mode. Exported with the
TorchScript exporter (``dynamo=False``), opset 17. Prints one JSON line: the file and PyTorch's
own forward time at batch 1 on one thread (median and fastest, ms).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.torch_cnn64 import forward_times, parse_args, report  # noqa: E402


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + self.shortcut(x))


def resnet18(classes: int = 1000) -> nn.Module:
    layers = [
        nn.Conv2d(3, 64, 7, 2, 3, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    c = 64
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(c, width, stride), BasicBlock(width, width, 1)]
        c = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes)]
    return nn.Sequential(*layers)


def main() -> None:
    args = parse_args(__doc__, repeat=20)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    net = resnet18().eval()
    x = torch.rand(1, 3, 224, 224)
    torch.onnx.export(
        net, (x,), args.out, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=17, dynamo=False,
    )  # fmt: skip
    report(args.out, forward_times(net, x, args.repeat, warmup=3), digits=1)


if __name__ == "__main__":
    main()
