"""Batch norm's fast path against its plain twin, at the shapes of ``cifar10-bn``'s five layers.

    python bench/bench_batchnorm.py              # batch 256, one BLAS thread
    python bench/bench_batchnorm.py --batch 128  # one replica's share of a 2-way split step

For each layer's input shape it times a training forward and its backward
(``engine/ops/batchnorm.py``: ``batchnorm_forward/backward`` and the ``_plain`` twins, whose
passes are the ones the engine made before), alternating the two in blocks, and prints the
median milliseconds. The arrays are (N, C, H, W) views of batch-last memory (C, H, W, N), as the
engine's convolutions return them. Malloc is set as a training step sets it (``engine.memory``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# cifar10-bn's batch norms: (channels, side) of each layer's input (engine/architectures)
LAYERS = {"bn1": (24, 32), "bn2": (32, 32), "bn3": (64, 16), "bn4": (128, 8), "bn5": (256, 4)}


def time_pairs(pairs: dict, x, dout, n: int, blocks: int) -> dict:
    """``{(name, "fwd" | "bwd"): wall seconds}`` of each (forward, backward) pair on x: (N, C,
    H, W) and dout: x's shape, ``n`` calls a block, the pairs alternating; block 0 warms up."""
    import numpy as np

    from bench.timing import timed

    gamma, beta = np.ones(x.shape[1], x.dtype), np.zeros(x.shape[1], x.dtype)  # (C,)
    ms = {(k, d): [] for k in pairs for d in ("fwd", "bwd")}
    for block in range(blocks + 1):  # alternate, so a change of load hits both
        for k, (forward, backward) in pairs.items():
            f = timed(lambda f=forward: f(x, gamma, beta, None, None, 1e-5), n)
            b = timed(lambda g=backward, c=f.out[1]: g(dout, c), n)
            if block:
                ms[k, "fwd"] += f.wall
                ms[k, "bwd"] += b.wall
    return ms


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=256, help="examples per call (default 256)")
    p.add_argument("--repeats", type=int, default=12, help="timed calls each (default 12)")
    p.add_argument("--blocks", type=int, default=3, help="alternating blocks (default 3)")
    args = p.parse_args(argv)
    if min(args.batch, args.blocks) < 1 or args.repeats < args.blocks:
        p.error("--batch and --blocks must be >= 1, --repeats >= --blocks")
    sys.path.insert(0, str(ROOT))
    import numpy as np
    from threadpoolctl import threadpool_limits

    from engine.memory import keep_freed_memory
    from engine.ops import batchnorm as bn

    keep_freed_memory()
    rng = np.random.default_rng(0)
    print(f"batch norm, batch {args.batch}, float32, 1 BLAS thread; ms, medians of {args.repeats}")
    print(f"  load average {os.getloadavg()[0]:.2f}")
    print(f"{'layer':8}{'input':>18}{'plain fwd':>11}{'bwd':>8}{'fast fwd':>11}{'bwd':>8}")
    pairs = {
        "plain": (bn.batchnorm_forward_plain, bn.batchnorm_backward_plain),
        "fast": (bn.batchnorm_forward, bn.batchnorm_backward),
    }
    with threadpool_limits(1):
        for name, (C, side) in LAYERS.items():
            shape = (args.batch, C, side, side)
            batch_last = (C, side, side, args.batch)  # the engine's activations' memory order
            x = (rng.standard_normal(batch_last) + 0.3).astype(np.float32).transpose(3, 0, 1, 2)
            dout = rng.standard_normal(batch_last).astype(np.float32).transpose(3, 0, 1, 2)
            ms = time_pairs(pairs, x, dout, args.repeats // args.blocks, args.blocks)
            cells = "".join(
                f"{1000 * statistics.median(ms[k]):>{w}.2f}"
                for k, w in zip(ms, (11, 8, 11, 8), strict=True)
            )
            print(f"{name:8}{str(shape):>18}{cells}")
    print(f"  load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
