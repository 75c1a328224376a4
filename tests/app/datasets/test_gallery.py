"""``GET /api/gallery`` and ``/api/gallery/{index}.png``: real MNIST test digits."""

import io

import numpy as np
import pytest
from PIL import Image

from app.core.settings import REPO_ROOT
from engine.data import load_dataset

DATA_DIR = REPO_ROOT / "data"


@pytest.fixture(scope="module")
def test_set():
    try:
        return load_dataset("mnist", "test", DATA_DIR)
    except FileNotFoundError:
        pytest.skip("the MNIST test set is not shipped in data/")


@pytest.fixture
def gallery_client(make_client, test_set):
    return make_client(data_dir=DATA_DIR)


def test_gallery_returns_digits_with_their_true_labels(gallery_client, test_set):
    images, labels = test_set
    r = gallery_client.get("/api/gallery", params={"count": 3, "offset": 10})
    assert r.status_code == 200
    body = r.json()
    assert body["dataset"] == "mnist"
    assert body["total"] == len(images) == 10_000
    assert body["offset"] == 10
    assert [it["index"] for it in body["items"]] == [10, 11, 12]
    for item in body["items"]:
        i = item["index"]
        assert item["label"] == str(labels[i])
        assert item["target"] == int(labels[i])
        pixels = np.array(item["pixels"])
        assert pixels.shape == (28, 28)
        np.testing.assert_allclose(pixels, images[i] / 255.0, atol=1e-4)


def test_gallery_stops_at_the_end_of_the_test_set(gallery_client):
    body = gallery_client.get("/api/gallery", params={"count": 5, "offset": 9_998}).json()
    assert [it["index"] for it in body["items"]] == [9_998, 9_999]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"count": 0}, "count"), ({"count": 101}, "count"), ({"offset": -1}, "offset")],
)
def test_gallery_refuses_out_of_range_queries(gallery_client, params, field):
    r = gallery_client.get("/api/gallery", params=params)
    assert r.status_code == 422
    assert field in r.json()["detail"]


def test_gallery_offset_past_the_end_is_404_naming_the_range(gallery_client):
    r = gallery_client.get("/api/gallery", params={"offset": 10_000})
    assert r.status_code == 404
    assert r.json()["detail"] == "offset: the mnist test set has images 0 to 9999, got 10000"


def test_gallery_png_is_the_digit(gallery_client, test_set):
    images, _ = test_set
    r = gallery_client.get("/api/gallery/7.png", params={"scale": 2})
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    img = np.asarray(Image.open(io.BytesIO(r.content)))
    assert img.shape == (56, 56)
    np.testing.assert_array_equal(img[::2, ::2], images[7])


def test_gallery_png_unknown_index_is_404(gallery_client):
    assert gallery_client.get("/api/gallery/10000.png").status_code == 404


def test_gallery_without_the_data_says_what_is_missing(make_client, tmp_path):
    r = make_client(data_dir=tmp_path).get("/api/gallery")
    assert r.status_code == 404  # not installed here; the detail says how to get it
    assert "t10k-images-idx3-ubyte" in r.json()["detail"]


def test_gallery_refuses_an_unknown_dataset(gallery_client):
    r = gallery_client.get("/api/gallery", params={"dataset": "imagenet"})
    assert r.status_code == 422
    assert "dataset" in r.json()["detail"]
