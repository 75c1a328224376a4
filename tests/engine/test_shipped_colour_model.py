"""The shipped colour model: the seeds' volumes, its score, and onnxruntime's agreement.

``models/cifar10-lenet.npz`` is trained by this engine (the command is in its model card). On a
fresh clone the 150 CIFAR-10 test photos that ship (``static/samples/cifar10``) are the
data; with the whole test set in ``data/`` it is scored on all 10,000 too.
"""

from pathlib import Path

import pytest

from engine import cifar10
from engine.model import Model
from engine.train import evaluate
from tests.engine.onnx_check import assert_same

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "cifar10-lenet.npz"


@pytest.fixture(scope="module")
def model() -> Model:
    return Model.load(MODEL)


def test_it_has_the_seeds_volumes(model):
    assert model.input_shape == (3, 32, 32) and model.classes == cifar10.CLASSES
    shapes = {
        layer.name: tuple(shape)
        for layer, shape in zip(model.layers, model.shapes[1:], strict=True)
    }
    assert shapes["conv1"] == (6, 28, 28) and shapes["pool1"] == (6, 14, 14)
    assert shapes["conv2"] == (16, 10, 10) and shapes["pool2"] == (16, 5, 5)
    assert [shapes[n] for n in ("fc1", "fc2", "fc3")] == [(120,), (84,), (10,)]
    assert model.layers[0].params["weight"].shape == (6, 3, 5, 5)  # filters as deep as RGB


def test_it_was_trained_here_to_62_percent(model):
    meta = model.meta
    assert meta["dataset"] == "cifar10" and meta["command"].startswith("python -m engine train")
    assert meta["test_accuracy"] >= 0.62, meta["test_accuracy"]


def test_it_classifies_the_shipped_sample(model):
    images, labels = cifar10.load_sample()
    result = evaluate(model, cifar10.to_input(images), labels)
    assert result["accuracy"] >= 0.5, result["accuracy"]  # 150 photos: about 62 % ± 4 %


@pytest.mark.skipif(cifar10.find_source(ROOT / "data") is None, reason="CIFAR-10 not in data/")
def test_it_scores_62_percent_on_the_whole_test_set(model):
    images, labels = cifar10.load("test", ROOT / "data")
    assert len(labels) == 10_000
    result = evaluate(model, cifar10.to_input(images), labels)
    assert result["accuracy"] >= 0.62, result["accuracy"]


def test_onnxruntime_gives_the_same_outputs(model):
    images, _ = cifar10.load_sample()
    assert_same(model, cifar10.to_input(images[:64]))
