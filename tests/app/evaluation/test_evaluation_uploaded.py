"""A model trained on your own data is scored on that data set's test split: the confusion matrix
with its class names, the score the engine's ``evaluate`` gives, the test images as PNGs in
colour; and a clear answer when the upload is gone."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.core.settings import Settings
from app.main import create_app
from engine import image_folder
from engine.model import Model
from engine.train import evaluate
from tests.utils import refused
from tests.zips import make_zip, pattern_bytes

NET = [{"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 3}}, {"type": "relu"},
       {"type": "flatten"}, {"type": "dense", "config": {"out_features": 2}}]  # fmt: skip


@pytest.fixture
def client(tmp_path):
    settings = Settings(
        models_dir=tmp_path / "models", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache"
    )
    with TestClient(create_app(settings)) as c:
        yield c, settings


def test_a_model_of_an_uploaded_data_set_is_scored_on_its_test_split(client):
    http, settings = client
    files = {}
    for c, cls in enumerate(("ants", "bees")):
        for which in ("train", "test"):
            for i in range(4):
                files[f"{which}/{cls}/{i}.png"] = pattern_bytes(12, 10, 100 * c + 10 * i)[0]
    r = http.post(
        "/api/datasets",
        files={"archive": ("insects.zip", make_zip(files), "application/zip")},
        data={"name": "Insects"},
    )
    assert r.status_code == 201, r.text
    dataset = r.json()["id"]
    model = Model.from_spec(NET, (3, 12, 10), seed=3, classes=["ants", "bees"],
                            meta={"dataset": dataset})  # fmt: skip
    http.app.state.registry.add("insects-net", model)

    body = http.get("/api/models/insects-net/evaluation").json()
    folder = image_folder.load(settings.models_dir / ".datasets" / f"{dataset}.npz")
    x, y = folder.images("test")  # (8, 3, 12, 10) in [0, 1]
    want = evaluate(model, x, y)
    assert body["dataset"] == dataset and body["classes"] == ["ants", "bees"]
    assert body["total"] == 8 == int(np.sum(body["confusion"]))
    assert body["accuracy"] == pytest.approx(want["accuracy"])
    assert body["loss"] == pytest.approx(want["loss"], rel=1e-6)

    png = http.get(body["image_url"].format(index=5), params={"scale": 2})
    assert png.status_code == 200, png.text
    picture = np.asarray(Image.open(io.BytesIO(png.content)))
    assert picture.shape == (24, 20, 3)
    np.testing.assert_array_equal(picture[::2, ::2], folder.x_test[5].transpose(1, 2, 0))

    # the upload deleted: its images and a fresh model's score say so
    assert http.delete(f"/api/datasets/{dataset}").status_code == 200
    refused(http.get(body["image_url"].format(index=0)), 404, "no uploaded data set", dataset)
    other = Model.from_spec(NET, (3, 12, 10), seed=4, classes=["ants", "bees"],
                            meta={"dataset": dataset})  # fmt: skip
    http.app.state.registry.add("insects-net-2", other)
    refused(http.get("/api/models/insects-net-2/evaluation"), 422, "insects-net-2", dataset)
