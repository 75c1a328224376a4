"""``app/evaluation/routes.py``: a model scored on the test set (the confusion matrix, per-class
figures, mistakes), a cell's examples, test digits as PNGs, the page, and the refusals."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from engine import cifar10
from engine.data import load_dataset
from engine.model import Model
from engine.train import evaluate, to_input
from tests.app.trainset import default_model
from tests.utils import refused

# -- evaluation ---------------------------------------------------------------------------


def test_evaluation_confusion_matrix_sums_to_the_test_set(http):
    body = http.get("/api/models/mnist-cnn/evaluation").json()
    confusion = np.array(body["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == body["total"] == 10_000
    assert body["correct"] == np.trace(confusion)
    assert body["accuracy"] == pytest.approx(np.trace(confusion) / 10_000)
    assert [c["total"] for c in body["per_class"]] == confusion.sum(axis=1).tolist()
    assert body["misclassified_total"] == 10_000 - body["correct"]
    mistakes = body["confident_mistakes"]
    assert all(m["target"] != m["predicted"] for m in mistakes)
    assert [m["confidence"] for m in mistakes] == sorted(
        (m["confidence"] for m in mistakes), reverse=True
    )
    assert http.get("/api/models/mnist-cnn/evaluation").json()["cached"] is True
    t, p = mistakes[0]["target"], mistakes[0]["predicted"]
    cell = http.get(
        "/api/models/mnist-cnn/evaluation/examples",
        params={"true_class": t, "predicted_class": p, "count": 200},
    ).json()
    assert cell["total"] == confusion[t, p]
    assert all(x["target"] == t and x["predicted"] == p for x in cell["items"])
    png = http.get(body["image_url"].format(index=mistakes[0]["index"]), params={"scale": 2})
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    refused(http.get("/api/datasets/mnist/test/10000.png"), 404, "0 to 9999")


def test_the_score_is_the_engines_evaluate_on_the_test_set(http, mnist_settings):
    body = http.get("/api/models/mnist-cnn/evaluation").json()
    images, labels = load_dataset("mnist", "test", mnist_settings.data_dir)
    want = evaluate(default_model(), to_input(images), labels.astype(np.int64))
    assert body["accuracy"] == pytest.approx(want["accuracy"])
    assert body["loss"] == pytest.approx(want["loss"], rel=1e-6)
    top = body["confident_mistakes"][0]
    assert top["confidence"] == pytest.approx(float(want["confidence"][top["index"]]), rel=1e-5)
    assert top["predicted"] == int(want["predictions"][top["index"]])


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/models/nope/evaluation", 404, ["nope"]),
        ("/api/models/mnist-cnn/evaluation/examples?true_class=10&predicted_class=0", 422,
         ["true_class", "0 to 9", "got 10"]),
        ("/api/models/mnist-cnn/evaluation/examples?true_class=0&predicted_class=-1", 422,
         ["predicted_class"]),
        ("/api/models/mnist-cnn/evaluation/examples?true_class=0&predicted_class=1&count=0", 422,
         ["count"]),
        ("/api/datasets/mnist/test/10000.png", 404, ["0 to 9999"]),
        ("/api/datasets/cifar/test/0.png", 404, ["dataset", "no uploaded data set 'cifar'"]),
        ("/api/datasets/Bad..Name/test/0.png", 422, ["dataset"]),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_naming_the_field(http, path, status, words):
    refused(http.get(path), status, *words)


def test_a_model_that_does_not_take_mnist_digits_cannot_be_scored(http, mnist_settings):
    odd = Model.from_spec([{"type": "flatten"}, {"type": "dense", "config": {
        "out_features": 3}}], classes=["a", "b", "c"], meta={"dataset": "mnist"})  # fmt: skip
    odd.save(mnist_settings.models_dir / "three-classes.npz")
    refused(http.get("/api/models/three-classes/evaluation"), 422, "3 outputs", "needs [1, 28, 28]")


def test_the_evaluate_page_is_served(http):
    r = http.get("/evaluate")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'data-testid="eval-summary"' in r.text  # the page, from the one templates object
    assert '<a href="/evaluate" aria-current="page">' in r.text


def test_a_colour_model_is_scored_on_the_shipped_cifar10_sample(http, mnist_settings):
    spec = [{"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 5}}, {"type": "relu"},
            {"type": "flatten"}, {"type": "dense", "config": {"out_features": 10}}]  # fmt: skip
    colour = Model.from_spec(spec, (3, 32, 32), seed=2, classes=cifar10.CLASSES,
                             meta={"dataset": "cifar10"})  # fmt: skip
    colour.save(mnist_settings.models_dir / "colour.npz")
    body = http.get("/api/models/colour/evaluation").json()
    images, labels = cifar10.load_sample()  # no CIFAR-10 in this data dir: the sample
    want = evaluate(colour, cifar10.to_input(images), labels)
    assert body["total"] == 150 and body["accuracy"] == pytest.approx(want["accuracy"])
    assert "150 CIFAR-10 test photos that ship" in body["source"]  # said on the page
    assert [c["label"] for c in body["per_class"]][:2] == ["airplane", "automobile"]
    png = http.get("/api/datasets/cifar10/test/3.png", params={"scale": 2})
    picture = np.asarray(Image.open(io.BytesIO(png.content)))
    assert picture.shape == (64, 64, 3)
    np.testing.assert_array_equal(picture[::2, ::2], images[3].transpose(1, 2, 0))
