"""Training images/s on CIFAR-10 for the shipped colour models: this engine and PyTorch CPU.

    python bench/bench_cifar.py            # both models, about a minute on 2 cores
    python bench/bench_cifar.py --quick    # fewer steps: a rough look
    python bench/bench_cifar.py --models cifar10-bn --threads 1
    python bench/bench_cifar.py --layers   # also: where an engine training step goes

For each model (its architecture from ``engine/architectures``) one training step is forward,
loss, backward and the optimiser's update, with the recipe its model card records (optimiser,
batch size, label smoothing, weight decay), on real CIFAR-10 test photos (the 150 that ship in
``static/samples/cifar10``, drawn into batches). PyTorch runs the same architecture with
the same starting weights (``bench/torch_spec.py``), the same batch, the same number of
threads and the same optimiser; engine and PyTorch steps are timed in alternating blocks so a
change in the machine's load hits both, and each figure is the median step. The random flip and
crop (NumPy, the same for both) are timed on their own line. Machine, BLAS and threads are
printed first (``bench/bench_engine.py``'s helpers).

``engine`` is the step as training runs it: split over the BLAS threads where the model allows
(``engine/parallel.py``); ``serial`` is the same step on one thread of NumPy with BLAS's
threads. ``--engine-root DIR`` times the engine of another checkout, for before/after figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_engine import add_engine_flags, check_engine_flags  # noqa: E402

# Each model's training recipe, as its card's command has it (models/<id>.md).
RECIPES = {
    "cifar10-lenet": {"batch": 128, "optimiser": "adam", "lr": 2e-3, "wd": 0.0, "smooth": 0.0},
    "cifar10-bn": {
        "batch": 256,
        "optimiser": "sgd",
        "lr": 0.2,
        "wd": 5e-4,
        "smooth": 0.1,
        "nesterov": True,
    },
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--models", default=",".join(RECIPES), help="comma-separated, of " + str(list(RECIPES))
    )
    p.add_argument("--repeats", type=int, default=18, help="timed training steps per contender")
    p.add_argument("--blocks", type=int, default=3, help="alternating engine/PyTorch blocks")
    p.add_argument("--quick", action="store_true", help="6 steps in 2 blocks: rough")
    add_engine_flags(p)
    args = p.parse_args(argv)
    if args.quick:
        args.repeats, args.blocks = 6, 2
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in RECIPES]
    if unknown or not args.models:
        p.error(f"--models must name some of {list(RECIPES)}, got {unknown or args.models}")
    if args.repeats < args.blocks or args.blocks < 1:
        p.error("--repeats must be >= --blocks >= 1")
    check_engine_flags(p, args)
    return args


def contenders(np, torch, name: str, recipe: dict, x, y, seed: int) -> tuple[dict, list]:
    """``{"engine": step, "serial": step, "torch": step}`` for one model, after checking the
    engine and PyTorch agree; and the engine's (model, optimiser) for the layer table."""
    from bench.torch_spec import to_torch
    from engine import architectures
    from engine.model import Model
    from engine.optim import make_optimiser

    spec = architectures.load_spec(name)
    model = Model.from_spec(spec["layers"], tuple(spec["input_shape"]), seed=seed)
    extra = {"nesterov": True} if recipe.get("nesterov") else {}
    opt = make_optimiser(
        recipe["optimiser"], model.params(), recipe["lr"], weight_decay=recipe["wd"], **extra
    )

    def engine_step(workers=None):
        model.train_step(x, y, workers=workers, label_smoothing=recipe["smooth"])
        opt.step(model.grads())

    steps = {"engine": engine_step, "serial": lambda: engine_step(workers=1)}
    if torch is None:
        return steps, [model, opt]
    net = to_torch(torch, model).eval()
    with torch.inference_mode():
        got = net(torch.from_numpy(x[:8])).numpy()
    diff = float(np.abs(got - model.forward(x[:8])).max())
    print(f"  check {name}: PyTorch's and the engine's outputs agree to {diff:.1e}")
    net.train()
    body = net[:-1] if isinstance(net[-1], torch.nn.Softmax) else net  # to the logits
    if recipe["optimiser"] == "sgd":
        topt = torch.optim.SGD(
            net.parameters(), lr=recipe["lr"], momentum=0.9, weight_decay=recipe["wd"], **extra
        )
    else:
        topt = torch.optim.Adam(net.parameters(), lr=recipe["lr"], weight_decay=recipe["wd"])
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step():
        topt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(body(tx), ty, label_smoothing=recipe["smooth"])
        loss.backward()
        topt.step()

    steps["torch"] = torch_step
    return steps, [model, opt]


def run(args) -> int:
    from bench.bench_engine import blas_pools, describe, import_engine_from, layer_table, optional

    import_engine_from(args.engine_root)
    import numpy as np

    from bench.timing import timed
    from engine import cifar10
    from engine.augment_colour import augment_photos

    tpc, pools = blas_pools()
    threads = args.threads or (pools[0]["num_threads"] if pools else os.cpu_count())
    limiter = tpc.threadpool_limits(limits=threads, user_api="blas") if tpc else None
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        torch = None
        print("PyTorch is not importable: its column is skipped (pip install torch)")
    print("CNN Explorer colour-model training benchmark (CIFAR-10 photos, float32)")
    memory = optional("engine.memory", args.engine_root)
    for line in describe(np, torch, threads, pools, memory, args.engine_root):
        print("  " + line)

    rng = np.random.default_rng(args.seed)
    images, labels = cifar10.load_sample()  # (150, 3, 32, 32) uint8, (150,)
    rows, tables = [], {}
    with limiter or contextlib.nullcontext():
        for name in args.models:
            recipe = RECIPES[name]
            pick = rng.integers(0, len(labels), recipe["batch"])
            x, y = cifar10.to_input(images[pick]), labels[pick].astype(np.int64)  # (B, 3, 32, 32)
            steps, (model, opt) = contenders(np, torch, name, recipe, x, y, args.seed)
            for step in steps.values():  # warm up: allocator, BLAS buffers, caches
                timed(step, 2)
            wall = {k: [] for k in steps}
            for _ in range(args.blocks):  # alternate, so a change of load hits both
                for k, step in steps.items():
                    wall[k] += timed(step, args.repeats // args.blocks).wall
            aug = timed(lambda x=x: augment_photos(x, rng, flip=True, pad=4), 20).wall
            ips = {k: recipe["batch"] / statistics.median(v) for k, v in wall.items()}
            rows.append((name, recipe["batch"], ips, recipe["batch"] / statistics.median(aug)))
            if args.layers:
                update = recipe["optimiser"].replace("sgd", "SGD").replace("adam", "Adam")
                tables[name] = layer_table(np, model, opt, x, y, args.repeats, update)
    report(rows, args.repeats // args.blocks * args.blocks)
    for name, lines in tables.items():
        print()
        print(f"{name}: engine training step by layer, serial (medians of {args.repeats} steps):")
        for line in lines:
            print("  " + line)
    return 0


def report(rows, steps: int) -> None:
    print()
    head = f"{'training img/s':24}{'batch':>6}{'engine':>10}{'serial':>10}{'PyTorch':>10}"
    print(f"{head}{'engine/PyTorch':>16}")
    for name, batch, ips, _ in rows:
        t = ips.get("torch")
        torch_cells = f"{t:>10.1f}{ips['engine'] / t:>15.2f}×" if t else f"{'-':>10}{'-':>16}"
        print(f"{name:24}{batch:>6}{ips['engine']:>10.1f}{ips['serial']:>10.1f}{torch_cells}")
    for name, _, _, aug in rows:
        print(f"{'  flip + crop (NumPy)':24}{'':6}{aug:>10.0f}  img/s, for {name}'s batch")
    print()
    print(
        f"medians of {steps} training steps per contender; "
        f"load average at end {os.getloadavg()[0]:.2f}"
    )


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
