"""The shipped model, ``models/mnist-cnn.npz``, served by the app (skipped until it exists)."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import REPO_ROOT, Settings
from app.main import create_app
from engine import data

SHIPPED = REPO_ROOT / "models" / "mnist-cnn.npz"


@pytest.mark.skipif(not SHIPPED.exists(), reason="models/mnist-cnn.npz not trained yet")
def test_shipped_model_is_the_default_and_reads_real_test_digits():
    with TestClient(create_app(Settings())) as client:
        models = client.get("/api/models").json()
        assert models["default"] == "mnist-cnn"
        info = next(m for m in models["models"] if m["id"] == "mnist-cnn")
        assert info["input_shape"] == [1, 28, 28] and info["dataset"] == "mnist"
        assert info["test_accuracy"] is None or 0.9 < info["test_accuracy"] <= 1.0
        try:
            images, labels = data.load_dataset("mnist", "test", REPO_ROOT / "data")
        except FileNotFoundError:
            pytest.skip("MNIST test set not in data/")
        correct = 0
        for image, label in zip(images[:20], labels[:20], strict=True):
            pixels = (np.asarray(image, dtype=np.float64) / 255).tolist()
            r = client.post("/api/models/mnist-cnn/predict", json={"pixels": pixels})
            assert r.status_code == 200
            correct += r.json()["prediction"] == int(label)
        assert correct >= 19
