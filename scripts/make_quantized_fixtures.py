"""Build the int8-quantized ONNX models the tests read: ``tests/fixtures/onnx/quantized``.

Run with the PyTorch venv (the test suite itself needs only ``onnx`` and ``onnxruntime``):

    python scripts/make_quantized_fixtures.py --datasets ../shared/datasets

(a venv with torch 2.13 CPU, onnx and onnxruntime)

Two small float CNNs are trained on CPU (fixed seeds, a few minutes in all), exported with
PyTorch's TorchScript exporter at opset 13, and quantized the ways onnxruntime's quantizer does:

- ``mnist``: a grey 1×28×28 digit CNN (conv, ReLU, max pool, linear);
- ``cifar``: a colour 3×32×32 CNN with BatchNorm, average pooling, a concat of two branches,
  a residual add, global average pooling and a linear head.

Each becomes ``<net>_qdq.onnx`` (``quantize_static``, QuantizeLinear/DequantizeLinear pairs;
per-tensor for mnist, per-channel with ``axis`` for cifar), ``<net>_qop.onnx`` (``quantize_static``
in QOperator format: QLinearConv, QLinearAdd, QLinearGlobalAveragePool, ...) and
``<net>_dynamic.onnx`` (``quantize_dynamic``: DynamicQuantizeLinear, ConvInteger, MatMulInteger).
Static quantization is calibrated on 64 real training images. The script also copies 15 CIFAR-10
test photos per class to ``static/samples/cifar10/`` (the JPEG bytes as they are in the zip).
``manifest.json`` records each file's input convention and how it was made.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import onnx
import torch
from make_onnx_fixtures import TOTENSOR, export, read_idx, train
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from PIL import Image
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "onnx" / "quantized"
SAMPLE = ROOT / "static" / "samples" / "cifar10"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MNIST = {"invert": False, "scale": 1.0, "mean": [0.1307], "std": [0.3081]}
CIFAR = {
    "channels": "rgb",
    "scale": 1.0,
    "mean": [0.4914, 0.4822, 0.4465],
    "std": [0.247, 0.243, 0.261],
}
PER_CLASS = 15  # sample photos per class: 150 × ~0.9 KB


class MnistNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 28 → 14
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # 14 → 7
        return self.fc(torch.flatten(x, 1))


def conv_bn(c_in: int, c_out: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(c_out)
    )


class CifarNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16)
        self.branch1 = conv_bn(16, 16, 1)
        self.branch3 = conv_bn(16, 16, 3)
        self.res_a = conv_bn(32, 32)
        self.res_b = conv_bn(32, 32)
        self.down = conv_bn(32, 64, stride=2)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.stem(x)), 2)  # 32 → 16
        x = torch.cat([F.relu(self.branch1(x)), F.relu(self.branch3(x))], dim=1)  # 32 channels
        x = F.relu(x + self.res_b(F.relu(self.res_a(x))))  # residual add
        x = F.relu(self.down(x))  # 16 → 8
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))  # GlobalAveragePool


# -- data -------------------------------------------------------------------------------------


def normalise(x: np.ndarray, conv: dict) -> np.ndarray:
    """(N, C, H, W) pixels in [0, 1] → network input under ``conv``."""
    mean = np.asarray(conv["mean"], np.float32)[:, None, None]
    std = np.asarray(conv["std"], np.float32)[:, None, None]
    return ((x * conv["scale"] - mean) / std).astype(np.float32)


def mnist(datasets: Path, split: str, n: int):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(datasets / "mnist" / f"{prefix}-images-idx3-ubyte.gz")[:n]
    y = read_idx(datasets / "mnist" / f"{prefix}-labels-idx1-ubyte.gz")[:n]
    return normalise(x[:, None].astype(np.float32) / 255.0, MNIST), y.astype(np.int64)


def cifar(datasets: Path, split: str, per_class: int, start: int = 0):
    """``per_class`` photos of each class as (N, 3, 32, 32) in [0, 1], labels, and JPEG bytes."""
    xs, ys, raw = [], [], []
    with zipfile.ZipFile(datasets / "cifar10" / "cifar10-jpeg.zip") as z:
        for label, name in enumerate(CLASSES):
            for i in range(start, start + per_class):
                data = z.read(f"{split}/{name}/{i:04d}.jpg")
                img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float32)
                xs.append(img.transpose(2, 0, 1) / 255.0)  # (32, 32, 3) → (3, 32, 32)
                ys.append(label)
                raw.append((f"{name}_{i:04d}.jpg", data))
    return np.stack(xs), np.asarray(ys, np.int64), raw


class Reader(CalibrationDataReader):
    def __init__(self, x: np.ndarray):
        self.batches = iter([{"input": x[i : i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self.batches, None)


# -- quantizing -------------------------------------------------------------------------------


def quantize_all(float_path: Path, stem: str, calib: np.ndarray, per_channel: bool) -> list[str]:
    """Write ``<stem>_qdq``, ``<stem>_qop`` and ``<stem>_dynamic.onnx``; return their names."""
    pre = float_path.with_suffix(".pre.onnx")
    quant_pre_process(str(float_path), str(pre), skip_symbolic_shape=True)
    names = []
    for fmt, tag in ((QuantFormat.QDQ, "qdq"), (QuantFormat.QOperator, "qop")):
        path = OUT / f"{stem}_{tag}.onnx"
        quantize_static(
            str(pre),
            str(path),
            Reader(calib),
            quant_format=fmt,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        names.append(path.name)
    path = OUT / f"{stem}_dynamic.onnx"
    quantize_dynamic(str(pre), str(path), weight_type=QuantType.QUInt8, per_channel=per_channel)
    names.append(path.name)
    for name in names:
        onnx.checker.check_model(onnx.load(str(OUT / name)))
    return names


def accuracy(net: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        return float((net(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--cifar-train", type=int, default=2000, help="training photos per class")
    args = ap.parse_args()
    datasets = Path(args.datasets)
    torch.set_num_threads(1)  # on a shared machine two threads spin-wait for each other
    OUT.mkdir(parents=True, exist_ok=True)
    SAMPLE.mkdir(parents=True, exist_ok=True)
    manifest = {}
    tmp = Path(tempfile.mkdtemp())

    x, y = mnist(datasets, "train", 20000)
    torch.manual_seed(20)
    net = train(MnistNet(), (torch.from_numpy(x), torch.from_numpy(y)), TOTENSOR, 20, epochs=2)
    xt, yt = mnist(datasets, "test", 1000)
    print(f"  mnist: float test accuracy on 1000 digits {accuracy(net, xt, yt):.3f}")
    export(net, torch.zeros(1, 1, 28, 28), tmp / "mnist.onnx", 13, dynamic_batch=True)
    for name in quantize_all(tmp / "mnist.onnx", "mnist", x[-64:], per_channel=False):
        manifest[name] = {"input": MNIST, "dataset": "mnist"}

    x, y, _ = cifar(datasets, "train", args.cifar_train)
    x = normalise(x, CIFAR)
    torch.manual_seed(21)
    net = train(CifarNet(), (torch.from_numpy(x), torch.from_numpy(y)), TOTENSOR, 21, epochs=4)
    xt, yt, raw = cifar(datasets, "test", PER_CLASS)
    print(
        f"  cifar: float test accuracy on the sample {accuracy(net, normalise(xt, CIFAR), yt):.3f}"
    )
    export(net, torch.zeros(1, 3, 32, 32), tmp / "cifar.onnx", 13, dynamic_batch=True)
    calib = x[np.random.default_rng(0).choice(len(x), 64, replace=False)]
    for name in quantize_all(tmp / "cifar.onnx", "cifar", calib, per_channel=True):
        manifest[name] = {"input": CIFAR, "dataset": "cifar10"}
    for name, data in raw:
        (SAMPLE / name).write_bytes(data)

    for name, entry in manifest.items():
        model = onnx.load(str(OUT / name))
        ops = sorted({f"{n.domain + '.' if n.domain else ''}{n.op_type}" for n in model.graph.node})
        entry["bytes"] = (OUT / name).stat().st_size
        entry["ops"] = ops
        print(f"  {name}: {entry['bytes']:,} bytes; {', '.join(ops)}")
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
