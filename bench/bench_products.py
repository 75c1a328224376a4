"""How close to PyTorch the engine can get on this machine: its matrix products alone.

    python bench/bench_products.py                  # both issue-23 targets, about three minutes
    python bench/bench_products.py --what resnet18  # or cifar10-bn

Every convolution the engine runs is, at its core, OpenBLAS ``sgemm`` through NumPy's
``matmul`` (issue 23 allows NumPy, SciPy's BLAS wrappers and threadpoolctl; no compiled code of
our own). This script times *only those products*, on operands already laid out, against
PyTorch's *whole* forward or training step, in one run, alternating blocks, same threads:

- **ResNet-18, batch 1** (``bench_imagenet.py``'s net): per convolution ``W (F, C·kh·kw) @ P
  (C·kh·kw, Ho·Wo)``. Two figures: the 20 products one after another, as a forward meets them
  (weights from main memory: 47 MB do not stay in cache), and the most favourable bound — each
  product timed on its own, repeated (operands in cache), in its faster orientation (``W @ P``
  or ``Pᵀ @ Wᵀ``), summed.
- **``cifar10-bn``'s training step** (the card's batch, 256, split in two halves of 128 over the
  two cores as the engine's step is): per convolution the forward product and the backward's
  two, ``dW = dY @ Pᵀ`` and ``dP = Wᵀ @ dY`` (not for the first layer), and the dense layers'
  three; one thread on one half, against PyTorch's step of that half on one thread (the per-core
  gap), and both halves on two threads in two Python threads against PyTorch's step of the
  whole batch on two threads.

Whatever else a forward or step does (patch gathers, batch norm, ReLU, pooling, writing every
activation) comes on top, so ``products / PyTorch`` is a floor for ``engine / PyTorch`` with
this BLAS: above 1.0 no arrangement of NumPy calls around these products reaches PyTorch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_engine import blas_pools, describe, optional  # noqa: E402
from bench.timing import timed  # noqa: E402


def operands(rng, shapes):
    """``[(A, B, out)]`` float32 for products ``(M, K) @ (K, N)``."""
    return [
        (
            rng.standard_normal((m, k), dtype=np.float32),
            rng.standard_normal((k, n), dtype=np.float32),
            np.empty((m, n), np.float32),
        )
        for m, k, n in shapes
    ]


def run_all(mats) -> None:
    for a, b, out in mats:
        np.matmul(a, b, out=out)


def alternate(fns: dict, blocks: int, runs: int) -> dict[str, float]:
    """Median ms of each function, timed in alternating blocks after a warm-up."""
    for fn in fns.values():
        timed(fn, 2)
    wall = {k: [] for k in fns}
    for _ in range(blocks):
        for k, fn in fns.items():
            wall[k] += timed(fn, runs).wall
    return {k: 1000 * statistics.median(v) for k, v in wall.items()}


def best_alone(mats, runs: int) -> float:
    """Sum over the products of each one's median ms alone, in its faster orientation."""
    total = 0.0
    for a, b, out in mats:
        bt, at = np.ascontiguousarray(b.T), np.ascontiguousarray(a.T)
        out_t = np.empty((bt.shape[0], at.shape[1]), np.float32)
        straight = timed(lambda a=a, b=b, out=out: np.matmul(a, b, out=out), runs).wall
        turned = timed(lambda bt=bt, at=at, o=out_t: np.matmul(bt, at, out=o), runs).wall
        total += 1000 * min(statistics.median(straight), statistics.median(turned))
    return total


def gflop(shapes) -> float:
    return sum(2 * m * k * n for m, k, n in shapes) / 1e9


def rate(shapes, ms: float) -> str:
    """GFLOP/s of ``shapes``' products done in ``ms``."""
    return f"{gflop(shapes) / ms * 1000:.0f} GFLOP/s"


def resnet18(args, torch, tpc) -> None:
    from bench.bench_imagenet import LIMITS, build, export
    from engine.onnx_import import import_onnx
    from engine.onnx_import.limits import Limits

    net = build(torch, "resnet18", args.seed)
    x = torch.from_numpy(
        np.random.default_rng(args.seed).standard_normal((1, 3, 224, 224), dtype=np.float32)
    )
    shapes = []

    def hook(module, inputs, out):
        f, c, kh, kw = module.weight.shape
        shapes.append((f, c * kh * kw, out.shape[2] * out.shape[3]))

    hooks = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.inference_mode():
        net(x)
    for h in hooks:
        h.remove()
    mats = operands(np.random.default_rng(args.seed), shapes)

    def torch_forward():
        with torch.inference_mode():
            net(x)

    model = import_onnx(export(torch, net, x), name="resnet18", limits=Limits(**LIMITS))
    x_np = x.numpy()
    with tpc.threadpool_limits(limits=2, user_api="blas"):
        torch.set_num_threads(2)
        fns = {
            "products": lambda: run_all(mats),
            "torch": torch_forward,
            "engine": lambda: model.forward(x_np, return_all=True),
        }
        ms = alternate(fns, args.blocks, 8)
        alone = best_alone(mats, 20)
    print(
        f"\nResNet-18, 224×224, batch 1, 2 threads: {len(shapes)} convolution products, "
        f"{gflop(shapes):.2f} GFLOP"
    )
    print(f"  PyTorch's whole forward                       {ms['torch']:7.2f} ms")
    print(
        f"  the engine's, every activation kept           {ms['engine']:7.2f} ms  "
        f"{ms['engine'] / ms['torch']:.2f}x PyTorch"
    )
    print(
        f"  the products one after another                {ms['products']:7.2f} ms  "
        f"{ms['products'] / ms['torch']:.2f}x PyTorch  "
        f"({rate(shapes, ms['products'])})"
    )
    print(
        f"  each alone, in cache, faster orientation, sum {alone:7.2f} ms  "
        f"{alone / ms['torch']:.2f}x PyTorch"
    )


def cifar10_bn(args, torch, tpc) -> None:
    from bench.bench_cifar import RECIPES, contenders
    from engine import cifar10

    recipe = RECIPES["cifar10-bn"]
    batch, half = recipe["batch"], recipe["batch"] // 2
    images, labels = cifar10.load_sample()
    pick = np.random.default_rng(args.seed).integers(0, len(labels), batch)
    x, y = cifar10.to_input(images[pick]), labels[pick].astype(np.int64)
    steps_whole, (model, _) = contenders(np, torch, "cifar10-bn", recipe, x, y, args.seed)
    steps_half, _ = contenders(np, torch, "cifar10-bn", recipe, x[:half], y[:half], args.seed)
    shapes = conv_dense_shapes(model, x[:1], half)
    rng = np.random.default_rng(args.seed)
    halves = [operands(rng, shapes), operands(rng, shapes)]

    def two_halves():
        other = threading.Thread(target=run_all, args=(halves[1],))
        other.start()
        run_all(halves[0])
        other.join()

    print(
        f"\ncifar10-bn training step, batch {batch} ({half} per core): {len(shapes)} products "
        f"per half, {gflop(shapes):.2f} GFLOP"
    )
    with tpc.threadpool_limits(limits=1, user_api="blas"):
        torch.set_num_threads(1)
        one = alternate(
            {
                "products": lambda: run_all(halves[0]),
                "torch": steps_half["torch"],
                "engine": steps_half["serial"],
            },
            args.blocks,
            3,
        )
        print(f"  one thread, {half} images: the engine's whole step {one['engine']:7.1f} ms")
        print(
            f"  one thread, {half} images: PyTorch's whole step {one['torch']:7.1f} ms; "
            f"the products alone {one['products']:7.1f} ms = {one['products'] / one['torch']:.2f}x "
            f"({rate(shapes, one['products'])})"
        )
        alone = best_alone(halves[0], 3)
        print(
            f"  one thread, {half} images: each product in its faster orientation, summed, "
            f"{alone:7.1f} ms = {alone / one['torch']:.2f}x"
        )
        torch.set_num_threads(2)  # the halves' products keep one BLAS thread each
        two = alternate({"products": two_halves, "torch": steps_whole["torch"]}, args.blocks, 3)
    print(
        f"  two threads, {batch} images: PyTorch's whole step {two['torch']:7.1f} ms; "
        f"the two halves' products, one thread each, {two['products']:7.1f} ms = "
        f"{two['products'] / two['torch']:.2f}x (throughput at most "
        f"{two['torch'] / two['products']:.2f}x PyTorch's)"
    )


def conv_dense_shapes(model, x1, n: int) -> list[tuple[int, int, int]]:
    """The products of one training step on ``n`` images (forward, ``dW``, ``dX``), each
    layer's shapes read from a forward of one image ``x1``."""
    outs = model.forward(x1, return_all=True)
    shapes = []
    for i, layer in enumerate(model.layers):
        j = model.inputs[i][0]
        in_shape = (x1 if j < 0 else outs[j]).shape[1:]
        if layer.type == "conv2d":
            f, c, kh, kw = layer.params["weight"].shape
            ho, wo = outs[i].shape[2:]
            k, m = c * kh * kw, n * ho * wo
            shapes += [(f, k, m), (f, m, k)] + ([(k, f, m)] if j >= 0 else [])
        elif layer.type == "dense":
            k, f = int(np.prod(in_shape)), outs[i].shape[1]
            shapes += [(n, k, f), (k, n, f), (n, f, k)]
    return shapes


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--what", nargs="+", choices=["resnet18", "cifar10-bn"], default=["resnet18", "cifar10-bn"]
    )
    p.add_argument("--blocks", type=int, default=6, help="alternating blocks")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    import torch

    tpc, pools = blas_pools()
    print("The engine's matrix products alone against PyTorch's whole forward or step")
    for line in describe(np, torch, 2, pools, optional("engine.memory", ROOT), ROOT):
        print("  " + line)
    if "resnet18" in args.what:
        resnet18(args, torch, tpc)
    if "cifar10-bn" in args.what:
        cifar10_bn(args, torch, tpc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
