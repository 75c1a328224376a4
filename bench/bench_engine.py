"""Benchmark the engine on the shipped architecture against textbook loops and PyTorch.

    python bench/bench_engine.py            # the full run, about half a minute on 2 cores
    python bench/bench_engine.py --quick    # fewer repeats, one naive image: a rough look
    python bench/bench_engine.py --layers   # also: where an engine training step goes

Prints one table: training images/s (forward + backward + Adam step at ``--batch-size``) and
the latency of a batch-1 forward that returns every layer's output (what the explorer asks
for), for (a) this engine, (b) the textbook loops of ``bench/naive.py``, (c) PyTorch on the
CPU with the same architecture, weights, batch size and thread count — then the ratios, and
the versions, BLAS kernel and thread settings they were measured with.

The engine and PyTorch are timed in alternating blocks, so a change in the machine's load
hits both; each figure is the median over its steps or calls. The naive loops are too slow
for a full batch: they are timed on ``--naive-images`` images, and their training images/s
is extrapolated from that (their cost is linear in the batch: one loop pass per image).

``--engine-root DIR`` times the engine of another checkout (say ``git worktree add
/tmp/before <commit>``) with this script, for before/after figures.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import inspect
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCH = "mnist-cnn"
ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
TARGETS = {"naive": 100.0, "torch_train": 1.0, "torch_latency": 2.0}  # training: issue 23


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--batch-size", type=int, default=128, help="training batch size")
    p.add_argument("--repeats", type=int, default=60, help="timed training steps per contender")
    p.add_argument("--latency-runs", type=int, default=1000, help="timed batch-1 forwards each")
    p.add_argument("--blocks", type=int, default=6, help="alternating engine/PyTorch blocks")
    p.add_argument("--naive-images", type=int, default=4, help="images for the naive step")
    p.add_argument("--naive-runs", type=int, default=3, help="naive batch-1 forwards timed")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if importable")
    p.add_argument("--quick", action="store_true", help="few repeats, one naive image: rough")
    add_engine_flags(p)
    args = p.parse_args(argv)
    if args.quick:
        args.repeats, args.latency_runs, args.blocks = 12, 200, 2
        args.naive_images, args.naive_runs = 1, 1
    for name in ("batch_size", "repeats", "latency_runs", "blocks", "naive_images", "naive_runs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    check_engine_flags(p, args)
    return args


def add_engine_flags(p: argparse.ArgumentParser, threads: int | None = None) -> None:
    """The flags every engine benchmark takes: threads, a per-layer table, the checkout whose
    engine is timed (before/after figures) and the seed."""
    help_threads = "threads (default: BLAS's own)" if threads is None else "threads"
    p.add_argument("--threads", type=int, default=threads, help=help_threads)
    p.add_argument("--layers", action="store_true", help="also time each engine layer")
    p.add_argument("--engine-root", type=Path, default=ROOT, help="checkout to import from")
    p.add_argument("--seed", type=int, default=0)


def check_engine_flags(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``p.error`` for a thread count below 1 or an ``--engine-root`` without an engine."""
    if args.threads is not None and args.threads < 1:
        p.error(f"--threads must be >= 1, got {args.threads}")
    if not (args.engine_root / "engine" / "__init__.py").is_file():
        p.error(f"--engine-root {args.engine_root} has no engine/ package")


# -- environment ---------------------------------------------------------------------------


def optional(module: str, root: Path):
    """An engine module that older checkouts may not have, or None. Only ``root``'s own: an
    editable install of this checkout would otherwise fill the gap with today's module."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return mod if Path(mod.__file__).resolve().is_relative_to(root.resolve()) else None


def blas_pools():
    """threadpoolctl and its view of the BLAS numpy loaded; (None, None) without it."""
    try:
        import threadpoolctl
    except ImportError:
        return None, None
    info = threadpoolctl.threadpool_info()
    return threadpoolctl, [i for i in info if i.get("user_api") == "blas"]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(np, torch, threads: int, pools, memory, engine_root: Path) -> list[str]:
    now = datetime.datetime.now().astimezone()
    lines = [
        f"date: {now:%Y-%m-%d %H:%M %Z}   machine: {os.cpu_count()} cores, {cpu_name()}, "
        f"{platform.system()} {platform.machine()}, load average {os.getloadavg()[0]:.2f}",
        f"engine: {engine_root.resolve()}",
        f"python {platform.python_version()}, numpy {np.__version__}",
    ]
    if pools is None:
        lines.append("BLAS: unknown (pip install threadpoolctl to see its kernel and threads)")
    for pool in pools or []:
        lines.append(
            f"BLAS: {pool['internal_api']} {pool.get('version')} "
            f"({Path(pool['filepath']).name}), kernel {pool.get('architecture')}, "
            f"{pool['num_threads']} threads ({pool.get('threading_layer')})"
        )
    lines.append("environment: " + ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in ENV_VARS))
    lines.append(
        f"threads: engine {threads} for BLAS (NumPy's elementwise passes use one)"
        + (f"; PyTorch {torch.get_num_threads()} (torch {torch.__version__})" if torch else "")
    )
    if memory is None:
        lines.append("malloc: glibc defaults (this engine has no engine.memory)")
    elif memory.keep_freed_memory():
        lines.append(
            "malloc: mmap/trim thresholds raised by engine.memory, as Model.train_step does "
            "(process-wide: PyTorch runs under it too)"
        )
    else:
        lines.append("malloc: not glibc, defaults")
    return lines


# -- the contenders ----------------------------------------------------------------------------


def build_torch(torch, model):
    """The shipped architecture in PyTorch, with the engine model's weights copied in."""
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(1568, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
        nn.Softmax(dim=1),
    )
    params = model.params()
    with torch.no_grad():
        for layer, module in zip(model.layers, net, strict=True):
            for key, param in module.named_parameters():
                param.copy_(torch.from_numpy(params[f"{layer.name}.{key}"]))
    return net


def layer_table(np, model, opt, x, y, repeats: int, update: str = "Adam") -> list[str]:
    """Median wall time of each engine layer's forward (train) and backward at this batch, one
    layer after another (no split; a graph's layers read the nodes ``model.inputs`` names);
    then the loss and the optimiser (``update``) together."""
    from engine.ops.activation import softmax_cross_entropy

    stop = len(model.layers) - 1 if model.ends_in_softmax else len(model.layers)
    layers = model.layers[:stop]
    fwd, bwd = {ly.name: [] for ly in layers}, {ly.name: [] for ly in layers}
    rest = []
    for _ in range(repeats):
        outs = []  # each layer's output; a layer reads the nodes model.inputs names (-1: x)
        for ly, ins in zip(layers, model.inputs, strict=False):
            args = [x if j < 0 else outs[j] for j in ins]
            t0 = time.perf_counter()
            outs.append(ly.forward(*args, train=True))
            fwd[ly.name].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _, d = softmax_cross_entropy(outs[-1], y)
        t1 = time.perf_counter()
        pending = {len(layers) - 1: d}  # gradients reaching each node, added up
        for i in range(len(layers) - 1, -1, -1):
            ins = model.inputs[i]
            t2 = time.perf_counter()
            dx = layers[i].backward(pending.pop(i), need_dx=any(j >= 0 for j in ins))
            bwd[layers[i].name].append(time.perf_counter() - t2)
            for j, g in zip(ins, dx if isinstance(dx, list) else [dx], strict=True):
                if j >= 0:
                    pending[j] = g if j not in pending else pending[j] + g
        t3 = time.perf_counter()
        opt.step(model.grads())
        rest.append((t1 - t0) + (time.perf_counter() - t3))
    lines = [f"{'layer':10}{'forward ms':>12}{'backward ms':>13}"]
    for ly in layers:
        f, b = 1000 * statistics.median(fwd[ly.name]), 1000 * statistics.median(bwd[ly.name])
        lines.append(f"{ly.name:10}{f:>12.2f}{b:>13.2f}")
    lines.append(f"{'loss+' + update:10}{1000 * statistics.median(rest):>12.2f}")
    return lines


def import_engine_from(root: Path) -> None:
    """Import ``engine`` from the checkout ``root`` (this one's ``bench/`` stays importable);
    exit if another engine was imported already."""
    for path in (root.resolve(), ROOT):  # the engine's checkout wins
        if str(path) not in sys.path:
            sys.path.insert(0 if path != ROOT else 1, str(path))
    engine_file = Path(importlib.import_module("engine").__file__).resolve()
    if not engine_file.is_relative_to(root.resolve()):
        sys.exit(f"imported the engine from {engine_file.parent}, not {root}")


def run(args) -> int:
    import_engine_from(args.engine_root)
    import numpy as np

    from bench.naive import NaiveCNN
    from bench.timing import timed
    from engine import architectures
    from engine.model import Model
    from engine.optim import Adam

    memory = optional("engine.memory", args.engine_root)
    tpc, pools = blas_pools()
    threads = args.threads or (pools[0]["num_threads"] if pools else os.cpu_count())
    limiter = tpc.threadpool_limits(limits=threads, user_api="blas") if tpc else None
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch is not importable: its row is skipped (pip install torch)")
    if torch is not None:
        torch.set_num_threads(threads)

    print(f"CNN Explorer engine benchmark: the shipped architecture {ARCH!r}, float32")
    for line in describe(np, torch, threads, pools, memory, args.engine_root):
        print("  " + line)

    rng = np.random.default_rng(args.seed)
    B = args.batch_size
    x = rng.random((B, 1, 28, 28), dtype=np.float32)  # (B, 1, 28, 28) in [0, 1], as trained
    y = rng.integers(0, 10, B)
    x1 = x[:1].copy()  # (1, 1, 28, 28)
    spec = architectures.load_spec(ARCH)
    model = Model.from_spec(spec["layers"], tuple(spec["input_shape"]), seed=args.seed)
    opt = Adam(model.params())

    def engine_step():
        model.train_step(x, y)
        opt.step(model.grads())

    contenders = {"engine": (engine_step, lambda: model.forward(x1, return_all=True))}
    if "workers" in inspect.signature(model.train_step).parameters:  # engine.parallel's split

        def serial_step():
            model.train_step(x, y, workers=1)
            opt.step(model.grads())

        contenders["serial"] = (serial_step, None)
    if torch is not None:
        net = build_torch(torch, model)
        with torch.inference_mode():
            got = net(torch.from_numpy(x[:8])).numpy()
        diff = float(np.abs(got - model.forward(x[:8])).max())
        print(f"  check: PyTorch's and the engine's outputs agree to {diff:.1e} (same weights)")
        body = net[:-1]  # to the logits: cross_entropy applies log-softmax, as the engine's loss
        topt = torch.optim.Adam(net.parameters(), lr=1e-3)
        tx, ty, tx1 = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(x1)

        def torch_step():
            topt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(body(tx), ty).backward()
            topt.step()

        def torch_forward():
            with torch.inference_mode():
                outs, h = [], tx1
                for module in net:
                    h = module(h)
                    outs.append(h)
            return outs

        contenders["torch"] = (torch_step, torch_forward)

    train = {k: [] for k in contenders}
    latency = {k: [] for k in contenders}
    with limiter or _Nothing():
        for step, forward in contenders.values():  # warm up: allocator, BLAS buffers, caches
            timed(step, 3)
            if forward is not None:
                timed(forward, 20)
        for _ in range(args.blocks):  # alternate, so a change of load hits every contender
            for k, (step, forward) in contenders.items():
                train[k] += timed(step, max(1, args.repeats // args.blocks)).wall
                if forward is not None:
                    latency[k] += timed(forward, max(1, args.latency_runs // args.blocks)).wall
        per_layer = layer_table(np, model, opt, x, y, args.repeats) if args.layers else []

        naive = NaiveCNN({k: v.copy() for k, v in model.params().items()})
        nopt = Adam(naive.params)
        n = args.naive_images
        naive_train = timed(lambda: nopt.step(naive.train_step(x[:n], y[:n])[1])).wall[0]
        naive_latency = timed(lambda: naive.forward(x1, return_all=True), args.naive_runs).wall

    ips = {k: B / statistics.median(v) for k, v in train.items()}
    lat = {k: 1000 * statistics.median(v) for k, v in latency.items() if v}
    ips["naive"], lat["naive"] = n / naive_train, 1000 * statistics.median(naive_latency)
    report(args, ips, lat, torch is not None, n, naive_train, len(train["engine"]))
    if per_layer:
        print()
        print(f"engine training step by layer, batch {B} (medians of {args.repeats} steps):")
        for line in per_layer:
            print("  " + line)
    return 0


def report(args, ips, lat, with_torch: bool, n: int, naive_seconds: float, steps: int):
    rows = [("engine (NumPy)", "engine"), ("naive loops (CS231n)", "naive")]
    if "serial" in ips:
        rows.insert(1, ("engine, serial step", "serial"))
    if with_torch:
        rows.append(("PyTorch CPU", "torch"))
    print()
    print(f"{'':24}{'training img/s':>16}{'batch-1 forward':>18}")
    print(f"{'':24}{f'(batch {args.batch_size})':>16}{'(all outputs)':>18}")
    for label, k in rows:
        mark = " *" if k == "naive" else "  "
        latency = f"{lat[k]:>15.3f} ms" if k in lat else f"{'(same)':>18}"
        print(f"{label:24}{ips[k]:>14.1f}{mark}{latency}")
    print()
    speed, vs = ips["engine"] / ips["naive"], lat["naive"] / lat["engine"]
    ok = min(speed, vs) >= TARGETS["naive"]
    print(f"{'engine vs naive':24}{speed:>13.0f}× faster{vs:>9.0f}× faster")
    print(f"{'':24}target: >= {TARGETS['naive']:.0f}× faster: {_verdict(ok)}")
    if with_torch:
        ratio, lr = ips["engine"] / ips["torch"], lat["engine"] / lat["torch"]
        print(f"{'engine vs PyTorch':24}{ratio:>14.2f}× img/s{lr:>10.2f}× latency")
        print(
            f"{'':24}targets: >= {TARGETS['torch_train']}× its img/s: "
            f"{_verdict(ratio >= TARGETS['torch_train'])}; "
            f"<= {TARGETS['torch_latency']:.0f}× its latency: "
            f"{_verdict(lr <= TARGETS['torch_latency'])}"
        )
    print()
    print(
        f"* naive: one training step on {n} image{'s' * (n > 1)} took {naive_seconds:.2f} s; "
        "img/s extrapolated linearly (its loops cost the same per image)."
    )
    print(
        f"medians of {steps} training steps and {args.latency_runs // args.blocks * args.blocks}"
        f" forwards per fast contender, {args.naive_runs} naive forward(s); "
        f"load average at end {os.getloadavg()[0]:.2f}"
    )


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
