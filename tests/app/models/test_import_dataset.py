"""A colour model imported for CIFAR-10 takes that data set's labels, as a digit model takes
MNIST's."""

from __future__ import annotations

from engine import cifar10
from tests.utils import upload


def test_a_cifar10_import_is_labelled_with_its_classes(make_client, tmp_path):
    client = make_client(models_dir=tmp_path)
    r = upload(client, "image/cifar_cnn.onnx", "CIFAR import", dataset="cifar10")
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["dataset"] == "cifar10" and info["classes"] == list(cifar10.CLASSES)
