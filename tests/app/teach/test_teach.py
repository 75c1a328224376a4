"""The teaching views' API: backprop on one drawing, the flattened digit and its permutation
test, translation, and the hand-built square detector."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import REPO_ROOT, Settings
from app.main import create_app
from engine.model import Model
from engine.teach.backprop import backprop as engine_backprop
from tests.specs import TWO_CONVS

DENSE = [
    {"type": "flatten", "name": "flatten"},
    {"type": "dense", "name": "fc1", "config": {"out_features": 16}},
    {"type": "relu", "name": "relu1"},
    {"type": "dense", "name": "fc2", "config": {"out_features": 10}},
    {"type": "softmax", "name": "softmax"},
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(Settings(models_dir=tmp_path_factory.mktemp("m"), data_dir=REPO_ROOT / "data"))
    with TestClient(app) as c:
        app.state.registry.add("cnn", Model.from_spec(TWO_CONVS, seed=1, name="CNN"))
        app.state.registry.add("dense", Model.from_spec(DENSE, seed=2, name="Dense"))
        colour = Model.from_spec(TWO_CONVS, seed=3, input_shape=(3, 28, 28), name="Colour CNN")
        app.state.registry.add("colour", colour)
        yield c


def digit(seed=0) -> list:
    rng = np.random.default_rng(seed)
    img = np.zeros((28, 28))
    img[6:22, 12:16] = 1.0  # a thick "1"
    img[6:9, 8:16] = rng.uniform(0.5, 1.0, (3, 8))
    return img.tolist()


def ok(r):
    assert r.status_code == 200, r.text
    return r.json()


# -- backprop ---------------------------------------------------------------------------------


def test_backprop_follows_the_contract_and_leaves_the_model_alone(client):
    registry = client.app.state.registry
    before = {k: v.copy() for k, v in registry.get("cnn").model.params().items()}
    body = {"pixels": digit(), "preprocess": False, "target": 3, "learning_rate": 0.01}
    d = ok(client.post("/api/models/cnn/backprop", json=body))
    assert {"loss", "target", "probabilities_before", "probabilities_after", "layers"} <= set(d)
    model = registry.get("cnn").model
    assert [e["name"] for e in d["layers"]] == [ly.name for ly in model.layers]
    for e, info in zip(d["layers"], model.layer_info(), strict=True):
        assert np.asarray(e["grad_output"]).shape == tuple(info["output_shape"])
        layer = model.layers[e["index"]]
        if layer.params:
            assert np.asarray(e["grad_weights"]).shape == layer.params["weight"].shape
            assert len(e["grad_bias"]) == layer.params["weight"].shape[0]
        else:
            assert e["grad_weights"] is None and e["grad_bias"] is None
        assert (e["routing"] is not None) == (e["type"] == "maxpool2d")
    x = np.asarray(digit(), dtype=np.float32)[None, None]  # as the API reads it
    want = engine_backprop(model, x, 3, 0.01)
    assert d["loss"] == pytest.approx(want.loss, rel=1e-9)
    assert d["loss_after"] < d["loss"]
    assert d["probabilities_after"][3] > d["probabilities_before"][3]
    for k, v in registry.get("cnn").model.params().items():
        np.testing.assert_array_equal(v, before[k])  # the stored model never changes


@pytest.mark.parametrize(
    "change, words",
    [
        ({"target": 10}, ["target", "0 to 9", "10"]),
        ({"target": -1}, ["target", "-1"]),
        ({"learning_rate": 0}, ["learning_rate"]),
        ({"learning_rate": 11}, ["learning_rate"]),
    ],
)
def test_backprop_refuses_bad_fields_by_name(client, change, words):
    body = {"pixels": digit(), "preprocess": False, "target": 1, **change}
    r = client.post("/api/models/cnn/backprop", json=body)
    assert r.status_code == 422
    assert all(w in str(r.json()["detail"]) for w in words), r.text


# -- the flattened digit ----------------------------------------------------------------------


def test_networks_are_told_apart(client):
    kinds = {n["id"]: n["kind"] for n in ok(client.get("/api/teach/networks"))["networks"]}
    assert kinds == {"cnn": "cnn", "dense": "dense"}  # not the colour one: a digit's vector


def test_flatten_scrambles_and_the_dense_twin_gives_the_same_probabilities(client):
    d = ok(client.post("/api/models/dense/flatten", json={"pixels": digit(), "preprocess": False}))
    vector, perm = np.asarray(d["vector"]), np.asarray(d["permutation"])
    assert vector.shape == (784,) and sorted(perm.tolist()) == list(range(784))
    np.testing.assert_array_equal(np.asarray(d["scrambled"]), vector[perm])
    np.testing.assert_array_equal(np.asarray(d["scrambled_image"]).reshape(-1), vector[perm])
    np.testing.assert_allclose(d["twin_probabilities"], d["probabilities"], atol=2e-6)
    c = ok(client.post("/api/models/cnn/flatten", json={"pixels": digit(), "preprocess": False}))
    assert c["twin_probabilities"] is None and c["kind"] == "cnn"
    assert c["permutation"] == d["permutation"]  # one fixed permutation


def test_permutation_test_measures_both_and_the_twin_is_exact(client):
    dense = ok(client.get("/api/models/dense/permutation-test?images=300"))
    cnn = ok(client.get("/api/models/cnn/permutation-test?images=300"))
    assert dense["images"] == cnn["images"] == 300
    assert dense["twin_accuracy"] == dense["accuracy"]
    assert dense["twin_same_predictions"] == 300 and dense["twin_max_abs_diff"] < 1e-5
    assert cnn["twin_accuracy"] is None
    again = ok(client.get("/api/models/cnn/permutation-test?images=300"))
    assert again == cnn  # measured once
    assert client.get("/api/models/cnn/permutation-test?images=20000").status_code == 422


# -- translation --------------------------------------------------------------------------------


def test_shift_conv_maps_follow_an_integer_shift_exactly(client):
    body = {"pixels": digit(), "preprocess": False, "dx": 2, "dy": -1, "channel": 1}
    d = ok(client.post("/api/models/cnn/shift", json=body))
    layers = {e["name"]: e for e in d["layers"]}
    assert layers["conv1"]["equivariance"] == pytest.approx(1.0, abs=1e-6)
    assert layers["conv1"]["shift_in_map"] == [-1.0, 2.0]
    assert layers["pool1"]["shift_in_map"] == [-0.5, 1.0]
    assert layers["fc1"]["equivariance"] is None and layers["fc1"]["change"] > 0
    moved = np.asarray(d["input"])
    np.testing.assert_allclose(moved[:-1, 2:], np.asarray(digit())[1:, :-2], atol=1e-3)
    assert client.post("/api/models/cnn/shift", json={**body, "dx": 15}).status_code == 422


def test_shift_curve_is_the_probability_at_each_shift(client):
    body = {"pixels": digit(), "preprocess": False, "max_shift": 3, "target": 1}
    d = ok(client.post("/api/models/dense/shift-curve", json=body))
    assert d["shifts"] == [-3, -2, -1, 0, 1, 2, 3] and len(d["confidence"]) == 7
    p0 = ok(client.post("/api/models/dense/predict", json={"pixels": digit(), "preprocess": False}))
    assert d["confidence"][3] == pytest.approx(p0["probabilities"][1], abs=1e-5)
    bad = client.post("/api/models/dense/shift-curve", json={**body, "target": 10})
    assert bad.status_code == 422 and "target" in bad.json()["detail"]


# -- lines to a square ------------------------------------------------------------------------


def test_square_detector_finds_the_square_only(client):
    setup = ok(client.get("/api/teach/square"))
    found = {
        name: ok(client.post("/api/teach/square", json={"image": img}))["found"]
        for name, img in setup["shapes"].items()
    }
    assert found == {"square": 1.0, "rectangle": 0.0, "triangle": 0.0, "L": 0.0, "line": 0.0}


def test_square_weights_are_editable_and_checked(client):
    setup = ok(client.get("/api/teach/square"))
    rect = setup["shapes"]["rectangle"]
    w = setup["weights"]
    w["square"]["bias"] = [-1.0]  # two corners are enough now
    assert ok(client.post("/api/teach/square", json={"image": rect, "weights": w}))["found"] > 0
    bad = {"lines": {"weight": [[1.0]]}}
    r = client.post("/api/teach/square", json={"image": rect, "weights": bad})
    assert r.status_code == 422 and "weights.lines.weight" in r.json()["detail"]
    r = client.post("/api/teach/square", json={"image": [[0.0] * 3] * 3})
    assert r.status_code == 422 and "14×14" in r.json()["detail"]
    ragged = [[0.0] * 14] * 13 + [[0.0] * 3]
    r = client.post("/api/teach/square", json={"image": ragged})
    assert r.status_code == 422 and "rectangular" in r.json()["detail"]
    r = client.post(
        "/api/teach/square", json={"image": rect, "weights": {"lines": {"bias": [[1], 2]}}}
    )
    assert r.status_code == 422 and "weights" in r.json()["detail"]


def test_backprop_on_a_network_too_big_to_answer_is_refused_before_work(tmp_path):
    app = create_app(Settings(models_dir=tmp_path, max_backprop_values=1000))
    with TestClient(app) as client:
        app.state.registry.add("cnn", Model.from_spec(TWO_CONVS, seed=1, name="CNN"))
        r = client.post("/api/models/cnn/backprop", json={"pixels": [[0.0] * 8] * 8, "target": 3})
        assert r.status_code == 422
        assert "max_backprop_values = 1,000" in r.json()["detail"]
