"""``/api/models``: listing, detail, running a model on a drawing, activations, feature maps
and filters. (Bad drawings and oversized bodies: ``test_models_input.py``; weight matrices:
``test_weight_matrix.py``.)"""

from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image

from engine.preprocess import preprocess
from tests.utils import (
    TINY_ID,
    data_url,
    decode_png,
    draw_seven,
    png,
    refused,
    seven_pixels,
    tiny_model,
)

API = f"/api/models/{TINY_ID}"
MODEL_INFO = {
    "id", "name", "dataset", "classes", "input_shape", "num_params", "test_accuracy", "input",
    "source",
}  # fmt: skip
LAYER_INFO = {
    "index",
    "name",
    "type",
    "config",
    "inputs",
    "input_shape",
    "input_shapes",
    "output_shape",
    "num_params",
}
LAYER_TYPES = {
    "conv2d", "relu", "maxpool2d", "avgpool2d", "minpool2d", "globalavgpool", "globalmaxpool",
    "flatten", "dense", "softmax",
}  # fmt: skip
N_LAYERS = 8  # conv, relu, pool, conv, relu, flatten, dense, softmax


# -- listing and detail -------------------------------------------------------------------


def test_list_models(client, model):
    r = client.get("/api/models")
    assert r.status_code == 200
    body = r.json()
    assert body["default"] == TINY_ID
    (info,) = body["models"]
    assert set(info) == MODEL_INFO
    assert info["id"] == TINY_ID
    assert info["name"] == "Tiny test CNN"
    assert info["dataset"] == "none"
    assert info["classes"] == [str(i) for i in range(10)]
    assert info["input_shape"] == [1, 28, 28]
    assert info["num_params"] == model.num_params
    assert info["test_accuracy"] == 0.5


def test_model_detail_has_the_layers(client, model):
    r = client.get(API)
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= MODEL_INFO
    assert len(body["layers"]) == N_LAYERS
    assert all(set(layer) == LAYER_INFO for layer in body["layers"])
    assert all(layer["type"] in LAYER_TYPES for layer in body["layers"])
    assert body["layers"] == model.layer_info()
    conv = body["layers"][3]["config"]
    assert conv["kernel_size"] == [3, 3] and conv["stride"] == [2, 2]
    assert {"in_channels", "out_channels", "padding", "dilation"} <= set(conv)
    assert body["layers"][2]["config"] == {
        "kernel_size": [2, 2],
        "stride": [2, 2],
        "padding": [0, 0],
    }
    assert body["layers"][6]["config"]["out_features"] == 10
    assert body["card"]["description"] == "a card beside the weights"


def test_one_layer(client, model):
    r = client.get(f"{API}/layers/3")
    assert r.status_code == 200
    assert r.json() == model.layer_info()[3]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/models/nope"),
        ("post", "/api/models/nope/predict"),
        ("post", "/api/models/nope/activations"),
        ("post", "/api/models/nope/layers/0/feature-maps.png"),
        ("get", "/api/models/nope/layers/0/filters"),
        ("get", "/api/models/nope/layers/0/filters.png"),
        ("get", "/api/models/nope/layers/0/weight-matrix"),
        ("get", "/api/models/nope/layers/0/weight-matrix.png"),
    ],
)
def test_unknown_model_is_404_naming_it(client, method, path):
    kwargs = {"json": {"pixels": [[0.0] * 8] * 8}} if method == "post" else {}
    refused(getattr(client, method)(path, **kwargs), 404, "'nope'", "tiny")


@pytest.mark.parametrize("index", [N_LAYERS, 99, -1])
@pytest.mark.parametrize("what", ["", "/filters", "/filters.png", "/weight-matrix"])
def test_unknown_layer_is_404_naming_the_range(client, index, what):
    refused(client.get(f"{API}/layers/{index}{what}"), 404, f"layers 0 to {N_LAYERS - 1}")


def test_layer_index_must_be_an_integer(client):
    refused(client.get(f"{API}/layers/abc/filters"), 422, "index (path)")


# -- predict ------------------------------------------------------------------------------


def test_predict_from_pixels(client, model):
    r = client.post(f"{API}/predict", json={"pixels": seven_pixels()})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"prediction", "label", "probabilities", "top", "input"}
    probs = np.asarray(body["probabilities"])
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert body["prediction"] == int(np.argmax(probs))
    assert [t["class"] for t in body["top"]] == list(np.argsort(-probs, kind="stable")[:5])
    assert [t["probability"] for t in body["top"]] == sorted(probs, reverse=True)[:5]
    assert body["top"][0]["label"] == body["label"]
    assert body["label"] == str(body["prediction"])
    x = np.asarray(body["input"])
    assert x.shape == (28, 28) and x.min() >= 0 and x.max() <= 1 and x.max() > 0.9
    expected = model.predict_proba(x[None, None].astype(np.float32))[0]
    np.testing.assert_allclose(probs, expected, atol=1e-3)  # input is rounded to 3 decimals


def test_predict_without_preprocessing_only_resizes(client):
    pixels = np.zeros((28, 28))
    pixels[0:4, 0:4] = 1.0  # preprocessing would move this to the centre
    r = client.post(f"{API}/predict", json={"pixels": pixels.tolist(), "preprocess": False})
    assert r.status_code == 200
    np.testing.assert_array_equal(np.asarray(r.json()["input"]), pixels)


def test_blank_drawing_is_valid(client):
    r = client.post(f"{API}/predict", json={"pixels": [[0.0] * 28] * 28})
    assert r.status_code == 200
    assert not np.asarray(r.json()["input"]).any()


def test_predict_from_png_data_url_and_bare_base64_and_jpeg(client):
    data = png(draw_seven())
    results = [
        client.post(f"{API}/predict", json={"image": image}).json()
        for image in (
            data_url(data),
            base64.b64encode(data).decode(),
            data_url(png(draw_seven().convert("RGB"), "JPEG"), "image/jpeg"),
        )
    ]
    assert results[0] == results[1]
    # JPEG's ringing shifts grey levels a little (and the untrained model's guess with them)
    assert len(results[2]["probabilities"]) == 10
    jpeg, exact = np.ravel(results[2]["input"]), np.ravel(results[0]["input"])
    assert np.corrcoef(jpeg, exact)[0, 1] > 0.9


def test_dark_on_light_light_on_dark_and_transparent_canvas_predict_the_same(client):
    transparent = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    transparent.putalpha(draw_seven(ink=255, background=0))
    images = [draw_seven(ink=0, background=255), draw_seven(ink=255, background=0), transparent]
    results = [
        client.post(f"{API}/predict", json={"image": data_url(png(img))}).json() for img in images
    ]
    assert results[0]["prediction"] == results[1]["prediction"] == results[2]["prediction"]
    for other in results[1:]:
        np.testing.assert_allclose(other["probabilities"], results[0]["probabilities"], atol=1e-6)
        np.testing.assert_allclose(other["input"], results[0]["input"], atol=1e-3)


# -- activations --------------------------------------------------------------------------


def test_activations_one_entry_per_layer_matching_the_engine(client, model):
    r = client.post(f"{API}/activations", json={"pixels": seven_pixels()})
    assert r.status_code == 200
    body = r.json()
    assert {"prediction", "label", "probabilities", "input", "layers"} <= set(body)
    x = preprocess(np.asarray(seven_pixels(), dtype=np.float32))  # what the server does
    np.testing.assert_allclose(body["input"], x, atol=5e-4)  # sent rounded to 3 decimals
    expected = model.forward(x[None, None], return_all=True)
    assert len(body["layers"]) == N_LAYERS
    for i, (out, info, want) in enumerate(
        zip(body["layers"], model.layer_info(), expected, strict=True)
    ):
        assert set(out) == {"index", "name", "type", "shape", "min", "max", "scale", "data"}
        assert (out["index"], out["name"], out["type"]) == (i, info["name"], info["type"])
        assert out["shape"] == info["output_shape"]
        data = np.asarray(out["data"])
        assert list(data.shape) == out["shape"]
        peak = float(max(np.abs(want).max(), 1e-6))  # pytest.approx takes Python floats only
        assert out["min"] == pytest.approx(data.min(), abs=1e-4 * peak)
        assert out["max"] == pytest.approx(data.max(), abs=1e-4 * peak)
        np.testing.assert_allclose(data, want[0], atol=1e-4 * peak)  # 5 significant digits
    np.testing.assert_allclose(body["layers"][-1]["data"], body["probabilities"], atol=1e-4)


def test_activations_are_rounded_to_keep_the_payload_small(client):
    r = client.post(f"{API}/activations", json={"pixels": seven_pixels()})
    for layer in r.json()["layers"]:
        flat = np.asarray(layer["data"]).reshape(-1)
        peak = np.abs(flat).max()
        if peak > 0:
            digits = 5 - 1 - int(np.floor(np.log10(peak)))
            np.testing.assert_array_equal(flat, np.round(flat, digits))


# -- feature maps -------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(N_LAYERS))
def test_feature_maps_png_for_every_layer(client, model, index):
    r = client.post(f"{API}/layers/{index}/feature-maps.png", json={"pixels": seven_pixels()})
    img = decode_png(r)
    assert img.width >= 100 and img.height >= 60
    assert float(r.headers["x-value-min"]) <= float(r.headers["x-value-max"])


def test_feature_maps_png_layer_out_of_range(client):
    r = client.post(f"{API}/layers/{N_LAYERS}/feature-maps.png", json={"pixels": seven_pixels()})
    refused(r, 404, "index", f"0 to {N_LAYERS - 1}")


# -- filters ------------------------------------------------------------------------------


def test_conv_filters(client, model):
    r = client.get(f"{API}/layers/3/filters")
    assert r.status_code == 200
    body = r.json()
    w, b = model.layers[3].params["weight"], model.layers[3].params["bias"]
    assert body["shape"] == [4, 3, 3, 3] == list(w.shape)
    np.testing.assert_array_equal(np.asarray(body["weights"], dtype=np.float32), w)
    np.testing.assert_array_equal(np.asarray(body["bias"], dtype=np.float32), b)
    assert body["min"] == pytest.approx(float(w.min()))
    assert body["max"] == pytest.approx(float(w.max()))


def test_dense_filters(client, model):
    body = client.get(f"{API}/layers/6/filters").json()
    assert body["shape"] == [10, 4 * 6 * 6] == list(model.layers[6].params["weight"].shape)
    assert np.asarray(body["weights"]).shape == (10, 144)
    assert len(body["bias"]) == 10


@pytest.mark.parametrize("index", [1, 2, 5, 7])
@pytest.mark.parametrize("what", ["filters", "filters.png"])
def test_layers_without_weights_have_no_filters(client, index, what):
    refused(client.get(f"{API}/layers/{index}/{what}"), 404, "has no weights", "0 (conv1)")


@pytest.mark.parametrize("index", [0, 3, 6])
def test_filters_png(client, index):
    img = decode_png(client.get(f"{API}/layers/{index}/filters.png"))
    assert img.width >= 100


def test_the_test_model_is_the_served_model(model):
    """Guard: the fixture builds the same weights the app loaded."""
    for a, b in zip(tiny_model().params().values(), model.params().values(), strict=True):
        np.testing.assert_array_equal(a, b)
