"""CPU time of one ``activations`` answer: the old path (lists + FastAPI's response model) and the
JSON orjson writes from the rounded arrays (``inference.activations_json``) — the same document.

    python bench/activations_encoding.py models/mnist-cnn.npz
    python bench/activations_encoding.py runs/cnn64.npz -n 100
    python bench/activations_encoding.py cnn64-random   # cnn64's layers, random weights, no file

CPU time (``time.process_time``), not wall time, so a busy machine changes it less.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as the app runs

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.models import inference  # noqa: E402
from app.models.schemas import Activations  # noqa: E402
from bench.api_latency import digit  # noqa: E402
from engine.model import Model  # noqa: E402


def cpu_ms(fn, n: int) -> float:
    fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1000


def random_cnn64() -> Model:
    """``bench_imported.py``'s cnn64 layout (18 layers, 468,202 parameters), random weights."""
    conv = [{"type": "conv2d", "config": {"out_channels": n, "kernel_size": 3, "padding": 1}}
            for n in (32, 32, 64, 64)]  # fmt: skip
    bn_relu = [{"type": "batchnorm2d"}, {"type": "relu"}]
    pool = {"type": "maxpool2d", "config": {"kernel_size": 2}}
    dense = [{"type": "dense", "config": {"out_features": n}} for n in (128, 10)]
    return Model.from_spec(
        [conv[0], *bn_relu, conv[1], *bn_relu, pool, conv[2], *bn_relu, conv[3], *bn_relu, pool,
         {"type": "flatten"}, dense[0], {"type": "relu"}, dense[1]]
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="a .npz model, or cnn64-random")
    ap.add_argument("-n", type=int, default=50)
    args = ap.parse_args()
    model = random_cnn64() if args.model == "cnn64-random" else Model.load(args.model)
    image = np.asarray(digit(), dtype=np.float32)
    x = image[None, None]

    def old():
        return Activations.model_validate(inference.activations(model, x, image)).model_dump_json()

    def new():
        return inference.activations_json(model, x, image)

    assert json.loads(new()) == json.loads(old())  # the same document
    forward = cpu_ms(lambda: model.forward(x, return_all=True), args.n)
    before, after = cpu_ms(old, args.n), cpu_ms(new, args.n)
    print(
        f"{Path(args.model).name}: {len(new()):,} bytes; CPU per answer: forward {forward:.2f} ms, "
        f"lists + response model {before:.2f} ms, orjson {after:.2f} ms "
        f"({before / after:.1f}x less)"
    )


if __name__ == "__main__":
    main()
