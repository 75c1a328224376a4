"""ResNet-18 and MobileNetV2 shapes at 224×224, batch 1: the engine against PyTorch and onnxruntime.

    python bench/bench_imagenet.py                  # both nets; run with a Python that has torch
    python bench/bench_imagenet.py --nets resnet18 --layers    # also: the engine's time per layer
    python bench/bench_imagenet.py --engine-root DIR   # another checkout's engine (before/after)
    python bench/bench_imagenet.py --nets convnext     # a ConvNeXt-Tiny shape: import and time

Run it with a Python that has torch, onnx and onnxruntime (the benchmark venv); the engine is
imported from this checkout. Each net is built in PyTorch with seeded random weights (and
random BatchNorm running statistics), exported with the TorchScript exporter (opset 17,
``training=PRESERVE``, so the BatchNorm nodes stay, as in ``bench/torch_cnn64.py``), imported
with ``engine.onnx_import`` and checked against onnxruntime. Then the three are timed on one
224×224 image, in alternating blocks (a change of load hits all three), on the same thread
count: the engine's ``forward(x, return_all=True)`` — every layer's output kept, what the
explorer asks for — against PyTorch's ``net(x)`` under ``inference_mode`` and onnxruntime's
session. Peak memory is the engine forward's tracemalloc peak (NumPy reports its arrays there)
against the bytes of the activations it returns.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_engine import (  # noqa: E402
    add_engine_flags,
    blas_pools,
    check_engine_flags,
    describe,
    optional,
)
from bench.timing import timed  # noqa: E402

TARGETS = {"resnet18": 1.0, "mobilenetv2": 1.5}  # engine time ≤ this × PyTorch's
MEMORY_TARGET = 2.0  # peak ≤ this × the activations' bytes
LIMITS = {"max_bytes": 256 * 2**20, "max_total_elements": 64_000_000}  # import: room for the nets


def resnet18(nn):
    """torchvision's ResNet-18 layout, as ``bench/torch_resnet18.py`` builds it."""
    from bench.torch_resnet18 import resnet18 as build_resnet18

    return build_resnet18()


def mobilenet_v2(nn):
    """torchvision's MobileNetV2 layout: inverted residuals of 1×1 expand, 3×3 depthwise, 1×1."""

    def cbr(c_in, c_out, k=1, stride=1, groups=1):
        return [
            nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),  # ReLU6 in torchvision: the importer takes Clip(min=0) only; same cost
        ]

    class Inverted(nn.Module):
        def __init__(self, c_in, c_out, stride, t):
            super().__init__()
            hidden = c_in * t
            layers = cbr(c_in, hidden) if t != 1 else []
            layers += cbr(hidden, hidden, 3, stride, groups=hidden)
            layers += [nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
            self.body = nn.Sequential(*layers)
            self.skip = stride == 1 and c_in == c_out

        def forward(self, x):
            return x + self.body(x) if self.skip else self.body(x)

    blocks, c_in = [], 32
    for t, c, n, s in (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ):
        for i in range(n):
            blocks.append(Inverted(c_in, c, s if i == 0 else 1, t))
            c_in = c
    return nn.Sequential(
        *cbr(3, 32, 3, 2),
        *blocks,
        *cbr(320, 1280),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(1280, 1000),
    )


def convnext(nn):
    """A ConvNeXt-Tiny shape (``bench/torch_convnext.py``): no speed target in issue 23; run
    for its import (channels-last LayerNorm, Linear, GELU) against onnxruntime and its time."""
    from bench.torch_convnext import convnext as build_convnext

    return build_convnext()


NETS = {"resnet18": resnet18, "mobilenetv2": mobilenet_v2, "convnext": convnext}
DEFAULT_NETS = ["resnet18", "mobilenetv2"]  # the targets


def build(torch, name: str, seed: int):
    """The net with seeded weights and random BatchNorm statistics, in eval mode."""
    torch.manual_seed(seed)
    net = NETS[name](torch.nn)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    return net.eval()


def export(torch, net, x) -> bytes:
    buf = io.BytesIO()
    torch.onnx.export(
        net,
        x,
        buf,
        opset_version=17,
        input_names=["input"],
        output_names=["logits"],
        dynamo=False,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
    )
    return buf.getvalue()


def peak_memory(model, x) -> tuple[int, int]:
    """(tracemalloc peak of one engine forward with every output kept, the outputs' bytes)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    outs = model.forward(x, return_all=True)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, sum(o.nbytes for o in outs)


def layer_times(model, x, repeats: int) -> list[tuple[str, str, float]]:
    """Median ms of each engine layer's forward, inputs as the whole forward gives them."""
    outs = model.forward(x, return_all=True)
    rows = []
    for i, layer in enumerate(model.layers):
        args = [x if j < 0 else outs[j] for j in model.inputs[i]]
        t = timed(lambda layer=layer, args=args: layer.forward(*args), repeats).wall
        kind = layer.type + (" depthwise" if getattr(layer, "groups", 1) > 1 else "")
        rows.append((layer.name, kind, 1000 * statistics.median(t)))
    return rows


def run_net(args, name, torch, ort, import_onnx, limits):
    net = build(torch, name, args.seed)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((1, 3, 224, 224), dtype=np.float32)
    data = export(torch, net, torch.from_numpy(x))
    model = import_onnx(data, name=name, limits=limits)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"input": x})[0]
    err = float(np.abs(model.forward(x) - ref).max())
    print(
        f"\n{name}: {len(model.layers)} engine layers, {model.num_params:,} parameters; "
        f"engine vs onnxruntime: max |difference| {err:.1e} (logits up to {np.abs(ref).max():.1f})"
    )
    tx = torch.from_numpy(x)

    def torch_forward():
        with torch.inference_mode():
            return net(tx)

    contenders = {
        "engine": lambda: model.forward(x, return_all=True),
        "engine logits": lambda: model.forward(x),
        "torch": torch_forward,
        "onnxruntime": lambda: sess.run(None, {"input": x}),
    }
    times = {k: [] for k in contenders}
    for fn in contenders.values():
        timed(fn, 3)  # warm up
    for _ in range(args.blocks):
        for k, fn in contenders.items():
            times[k] += timed(fn, max(1, args.runs // args.blocks)).wall
    ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
    ratio = ms["engine"] / ms["torch"]
    print(
        f"  batch-1 forward, median of {len(times['engine'])}: engine {ms['engine']:.1f} ms "
        f"(every layer's output kept), {ms['engine logits']:.1f} ms (logits only, as PyTorch's), "
        f"PyTorch {ms['torch']:.1f} ms, onnxruntime {ms['onnxruntime']:.1f} ms"
    )
    same_work = ms["engine logits"] / ms["torch"]  # what PyTorch's net(x) computes and keeps
    target = TARGETS.get(name)
    for what, r in (("engine", ratio), ("logits only", same_work)):
        verdict = (
            "no target"
            if target is None
            else f"target <= {target}x: " + ("met" if r <= target else "NOT met")
        )
        print(f"  {what} / PyTorch {r:.2f}x ({verdict})")
    print(f"  engine / onnxruntime {ms['engine'] / ms['onnxruntime']:.2f}x")
    peak, acts = peak_memory(model, x)
    verdict = "met" if peak <= MEMORY_TARGET * acts else "NOT met"
    print(
        f"  engine peak memory {peak / 2**20:.1f} MiB for {acts / 2**20:.1f} MiB of activations: "
        f"{peak / acts:.2f}x (target <= {MEMORY_TARGET}x: {verdict})"
    )
    if args.layers:
        rows = layer_times(model, x, max(3, args.runs // 4))
        total = sum(r[2] for r in rows)
        print(f"  engine forward by layer type (sum of layer medians {total:.1f} ms):")
        by_type: dict[str, float] = {}
        for _, kind, t in rows:
            by_type[kind] = by_type.get(kind, 0.0) + t
        for kind, t in sorted(by_type.items(), key=lambda kv: -kv[1]):
            print(f"    {kind:18}{t:8.2f} ms {100 * t / total:5.1f} %")
        print("  slowest layers:")
        for lname, kind, t in sorted(rows, key=lambda r: -r[2])[:8]:
            print(f"    {lname:28}{kind:18}{t:8.2f} ms")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nets", nargs="+", choices=sorted(NETS), default=DEFAULT_NETS)
    p.add_argument("--runs", type=int, default=60, help="timed forwards per contender")
    p.add_argument("--blocks", type=int, default=6, help="alternating blocks")
    add_engine_flags(p, threads=2)
    args = p.parse_args(argv)
    check_engine_flags(p, args)
    sys.path.insert(0, str(args.engine_root.resolve()))  # before this checkout: its engine wins
    import onnxruntime as ort
    import torch

    from engine.onnx_import import import_onnx
    from engine.onnx_import.limits import Limits

    torch.set_num_threads(args.threads)
    tpc, pools = blas_pools()
    limiter = tpc.threadpool_limits(limits=args.threads, user_api="blas")
    memory = optional("engine.memory", args.engine_root)
    print(f"{', '.join(args.nets)} shapes, 224×224, batch 1, float32")
    for line in describe(np, torch, args.threads, pools, memory, args.engine_root):
        print("  " + line)
    print(f"  onnxruntime {ort.__version__}, {args.threads} intra-op threads")
    limits = Limits(**LIMITS)
    with limiter:
        for name in args.nets:
            run_net(args, name, torch, ort, import_onnx, limits)

    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
