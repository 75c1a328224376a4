"""How long the explanations take on the shipped model, engine only (no HTTP).

    python bench/bench_explain.py [--model models/mnist-cnn.npz] [--data data] [-n 5]

Prints the median of ``n`` runs for each attribution method on one test digit, the forward pass
over the 10,000 test digits, the top-activating table computed from scratch and read back from
its cache, and activation maximisation of every filter of each conv layer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.timing import timed  # noqa: E402
from engine import data, explain  # noqa: E402
from engine.model import Model  # noqa: E402
from engine.train import to_input  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/mnist-cnn.npz")
    parser.add_argument("--data", default="data")
    parser.add_argument("-n", type=int, default=5)
    args = parser.parse_args()
    model = Model.load(args.model)
    images, labels = data.load_dataset("mnist", "test", args.data)
    x, t = to_input(images[:1]), int(labels[0])
    rows = [
        ("saliency", lambda: explain.saliency(model, x, t)),
        ("grad-cam", lambda: explain.gradcam(model, x, t)),
        ("occlusion 6x6 stride 2 (144 copies)", lambda: explain.occlusion(model, x, t)),
        ("occlusion 4x4 stride 1 (625 copies)", lambda: explain.occlusion(model, x, t, 4, 1)),
        ("integrated gradients, 32 steps", lambda: explain.integrated_gradients(model, x, t)),
        ("integrated gradients, 128 steps", lambda: explain.integrated_gradients(model, x, t, 128)),
    ]
    for name, fn in rows:
        print(f"{name:<40} {timed(fn, args.n).median * 1000:8.1f} ms")
    xs = to_input(images)
    forward = timed(lambda: [model.forward(xs[i : i + 500]) for i in range(0, len(xs), 500)]).median
    print(f"{'forward, 10,000 test digits':<40} {forward:8.2f} s")
    with tempfile.TemporaryDirectory() as cache:
        fresh = explain.top_activations(model, images, k=16, cache_dir=cache)
        cached = explain.top_activations(model, images, k=16, cache_dir=cache)
        size = sum(p.stat().st_size for p in Path(cache).glob("*.npz"))
    print(f"{'top-activating table, computed':<40} {fresh.seconds:8.2f} s")
    print(f"{'top-activating table, from cache':<40} {cached.seconds * 1000:8.1f} ms ({size:,} B)")
    for i, layer in enumerate(model.layers):
        if layer.type == "conv2d":
            secs = timed(lambda i=i: explain.maximise_activation(model, i)).median
            print(f"{'maximise every filter of ' + layer.name:<40} {secs:8.2f} s")


if __name__ == "__main__":
    main()
