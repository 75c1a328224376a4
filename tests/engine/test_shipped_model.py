"""The model we ship: really evaluated on the 10,000 shipped MNIST test digits."""

from pathlib import Path

import numpy as np

from engine import data
from engine.model import Model
from engine.train import evaluate, to_input

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_model_is_at_least_99_2_percent_accurate():
    model = Model.load(ROOT / "models" / "mnist-cnn.npz")
    images, labels = data.load_dataset("mnist", "test", ROOT / "data")
    assert len(labels) == 10_000
    result = evaluate(model, to_input(images), labels.astype(np.int64))
    assert result["accuracy"] >= 0.992, f"test accuracy {result['accuracy']:.4%}"


def test_shipped_model_fits_the_explorer():
    model = Model.load(ROOT / "models" / "mnist-cnn.npz")
    convs = [layer for layer in model.layers if layer.type == "conv2d"]
    pools = [layer for layer in model.layers if layer.type.endswith("pool2d")]
    assert len(convs) >= 2 and len(pools) >= 1
    assert all(layer.out_channels <= 32 for layer in convs)
    assert model.classes == [str(i) for i in range(10)] and model.input_shape == (1, 28, 28)
