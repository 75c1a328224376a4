"""The seeds' volumes on the real thing: ``cifar10-lenet``'s first layer (6 filters of 5×5×3) on
a real CIFAR-10 test photo. A 32×32×3 image convolved with a 5×5×3 filter gives a 28×28 map, six
filters give six maps, and M·x + b rebuilt from the JSON is the layer's output the engine's
forward pass computes for that photo."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import REPO_ROOT
from app.main import create_app
from engine import cifar10
from engine.model import Model
from tests.utils import data_url, matrix_times, png

LENET = REPO_ROOT / "models" / "cifar10-lenet.npz"


@pytest.fixture(scope="module")
def lenet(settings):
    if not LENET.is_file():
        pytest.skip("models/cifar10-lenet.npz is not here")
    model = Model.load(LENET)
    with TestClient(create_app(settings)) as client:
        client.app.state.registry.add("cifar10-lenet", model)
        yield client, model


@pytest.mark.parametrize("index", [0, 42])  # an airplane, a bird: photos from the gallery
def test_matrix_times_the_photo_is_the_first_layers_output(lenet, index):
    client, model = lenet
    item = client.get(
        "/api/gallery", params={"model": "cifar10-lenet", "offset": index, "count": 1}
    )
    pixels = item.json()["items"][0]["pixels"]  # (32, 32, 3) in [0, 1]
    r = client.post(
        "/api/models/cifar10-lenet/layers/0/anatomy",
        json={"pixels": pixels, "preprocess": False, "filter": 4},
    )
    assert r.status_code == 200, r.text
    d = r.json()
    # the seeds' volumes: 32×32×3 ⊛ 5×5×3 → 28×28; six filters → six maps
    assert d["matrix"]["shape_in"] == [3, 32, 32] and d["matrix"]["kernel_shape"] == [3, 5, 5]
    assert np.shape(d["feature_map"]) == (28, 28) and np.shape(d["feature_maps"]) == (6, 28, 28)
    assert d["matrix"]["rows"] == 28 * 28 and d["matrix"]["cols"] == 3 * 32 * 32
    # the photo's own numbers are the layer's input (the model takes pixels / 255 as they are)
    images, _ = cifar10.load_sample()
    photo = images[index].astype(np.float64) / 255.0  # (3, 32, 32)
    np.testing.assert_allclose(d["input"], photo, atol=1e-4)
    # the engine's forward pass on the same photo (the pixels as sent), every filter
    x = np.asarray(pixels, np.float32).transpose(2, 0, 1)[None]  # (32, 32, 3) -> (1, 3, 32, 32)
    want = model.forward(x, stop=1)[0]  # (6, 28, 28): conv1's output
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(d["feature_maps"], want, atol=1e-4 * scale)
    # M·x + b from the JSON alone equals that output for filter 4
    got = matrix_times(d["matrix"], d["input"])  # (784,)
    np.testing.assert_allclose(got, want[4].reshape(-1), atol=1e-3 * scale)
    assert d["matches"] is True and d["max_abs_diff"] <= d["tolerance"]
    # the written-out step: 75 products, and their sum is that output
    i, j = d["output"]
    assert len(d["step"]["terms"]) == 75
    assert d["step"]["sum"] == pytest.approx(float(want[4, i, j]), abs=1e-4 * scale)


def test_an_uploaded_photo_is_resized_to_the_models_32_by_32(lenet):
    client, _ = lenet
    big = np.zeros((64, 96, 3), np.uint8)
    big[:, :48] = (200, 30, 30)  # red left half, black right half
    r = client.post(
        "/api/models/cifar10-lenet/layers/0/anatomy",
        json={"image": data_url(png(big)), "filter": 0},
    )
    assert r.status_code == 200, r.text
    d = r.json()
    assert np.shape(d["network_input"]) == (3, 32, 32) and d["matches"] is True
    red = np.asarray(d["network_input"])[0]
    assert red[:, :14].min() > 0.7 and red[:, 18:].max() < 0.05  # stretched to 32×32
