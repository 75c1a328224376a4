"""``app/explain/filters.py``: the top-activating digits of each filter (on a small fake
test set, cached on disk) and activation maximisation, JSON and PNG, and their refusals."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from engine import explain
from tests.utils import TINY_ID, decode_png, refused

API = f"/api/models/{TINY_ID}/explain"

# -- top-activating digits -------------------------------------------------------------------------


def write_idx(path, array: np.ndarray) -> None:
    """An IDX file (MNIST's format), gzipped: magic, dimensions, then the uint8 bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    """A 60-digit stand-in for the MNIST test set: random strokes, labels 0..9."""
    root = tmp_path_factory.mktemp("data")
    (root / "mnist").mkdir()
    rng = np.random.default_rng(0)
    images = (rng.random((60, 28, 28)) > 0.8).astype(np.uint8) * rng.integers(
        100, 256, (60, 28, 28)
    )
    labels = np.arange(60) % 10
    write_idx(root / "mnist" / "t10k-images-idx3-ubyte.gz", images)
    write_idx(root / "mnist" / "t10k-labels-idx1-ubyte.gz", labels)
    return root, images.astype(np.uint8), labels


def test_top_activations_are_the_engines_and_are_cached(make_client, fake_mnist, tmp_path, model):
    root, images, labels = fake_mnist
    client = make_client(data_dir=root, cache_dir=tmp_path, max_top_k=5)
    r = client.get(f"{API}/layers/3/top-activations", params={"k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["layer"] == 3 and body["k"] == 3 and body["receptive_field"] == [8, 8]
    assert len(body["filters"]) == 4 and not body["cached"]
    assert len(list(tmp_path.glob("top-activations-*.npz"))) == 1
    want = explain.top_activations(model, images, k=5).layers[3]
    for f, entry in enumerate(body["filters"]):
        assert [e["index"] for e in entry["examples"]] == want.index[f, :3].tolist()
        e = entry["examples"][0]
        assert e["label"] == str(labels[e["index"]])
        assert e["value"] == pytest.approx(float(want.value[f, 0]), rel=1e-5)
        np.testing.assert_allclose(e["patch"], want.patches[f, 0] / 255, atol=1e-3)
    one = client.get(f"{API}/layers/3/top-activations", params={"filter": 2, "k": 5}).json()
    assert [f["filter"] for f in one["filters"]] == [2] and len(one["filters"][0]["examples"]) == 5
    # a new app over the same cache dir reads the table from disk
    again = make_client(data_dir=root, cache_dir=tmp_path, max_top_k=5)
    assert again.get(f"{API}/layers/0/top-activations").json()["cached"] is True
    img = decode_png(client.get(f"{API}/layers/0/top-activations.png", params={"k": 2}))
    assert img.width > 2 * 30


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("layers/1/top-activations", {}, 404, ["index", "not a conv2d", "0 (", "3 ("]),
        ("layers/0/top-activations", {"filter": 3}, 422, ["filter", "0 to 2"]),
        ("layers/0/top-activations", {"k": 6}, 422, ["k", "max_top_k = 5"]),
        ("layers/9/top-activations", {}, 404, ["index"]),
        ("layers/0/maximise", {"steps": 10_000}, 422, ["steps", "max_maximise_steps"]),
        ("layers/7/maximise", {}, 404, ["index", "no units"]),
        ("layers/0/maximise", {"objective": "max"}, 422, ["objective"]),
    ],
)
def test_filter_endpoints_refuse_bad_queries(
    make_client, fake_mnist, tmp_path, path, params, status, words
):
    client = make_client(data_dir=fake_mnist[0], cache_dir=tmp_path, max_top_k=5)
    refused(client.get(f"{API}/{path}", params=params), status, *words)


def test_top_activations_without_the_test_set_is_503(client):
    refused(client.get(f"{API}/layers/0/top-activations"), 503, "MNIST")


# -- activation maximisation ----------------------------------------------------------------------


def test_maximise_is_deterministic_and_raises_the_activation(client, model):
    params = {"filter": 1, "steps": 12, "seed": 3}
    a = client.get(f"{API}/layers/3/maximise", params=params).json()
    b = client.get(f"{API}/layers/3/maximise", params=params).json()
    assert a == b
    (f,) = a["filters"]
    assert f["filter"] == 1 and f["activation"] > f["initial"]
    # conv2's centre unit (3, 3) of 6×6 sees input rows/cols 11..18 (conv1 pad 1, pool 2, stride 2)
    assert a["box"] == [11, 11, 19, 19]
    image = np.asarray(f["image"])
    assert image.shape == (28, 28) and image.min() >= 0 and image.max() <= 1
    want = explain.maximise_activation(model, 3, [1], steps=12, seed=3)
    np.testing.assert_allclose(image, want.images[0, 0], atol=1e-4)
    img = decode_png(client.get(f"{API}/layers/0/maximise.png", params={"steps": 4}))
    assert img.width > 3 * 28


def test_a_digit_models_unit_is_visualised_as_ink(client):
    r = client.get(f"{API}/layers/3/visualise", params={"unit": 1, "steps": 16, "seed": 1})
    assert r.status_code == 200, r.text
    d = r.json()
    image = np.asarray(d["image"])
    assert image.shape == (28, 28) and 0 <= image.min() <= image.max() <= 1  # ink, H × W
    assert d["activation"] > d["initial"] and len(d["history"]) == 17
    assert decode_png(client.get(f"{API}/layers/3/visualise.png", params={"unit": 1})).width > 28
