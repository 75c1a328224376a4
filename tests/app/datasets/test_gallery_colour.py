"""``GET /api/gallery`` on colour data: CIFAR-10's test photos (the shipped sample when the full
test set is not in the data directory), chosen by ``dataset`` or by a colour model's own data
set, and a clear 404 when neither the full set nor the sample is there."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from engine import cifar10
from engine.model import Model
from tests.utils import refused

SPEC = [{"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 5}}, {"type": "relu"},
        {"type": "flatten"}, {"type": "dense", "config": {"out_features": 10}}]  # fmt: skip


@pytest.fixture
def photos(make_client, tmp_path):
    """A client whose data directory holds no CIFAR-10, serving a colour model ``colour``."""
    client = make_client(data_dir=tmp_path)
    colour = Model.from_spec(
        SPEC, (3, 32, 32), seed=2, classes=cifar10.CLASSES, meta={"dataset": "cifar10"}
    )
    client.app.state.registry.add("colour", colour)
    return client


def test_the_cifar10_gallery_serves_the_shipped_photos_as_image_input_pixels(photos):
    images, labels = cifar10.load_sample()  # (150, 3, 32, 32) uint8
    body = photos.get("/api/gallery", params={"dataset": "cifar10", "count": 3, "offset": 15})
    assert body.status_code == 200
    body = body.json()
    assert body["dataset"] == "cifar10" and body["total"] == 150 == len(images)
    assert body["image_shape"] == [3, 32, 32]
    assert "150 CIFAR-10 test photos" in body["source"]
    for item in body["items"]:
        i = item["index"]
        assert item["label"] == cifar10.CLASSES[labels[i]] and item["target"] == labels[i]
        pixels = np.array(item["pixels"])  # H×W×3, as an ImageInput takes them
        assert pixels.shape == (32, 32, 3)
        np.testing.assert_allclose(pixels, images[i].transpose(1, 2, 0) / 255.0, atol=1e-4)
    assert body["items"][0]["label"] == "automobile"  # 15 per class, in class order


def test_a_colour_models_gallery_is_its_own_data_set(photos):
    body = photos.get("/api/gallery", params={"model": "colour", "count": 1}).json()
    assert body["dataset"] == "cifar10" and np.array(body["items"][0]["pixels"]).shape[-1] == 3
    # the gallery's pixels go straight back as the model's input
    r = photos.post("/api/models/colour/predict", json={"pixels": body["items"][0]["pixels"]})
    assert r.status_code == 200, r.text
    refused(
        photos.get("/api/gallery", params={"model": "colour", "dataset": "mnist"}),
        422,
        "dataset",
        "cifar10",
    )
    refused(photos.get("/api/gallery", params={"model": "nope"}), 404, "model")


def test_the_cifar10_gallery_png_is_the_photo_in_colour(photos):
    images, _ = cifar10.load_sample()
    r = photos.get("/api/gallery/20.png", params={"model": "colour", "scale": 3})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    picture = np.asarray(Image.open(io.BytesIO(r.content)))
    assert picture.shape == (96, 96, 3)
    np.testing.assert_array_equal(picture[::3, ::3], images[20].transpose(1, 2, 0))
    refused(photos.get("/api/gallery/150.png", params={"dataset": "cifar10"}), 404, "0 to 149")


def test_without_cifar10_or_the_sample_the_gallery_says_how_to_get_it(
    photos, tmp_path, monkeypatch
):
    monkeypatch.setattr(cifar10, "SAMPLE_DIR", tmp_path / "no-sample")
    r = photos.get("/api/gallery", params={"model": "colour"})
    detail = refused(r, 404, "cifar10")
    assert "python -m engine download --dataset cifar10" in detail
    assert cifar10.ZIP in detail
