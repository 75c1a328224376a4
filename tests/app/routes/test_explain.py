"""``/api/models/{id}/explain``: the four attribution maps (JSON and PNG), the top-activating
digits (on a small fake test set, cached on disk) and activation maximisation."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from engine import explain
from engine.preprocess import preprocess
from tests.app.conftest import TINY_ID, data_url, draw_seven, png
from tests.app.routes.test_models import decode_png, refused, seven_pixels

API = f"/api/models/{TINY_ID}/explain"
METHODS = ["saliency", "gradcam", "occlusion", "integrated-gradients"]


def network_x(pixels) -> np.ndarray:
    """What the app feeds the model for ``pixels`` (preprocessed): (1, 1, 28, 28)."""
    return preprocess(np.asarray(pixels, dtype=np.float32))[None, None]


# -- the four maps -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_each_method_explains_the_predicted_class_by_default(client, model, method):
    pixels = seven_pixels()
    r = client.post(f"{API}/{method}", json={"pixels": pixels})
    assert r.status_code == 200, r.text
    body = r.json()
    probs = model.predict_proba(network_x(pixels))[0]
    assert body["method"] == method
    assert body["target"] == body["prediction"] == int(probs.argmax())
    assert body["label"] == model.classes[body["target"]]
    assert body["shape"] == [28, 28] and np.asarray(body["map"]).shape == (28, 28)
    assert body["min"] == pytest.approx(np.min(body["map"]), abs=1e-4)
    assert body["max"] == pytest.approx(np.max(body["map"]), abs=1e-4)
    np.testing.assert_allclose(body["probabilities"], probs, atol=1e-5)


def test_saliency_matches_the_engine_for_any_class(client, model):
    pixels = seven_pixels()
    r = client.post(f"{API}/saliency", json={"pixels": pixels, "target": 3})
    body = r.json()
    want = explain.saliency(model, network_x(pixels), 3)
    assert body["target"] == 3 and body["score_kind"] == "logit"
    assert body["score"] == pytest.approx(float(want.score[0]), rel=1e-5)
    np.testing.assert_allclose(
        body["map"], want.saliency[0], rtol=1e-3, atol=1e-4 * want.saliency.max()
    )
    assert np.asarray(body["gradient"]).shape == (1, 28, 28)


def test_gradcam_layer_and_upsampling(client, model):
    r = client.post(
        f"{API}/gradcam", json={"pixels": seven_pixels(), "layer": 2, "upsample": "nearest"}
    )
    body = r.json()
    assert r.status_code == 200, r.text
    assert body["layer"] == 2 and body["layer_name"] == model.layers[2].name
    assert body["layer_shape"] == [3, 14, 14] and np.asarray(body["raw"]).shape == (14, 14)
    assert len(body["weights"]) == 3 and body["upsample"] == "nearest"
    assert body["min"] >= 0
    default = client.post(f"{API}/gradcam", json={"pixels": seven_pixels()}).json()
    assert default["layer"] == 4  # the ReLU after the last conv


def test_occlusion_grid_and_integrated_gradients_completeness(client):
    body = client.post(
        f"{API}/occlusion", json={"pixels": seven_pixels(), "patch": 7, "stride": 7}
    ).json()
    assert body["rows"] == body["cols"] == [0, 7, 14, 21]
    assert np.asarray(body["drops"]).shape == (4, 4) and body["score_kind"] == "probability"
    ig = client.post(
        f"{API}/integrated-gradients", json={"pixels": seven_pixels(), "steps": 256}
    ).json()
    gap = ig["score"] - ig["baseline_score"]
    assert abs(ig["total"] - gap) < 0.02 * np.abs(ig["map"]).sum()  # completeness
    assert ig["delta"] == pytest.approx(ig["total"] - gap, abs=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_png_overlays_the_map_on_the_input(client, method):
    image = data_url(png(draw_seven()))
    r = client.post(f"{API}/{method}.png", json={"image": image, "target": 7})
    img = decode_png(r)
    assert img.width >= 280 and img.height > 280  # 28×28 at 10 px, plus title and colour bar
    assert float(r.headers["X-Value-Min"]) <= float(r.headers["X-Value-Max"])


@pytest.mark.parametrize(
    ("path", "extra", "status", "words"),
    [
        ("saliency", {"target": 10}, 422, ["target", "0 to 9", "10"]),
        ("saliency", {"target": -1}, 422, ["target"]),
        ("gradcam", {"layer": 5}, 422, ["layer", "[0, 1, 2, 3, 4]"]),
        ("gradcam", {"upsample": "cubic"}, 422, ["upsample"]),
        ("occlusion", {"patch": 29}, 422, ["patch", "28×28"]),
        ("occlusion", {"stride": 0}, 422, ["stride"]),
        ("occlusion", {"value": 2}, 422, ["value"]),
        ("occlusion", {"patch": 1, "stride": 1}, 422, ["max_occlusion_patches", "784"]),
        ("integrated-gradients", {"steps": 100_000}, 422, ["steps", "max_ig_steps"]),
        ("integrated-gradients", {"steps": 0}, 422, ["steps"]),
    ],
)
def test_bad_parameters_are_4xx_naming_the_field_and_limit(make_client, path, extra, status, words):
    client = make_client(max_occlusion_patches=500)
    refused(client.post(f"{API}/{path}", json={"pixels": seven_pixels(), **extra}), status, *words)


def test_bad_input_and_unknown_model(client):
    refused(client.post(f"{API}/saliency", json={}), 422, "image", "pixels")
    refused(
        client.post("/api/models/nope/explain/saliency", json={"pixels": seven_pixels()}),
        404,
        "nope",
    )


def test_limits_report_the_explanation_bounds(client, settings):
    limits = client.get("/api/limits").json()
    for name in (
        "max_ig_steps",
        "max_occlusion_patches",
        "max_top_k",
        "max_maximise_steps",
        "max_color_side",
    ):
        assert limits[name] == getattr(settings, name) > 0


def test_info_lists_the_layers(client):
    body = client.get(API).json()
    assert body["methods"] == METHODS
    assert [layer["index"] for layer in body["gradcam_layers"]] == [0, 1, 2, 3, 4]
    assert body["default_gradcam_layer"] == 4
    assert [(c["index"], c["filters"], c["receptive_field"]) for c in body["conv_layers"]] == [
        (0, 3, [3, 3]),
        (3, 4, [8, 8]),
    ]


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
