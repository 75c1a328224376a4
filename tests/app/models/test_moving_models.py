"""A digit model with the layers that move values that imported CNNs bring — ShuffleNet's
channel shuffle (reshape, transpose, reshape), a slice of W, nearest and bilinear resizing, a
squeeze-and-excitation gate — and one with a flatten and reshape between convolutions: every
endpoint that reads a layer's geometry answers (never a 5xx; /explain was a 500 on imported
ShuffleNets and on every squeeze-and-excitation network), and each receptive field is exactly
the set of input pixels that change the unit."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from engine import explain
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
    {"type": "globalavgpool", "name": "squeeze"},
    {"type": "reshape", "name": "as_map", "config": {"shape": [4, 1, 1]}},
    conv("excite", 4, 1),
    {"type": "sigmoid", "name": "gate"},
    {"type": "mul", "name": "scaled", "inputs": ["down", "gate"]},
    conv("last", 2, 3, padding=1),
    {"type": "flatten"},
    {"type": "dense", "name": "fc", "config": {"out_features": 10}},
]
FLATTENED = [  # and a transpose of H and W: positions moved, so the box is the whole map
    conv("first", 2, 3),
    {"type": "flatten", "name": "flat"},
    {"type": "reshape", "name": "back", "config": {"shape": [2, 26, 26]}},
    conv("second", 2, 3),
    {"type": "transpose", "name": "turned", "config": {"perm": [0, 1, 3, 2]}},
    conv("third", 2, 3),
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 10}},
]
SELECTIVE = [  # SKNet's split attention: two branches stacked, weighted by a softmax, summed
    conv("a", 2, 3, padding=1),
    conv("b", 2, 3, padding=2, dilation=2, inputs=["input"]),
    {"type": "unsqueeze", "name": "a1", "config": {"dim": 1}, "inputs": ["a"]},
    {"type": "unsqueeze", "name": "b1", "config": {"dim": 1}, "inputs": ["b"]},
    {"type": "concat", "name": "stack", "config": {"dim": 1}, "inputs": ["a1", "b1"]},
    {"type": "sum", "name": "both", "config": {"dim": 1}},
    {"type": "globalavgpool", "name": "pooled"},
    {"type": "reshape", "name": "as_map", "config": {"shape": [2, 1, 1]}},
    conv("fc", 4, 1),
    {"type": "reshape", "name": "per_branch", "config": {"shape": [2, 2, 1, 1]}},
    {"type": "softmaxdim", "name": "weights", "config": {"dim": 1}},
    {"type": "mul", "name": "weighted", "inputs": ["stack", "weights"]},
    {"type": "sum", "name": "mixed", "config": {"dim": 1}},
    conv("after_sk", 2, 3, padding=1),
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


def test_explain_gives_every_conv_its_receptive_field(client):
    got = client.get("/api/models/shuffled/explain").json()["conv_layers"]
    found = {c["name"]: c["receptive_field"] for c in got}
    assert found["stem"] == [3, 3] and all(found.values())
    assert min(found["excite"]) >= 28  # the gate's pooled values read the whole digit
    flat = client.get("/api/models/flattened/explain")
    assert flat.status_code == 200
    fields = [c["receptive_field"] for c in flat.json()["conv_layers"]]
    assert fields == [[3, 3], [28, 28], [28, 28]]  # past a flatten: the whole map
    images = np.random.default_rng(1).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    top = explain.top_activations(Model.from_spec(FLATTENED, seed=1), images, k=2)
    assert top.layers[5].patches.shape[-2:] == (28, 28)  # every conv has a box to cut


@pytest.mark.parametrize(
    "specs, name",
    [(SHUFFLED, n) for n in ("mid", "up", "crop", "after", "down", "excite", "scaled", "last")]
    + [(FLATTENED, "second"), (FLATTENED, "third")]
    + [(SELECTIVE, n) for n in ("b", "both", "mixed", "after_sk")],
)
def test_a_units_box_is_the_pixels_that_change_it(specs, name):
    """Random weights, float64, no ReLU (nothing switches off): the input pixels whose change
    moves one unit — each pixel changed in its own copy of the image — fill the unit's box,
    clipped to the image (zero padding reads no pixel). Past a flatten the box is the whole map
    (a dense layer there reads all of it); a flatten undone by a reshape reads less, inside."""
    model = Model.from_spec(specs, seed=2)
    for layer in model.layers:
        for key in layer.params:
            layer.params[key] = layer.params[key].astype(np.float64)
    i = next(k for k, ly in enumerate(model.layers) if ly.name == name)
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28))
    moved = np.repeat(x, 28 * 28, axis=0)
    moved.reshape(28 * 28, -1)[np.arange(28 * 28), np.arange(28 * 28)] += 1.0  # pixel k, copy k
    base, outs = model.forward(x, stop=i + 1), model.forward(moved, stop=i + 1)
    C, H, W = model.shapes[i + 1]
    for row, col in ((0, 0), (H // 2, W // 3), (H - 1, W - 1)):
        change = np.abs(outs[:, :, row, col] - base[:, :, row, col]).max(axis=1)  # (784,)
        rows, cols = np.nonzero(change.reshape(28, 28) > 1e-12)
        top, left, bottom, right = (int(v) for v in input_box(model, i, row, col))
        want = (max(top, 0), max(left, 0), min(bottom, 28), min(right, 28))
        reach = (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
        if specs is FLATTENED:
            assert want == (0, 0, 28, 28) and reach[2] <= 28 and reach[3] <= 28
        else:
            assert reach == want, (name, row, col)
        assert boxes(model, i, row, col)[-1]["box"] == list(want)  # the input's box
