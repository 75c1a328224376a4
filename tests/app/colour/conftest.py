"""A CIFAR-size RGB CNN imported from ONNX (tests/fixtures/onnx/image/cifar_cnn.onnx) served as
``cifar``, with ImageNet's mean and std; a real CIFAR-10 photo as ``pixels`` (H×W×3) and as the
network input onnxruntime is given."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from engine.onnx_import import import_onnx
from engine.ops.activation import softmax
from tests.engine.onnx_images import IMAGES, MEAN, STD, fixture, run_onnxruntime

ROOT = IMAGES.parents[3]
CONVENTION = {"channels": "rgb", "mean": MEAN.ravel().tolist(), "std": STD.ravel().tolist()}
DECLARED = ["N", 3, 32, 32]


def photo(name: str = "cat_0003.jpg") -> np.ndarray:
    """A CIFAR-10 test photo, (32, 32, 3) in [0, 1]."""
    path = ROOT / "tests" / "fixtures" / "cifar-sample" / name
    return np.asarray(Image.open(path).convert("RGB"), np.float64) / 255.0


def as_network(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) in [0, 1] → (1, 3, H, W) float32, normalised as the model was trained."""
    x = rgb.transpose(2, 0, 1)[None].astype(np.float32)
    return ((x - MEAN) / STD).astype(np.float32)


def ort_logits(x: np.ndarray) -> np.ndarray:
    """onnxruntime's class scores for NCHW ``x``: (N, K)."""
    (out,) = run_onnxruntime(fixture("cifar_cnn.onnx"), x, DECLARED).values()
    return out.reshape(len(x), -1)


def ort_probs(x: np.ndarray) -> np.ndarray:
    return softmax(ort_logits(x).astype(np.float64))


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
