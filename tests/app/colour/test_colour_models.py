"""Weights, maps, one unit's connections, the anatomy of a real layer, backprop and export on a
colour model (a CIFAR-size RGB CNN imported from ONNX), numbers checked with onnxruntime."""

from __future__ import annotations

import io

import numpy as np
import onnxruntime as ort
from PIL import Image

from tests.colour_model import ort_logits, ort_probs

BASE = "/api/models/cifar"


def picture(r) -> np.ndarray:
    assert r.status_code == 200, r.text[:300]
    return np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB")).astype(int)


def test_the_first_layers_filters_are_drawn_in_colour(colour):
    client, model = colour
    r = client.get(f"{BASE}/layers/0/filters.png")
    rgb = picture(r)
    F = model.layers[0].params["weight"].shape[0]
    assert r.headers["X-Page"] == f"0-{F - 1}/{F}"
    assert (np.ptp(rgb, axis=2) > 30).sum() > 100  # coloured tiles
    w = model.layers[3].params["weight"]  # a later layer: as today, one tile per channel
    r = client.get(f"{BASE}/layers/3/filters.png", params={"first": 4, "count": 3})
    assert r.headers["X-Page"] == f"4-6/{w.shape[0]}"
    assert (np.ptp(picture(r), axis=2) > 30).sum() > 0


def test_feature_maps_of_the_photo_in_pages(colour, cat):
    client, _ = colour
    body, _ = cat
    r = client.post(f"{BASE}/layers/0/feature-maps.png", json=body, params={"count": 5})
    assert r.headers["X-Page"] == "0-4/16"
    picture(r)
    r = client.post(f"{BASE}/layers/0/feature-maps.png", json=body, params={"first": 16})
    assert r.status_code == 422 and r.json()["detail"].startswith("first:")


def test_a_units_connections_read_three_channels(colour, cat):
    client, model = colour
    body, x = cat
    d = client.post(f"{BASE}/layers/0/connections", json={**body, "unit": [2, 10, 12]})
    assert d.status_code == 200, d.text[:300]
    d = d.json()
    want = model.forward(x, return_all=True, stop=1)[0][0, 2, 10, 12]
    assert np.isclose(d["value"], want, atol=1e-4)
    (read,) = d["reads"]  # the network input: a 3×3 window in each of R, G, B
    assert read["layer"] == -1 and len(read["channels"]) == 3
    assert np.isclose(read["sum"], d["value"], atol=1e-4)
    assert d["receptive_field"][0]["box"] == [9, 11, 12, 14]
    r = client.get(f"{BASE}/layers/6/receptive-field", params={"row": 4, "col": 4})
    assert r.status_code == 200 and r.json()["boxes"]


def test_the_anatomy_of_the_first_layer_is_m_x_plus_b_on_three_channels(colour, cat):
    client, _ = colour
    body, _ = cat
    r = client.post(f"{BASE}/layers/0/anatomy", json={**body, "filter": 1})
    assert r.status_code == 200, r.text[:300]
    d = r.json()
    assert d["matrix"]["shape_in"][0] == 3 and np.shape(d["input"])[0] == 3
    assert d["matches"] is True and d["max_abs_diff"] <= d["tolerance"]
    m = np.zeros((d["matrix"]["rows"], d["matrix"]["cols"]))
    for row, col, k in d["matrix"]["entries"]:
        m[row, col] = d["matrix"]["kernel"][k]
    got = m @ np.asarray(d["input"]).reshape(-1) + d["matrix"]["bias"]
    scale = max(1.0, float(np.abs(d["feature_map"]).max()))
    assert np.allclose(got, np.asarray(d["feature_map"]).reshape(-1), atol=1e-3 * scale)


def test_backprop_on_a_photo(colour, cat):
    client, _ = colour
    body, x = cat
    r = client.post(f"{BASE}/backprop", json={**body, "target": 5, "learning_rate": 0.01})
    assert r.status_code == 200, r.text[:300]
    d = r.json()
    assert np.asarray(d["grad_input"]).shape == (3, 32, 32)
    assert np.isclose(d["loss"], -np.log(ort_probs(x)[0, 5]), atol=1e-5)
    assert np.allclose(d["probabilities_before"], ort_probs(x)[0], atol=1e-6)
    assert d["loss_after"] < d["loss"]


def test_the_exported_onnx_gives_onnxruntime_the_same_outputs(colour, cat):
    client, model = colour
    _, x = cat
    r = client.get(f"{BASE}/model.onnx")
    assert r.status_code == 200, r.text[:300]
    sess = ort.InferenceSession(r.content, providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {sess.get_inputs()[0].name: x})
    assert np.allclose(got.reshape(1, -1), ort_logits(x), atol=1e-5)


def test_the_digit_only_views_refuse_a_colour_model_by_name(colour, cat):
    client, _ = colour
    body, _ = cat
    for method, path, extra in [
        ("post", "shift", {"dx": 2, "dy": 1}),
        ("post", "shift-curve", {"target": 3}),
    ]:  # (top activations read the model's data set or the photos: test_colour_filters.py)
        url = f"{BASE}/{path}"
        r = client.get(url) if method == "get" else client.post(url, json={**body, **extra})
        assert r.status_code == 422, (path, r.status_code, r.text[:200])
        assert r.json()["detail"].startswith("model_id:"), r.text[:200]
