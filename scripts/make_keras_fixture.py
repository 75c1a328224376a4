"""Build the one fixture a real Keras + tf2onnx writes: tests/fixtures/onnx/keras_tf2onnx.onnx.

Run with a TensorFlow venv (TensorFlow, tf2onnx; the test suite needs neither):

    python -m venv /work/tf-venv && /work/tf-venv/bin/pip install tensorflow-cpu tf2onnx
    /work/tf-venv/bin/python scripts/make_keras_fixture.py [--data-dir data/mnist]

A Keras functional CNN — two convolutions of the input side by side (3×3 and 5×5,
``Concatenate``), max-pooling, a third convolution, BatchNormalization, Dropout and a softmax
Dense — trained for two epochs on 12,000 MNIST training digits (ink in [0, 1], NHWC), exported
with ``model.export`` (a SavedModel) and converted exactly as README's "Explore your own model"
says: ``python -m tf2onnx.convert --saved-model DIR --opset 13 --output FILE``. What tf2onnx
writes for it: an N×28×28×1 input turned NCHW by a Reshape (one channel), BiasAdd as separate
nodes fused into Conv, BatchNorm folded into Mul + Add, and a Transpose before the flatten.
Records its entry in ``manifest.json`` (``make_onnx_fixtures.py`` keeps it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "onnx"
FILE = "keras_tf2onnx.onnx"


def idx(path: Path) -> np.ndarray:
    data = gzip.decompress(path.read_bytes())
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(data[3])]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * data[3]).reshape(dims)


def network() -> keras.Model:
    x = keras.Input((28, 28, 1))
    a = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    b = layers.Conv2D(8, 5, activation="relu", padding="same")(x)
    h = layers.MaxPooling2D()(layers.Concatenate()([a, b]))
    h = layers.BatchNormalization()(layers.Conv2D(32, 3, activation="relu")(h))
    h = layers.Dropout(0.2)(layers.Flatten()(layers.MaxPooling2D()(h)))
    return keras.Model(x, layers.Dense(10, activation="softmax")(h))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default="/work/shared/datasets/mnist", help="MNIST IDX files")
    args = ap.parse_args()
    data = Path(args.data_dir)
    images = idx(data / "train-images-idx3-ubyte.gz")[:12000, :, :, None] / np.float32(255)
    labels = idx(data / "train-labels-idx1-ubyte.gz")[:12000]
    keras.utils.set_random_seed(0)
    model = network()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, epochs=2, batch_size=128, verbose=2)
    with tempfile.TemporaryDirectory() as tmp:
        model.export(f"{tmp}/saved_model")
        command = ["-m", "tf2onnx.convert", "--saved-model", f"{tmp}/saved_model"]
        subprocess.run(
            [sys.executable, *command, "--opset", "13", "--output", str(OUT / FILE)], check=True
        )
    manifest_path = OUT / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest[FILE] = {
        "input": {"invert": False, "scale": 1.0, "mean": [0.0], "std": [1.0]},
        "declared_input": "Nx28x28x1",
        "opset": 13,
        "exporter": f"keras {keras.__version__} + tf2onnx (scripts/make_keras_fixture.py)",
        "notes": "a real tf2onnx export: NHWC input behind a Reshape, BiasAdd, BN as Mul + Add",
    }
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    print(f"wrote {OUT / FILE}: {(OUT / FILE).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
