"""CPU time of one ``activations`` answer: the old path (lists + FastAPI's response model) and the
JSON written by ``app.models.json_arrays`` — the same document — for a model file.

    python bench/activations_encoding.py models/mnist-cnn.npz
    python bench/activations_encoding.py runs/cnn64.npz -n 100

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

from app.models import inference, json_arrays  # noqa: E402
from app.models.schemas import Activations  # noqa: E402
from bench.api_latency import digit  # noqa: E402
from engine.model import Model  # noqa: E402


def cpu_ms(fn, n: int) -> float:
    fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="a .npz model")
    ap.add_argument("-n", type=int, default=50)
    args = ap.parse_args()
    json_arrays.warm()
    model = Model.load(args.model)
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
        f"lists + response model {before:.2f} ms, json_arrays {after:.2f} ms "
        f"({before / after:.1f}x less)"
    )


if __name__ == "__main__":
    main()
