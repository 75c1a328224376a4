"""A CIFAR-size RGB CNN imported from ONNX (tests/fixtures/onnx/image/cifar_cnn.onnx) served as
``cifar``, with ImageNet's mean and std; a real CIFAR-10 photo as ``pixels`` (H×W×3) and as the
network input onnxruntime is given."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from engine.onnx_import import import_onnx
from tests.colour_model import CONVENTION, as_network, photo
from tests.engine.onnx_images import fixture


@pytest.fixture(scope="module")
def colour(settings):
    """``(client, model)``: the app serving the imported colour model as ``cifar``."""
    model = import_onnx(fixture("cifar_cnn.onnx"), name="cifar", convention=CONVENTION)
    with TestClient(create_app(settings)) as client:
        client.app.state.registry.add("cifar", model)
        yield client, model


@pytest.fixture(scope="module")
def cat():
    """The photo as the request's ``pixels`` and as the network input."""
    rgb = photo()
    return {"pixels": rgb.tolist()}, as_network(rgb)
