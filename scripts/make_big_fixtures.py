"""Build the two small deep ONNX models the explorer's big-network overview is tested on
(tests/fixtures/onnx/big): ResNet-18's and MobileNetV2's layouts at a fraction of their widths
and on 32×32 colour input, random weights, so the repository stays light.

Run with a Python that has PyTorch and torchvision:

    python scripts/make_big_fixtures.py

- ``resnet18_narrow.onnx``: ``bench/torch_resnet18.py``'s ResNet-18 (eight basic blocks, three
  1×1 projection shortcuts) with stage widths 4, 8, 8, 16; 48 layers once the importer folds
  batch norm into the convolutions.
- ``mobilenetv2_narrow.onnx``: torchvision's MobileNetV2 at width 0.1 (channels 8-32, ten
  residual inverted-residual blocks), its 1,280-channel head cut to 32; about 100 layers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from make_onnx_fixtures import export
from torch import nn
from torchvision.models import mobilenet_v2
from torchvision.ops.misc import Conv2dNormActivation

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.torch_resnet18 import resnet18  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "onnx" / "big"


def mobilenet_v2_narrow(classes: int = 10) -> nn.Module:
    """MobileNetV2 at width 0.1, the 1×1 head conv to 32 channels instead of 1,280."""
    net = mobilenet_v2(width_mult=0.1, num_classes=classes)
    c_in = net.features[-1][0].in_channels
    net.features[-1] = Conv2dNormActivation(c_in, 32, kernel_size=1, activation_layer=nn.ReLU6)
    net.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, classes))
    return net


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    x = torch.rand(1, 3, 32, 32)
    torch.manual_seed(0)
    export(resnet18(10, (4, 8, 8, 16)).eval(), x, OUT / "resnet18_narrow.onnx", 17)
    torch.manual_seed(1)
    export(mobilenet_v2_narrow().eval(), x, OUT / "mobilenetv2_narrow.onnx", 17)
    for path in sorted(OUT.glob("*.onnx")):
        print(path.relative_to(ROOT), path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
