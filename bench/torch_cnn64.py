"""The benchmark's "imported" model, built and exported by PyTorch (run with the torch venv).

    /work/torch-venv/bin/python bench/torch_cnn64.py OUT.onnx [--repeat 200]

A 64-channel CNN as a user trains one: four 3×3 convolutions (32, 32, 64, 64 channels), each
followed by BatchNorm and ReLU, a 2×2 max-pool after every second, then a 128-unit dense layer
and 10 logits. The weights are PyTorch's initialisation and the BatchNorm running statistics are
made non-trivial (random means and variances), so an importer that dropped or mis-read them would
give different outputs. Exported with the TorchScript exporter, opset 17, a symbolic batch, and
``training=PRESERVE`` so the BatchNorm nodes stay (eval mode would fold them into the convs).
Prints one JSON line: the file, and PyTorch's own forward time at batch 1 (median and fastest,
ms) on one thread, for the engine/PyTorch ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn


class CNN64(nn.Module):
    def __init__(self):
        super().__init__()

        def block(c_in, c_out):
            return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]

        self.features = nn.Sequential(
            *block(1, 32), *block(32, 32), nn.MaxPool2d(2),
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
        )  # fmt: skip
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)
        )

    def forward(self, x):
        return self.head(self.features(x))


def build(seed: int = 0) -> CNN64:
    torch.manual_seed(seed)
    net = CNN64()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.8, 1.2)
                m.bias.uniform_(-0.1, 0.1)
    return net.eval()


def forward_times(net, x, repeat: int, warmup: int) -> list[float]:
    """``repeat`` timings (ms) of ``net(x)`` in inference mode, after ``warmup`` untimed runs."""
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            net(x)
        for _ in range(repeat):
            t = time.perf_counter()
            net(x)
            times.append((time.perf_counter() - t) * 1000)
    return times


def parse_args(doc: str, repeat: int) -> argparse.Namespace:
    """The torch scripts' command line: ``OUT.onnx [--repeat N]`` (timed forwards, default
    ``repeat``)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=repeat)
    return ap.parse_args()


def report(onnx_path: str, times: list[float], digits: int) -> None:
    """Print the one JSON line: the ONNX file, and PyTorch's forward time at batch 1 (median and
    fastest, ms, to ``digits`` decimals)."""
    result = {"onnx": onnx_path, "torch_forward_b1_ms": round(statistics.median(times), digits)}
    print(json.dumps({**result, "torch_forward_b1_min_ms": round(min(times), digits)}))


def main() -> None:
    args = parse_args(__doc__, repeat=200)
    torch.set_num_threads(1)
    net = build()
    x = torch.rand(1, 1, 28, 28)
    torch.onnx.export(
        net, (x,), args.out, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=17,
        training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False, dynamo=False,
    )  # fmt: skip
    report(args.out, forward_times(net, x, args.repeat, warmup=20), digits=3)


if __name__ == "__main__":
    main()
