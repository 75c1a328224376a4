"""A digit model with the layers that move values that imported CNNs bring — ShuffleNet's
channel shuffle (reshape, transpose, reshape), a slice of W, nearest and bilinear resizing —
and one with a flatten and reshape between convolutions: every endpoint that reads a layer's
geometry answers (never a 5xx; the shuffle's /explain was a 500), and each receptive field is
exactly the set of input pixels the unit's gradient reaches."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from engine.explain.connections import boxes
from engine.explain.geometry import input_box
from engine.model import Model
from tests.specs import conv
from tests.utils import DIGIT

SHUFFLED = [
    conv("stem", 4, 3, padding=1),
    {"type": "reshape", "name": "groups", "config": {"shape": [2, 2, 28, 28]}},
    {"type": "transpose", "name": "swap", "config": {"perm": [0, 2, 1, 3, 4]}},
    {"type": "reshape", "name": "shuffled", "config": {"shape": [4, 28, 28]}},
    conv("mid", 4, 3, stride=2),
    {"type": "resize2d", "name": "up", "config": {"size": [27, 27], "mode": "bilinear"}},
    {"type": "narrow", "name": "crop", "config": {"dim": 3, "start": 2, "length": 24}},
    conv("after", 4, 3, padding=1),
    {"type": "resize2d", "name": "down", "config": {"size": [9, 8]}},
    {"type": "flatten"},
    {"type": "dense", "name": "fc", "config": {"out_features": 10}},
]
FLATTENED = [
    conv("first", 2, 3),
    {"type": "flatten", "name": "flat"},
    {"type": "reshape", "name": "back", "config": {"shape": [2, 26, 26]}},
    conv("second", 2, 3),
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 10}},
]
INDEX = {s["name"]: i for i, s in enumerate(SHUFFLED) if "name" in s}
BODY = {"pixels": DIGIT.tolist(), "preprocess": False}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    d = tmp_path_factory.mktemp("moving-models")
    for name, specs in (("shuffled", SHUFFLED), ("flattened", FLATTENED)):
        meta = {"dataset": "mnist"}
        Model.from_spec(specs, seed=5, name=name, meta=meta).save(d / f"{name}.npz")
    settings = Settings(models_dir=d, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("name", INDEX)
def test_every_layer_endpoint_answers_on_the_moving_layers(client, name):
    api, i = "/api/models/shuffled", INDEX[name]
    shape = Model.from_spec(SHUFFLED).shapes[i + 1]
    unit = [0, 1, 1] if len(shape) == 3 else [0]
    answers = [
        client.get(f"{api}/layers/{i}"),
        client.get(f"{api}/layers/{i}/receptive-field?row=1&col=1"),
        client.post(f"{api}/layers/{i}/connections", json={**BODY, "unit": unit}),
        client.post(f"{api}/layers/{i}/feature-maps.png", json=BODY),
    ]
    assert all(r.status_code < 500 for r in answers), [r.text[:200] for r in answers]
    assert answers[0].status_code == 200 and answers[3].status_code == 200


def test_explain_lists_every_conv_and_a_box_only_where_there_is_one(client):
    found = {
        c["name"]: c["receptive_field"]
        for c in client.get("/api/models/shuffled/explain").json()["conv_layers"]
    }
    assert found["stem"] == [3, 3] and all(found.values())
    flat = client.get("/api/models/flattened/explain")
    assert flat.status_code == 200
    fields = [c["receptive_field"] for c in flat.json()["conv_layers"]]
    assert fields == [[3, 3], None]  # after a flatten, positions are gone


@pytest.mark.parametrize("name", ["mid", "up", "crop", "after", "down"])
def test_a_units_box_is_where_its_gradient_reaches(name):
    """Random weights: the input pixels with a nonzero gradient of one unit fill its box,
    clipped to the image (zero padding reaches no pixel)."""
    model = Model.from_spec(SHUFFLED, seed=2)
    for layer in model.layers:  # float64, so no gradient underflows to zero
        for key in layer.params:
            layer.params[key] = layer.params[key].astype(np.float64)
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28))
    i = INDEX[name]
    C, H, W = model.shapes[i + 1]
    for row, col in ((0, 0), (H // 2, W // 3), (H - 1, W - 1)):
        outs = model.forward(x, backprop=True, return_all=True)
        dout = np.zeros_like(outs[i])
        dout[0, :, row, col] = 1.0
        grad = np.abs(_input_gradient(model, outs, i, dout))[0, 0]
        rows, cols = np.nonzero(grad > 0)
        top, left, bottom, right = (int(v) for v in input_box(model, i, row, col))
        want = (max(top, 0), max(left, 0), min(bottom, 28), min(right, 28))
        assert (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1) == want, (name, row, col)
        assert boxes(model, i, row, col)[-1]["box"] == list(want)  # the input's box


def _input_gradient(model: Model, outs, stop: int, dout):
    """d(sum(outs[stop] * dout)) / d input, back through layers stop..0 of the chain."""
    grad = dout
    for layer in model.layers[stop::-1]:
        grad = layer.backward(grad)
    return grad
