"""A graph model served by the app: every model endpoint answers on a residual block, a
concat branch, batch norm and a grouped convolution (never a 5xx), and a conv layer's weight
matrix times its real input (the branch it reads, not the layer above) is its feature map."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from engine.model import Model
from tests.specs import conv
from tests.utils import DIGIT, matrix_times

GRAPH_ID = "graph"
SPECS = [
    conv("stem", 4, 3, padding=1),
    {"type": "batchnorm2d", "name": "bn0"},
    {"type": "relu", "name": "r0"},
    {"type": "maxpool2d", "name": "pool0", "config": {"kernel_size": 2}},
    conv("grouped", 4, 3, padding=1, groups=2),
    {"type": "add", "name": "skip", "inputs": ["grouped", "pool0"]},
    {"type": "relu", "name": "r1"},
    conv("side", 2, 1, inputs=["pool0"]),
    {"type": "concat", "name": "join", "inputs": ["r1", "side"]},
    {"type": "maxpool2d", "name": "pool1", "config": {"kernel_size": 2}},
    {"type": "flatten"},
    {"type": "dense", "name": "fc", "config": {"out_features": 10}},
    {"type": "softmax"},
]
INDEX = {s["name"]: i for i, s in enumerate(SPECS) if "name" in s}


def graph_model() -> Model:
    model = Model.from_spec(SPECS, seed=3, name="Graph", meta={"dataset": "mnist"})
    rng = np.random.default_rng(0)
    for name, p in model.params().items():
        if name.endswith("bias"):
            p[...] = rng.uniform(-0.1, 0.1, p.shape)
    model.buffers()["bn0.running_var"][...] = rng.uniform(0.5, 2, 4)
    return model


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    d = tmp_path_factory.mktemp("graph-models")
    graph_model().save(d / f"{GRAPH_ID}.npz")
    settings = Settings(models_dir=d, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as c:
        yield c


API = f"/api/models/{GRAPH_ID}"
BODY = {"pixels": DIGIT.tolist(), "preprocess": False}


def test_detail_and_activations_of_a_graph(client):
    layers = client.get(API).json()["layers"]
    assert layers[INDEX["skip"]]["inputs"] == [INDEX["grouped"], INDEX["pool0"]]
    assert layers[INDEX["side"]]["input_shape"] == [4, 14, 14]  # it reads pool0, not r1
    assert layers[INDEX["grouped"]]["config"]["groups"] == 2
    r = client.post(f"{API}/activations", json=BODY)
    assert r.status_code == 200, r.text
    x = DIGIT[None, None].astype(np.float32)
    outs = graph_model().forward(x, return_all=True)
    got = r.json()["layers"]
    assert len(got) == len(SPECS)
    np.testing.assert_allclose(got[INDEX["join"]]["data"], outs[INDEX["join"]][0], atol=1e-4)


@pytest.mark.parametrize("name", ["stem", "grouped", "side"])
def test_matrix_times_a_graph_layers_real_input_is_its_feature_map(client, name):
    for f in (0, 3) if name != "side" else (1,):
        r = client.post(f"{API}/layers/{INDEX[name]}/anatomy", json={**BODY, "filter": f})
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["matches"] is True, d["max_abs_diff"]
        got = matrix_times(d["matrix"], d["input"])
        scale = max(1.0, np.abs(d["feature_map"]).max())
        assert np.allclose(got, np.asarray(d["feature_map"]).reshape(-1), atol=1e-3 * scale)


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "/layers/{skip}", None),
        ("post", "/predict", BODY),
        ("post", "/layers/{join}/feature-maps.png", BODY),
        ("get", "/layers/{grouped}/filters", None),
        ("get", "/layers/{grouped}/filters.png", None),
        ("get", "/layers/{grouped}/weight-matrix?filter=3", None),
        ("get", "/layers/{side}/weight-matrix.png", None),
        ("get", "/explain", None),
        ("post", "/explain/saliency", BODY),
        ("post", "/explain/gradcam", {**BODY, "layer": 5}),
        ("post", "/explain/occlusion", BODY),
        ("post", "/explain/integrated-gradients", BODY),
        ("get", "/explain/layers/{side}/maximise?steps=2", None),
    ],
)
def test_every_endpoint_answers_on_a_graph(client, method, path, body):
    url = API + path.format(**INDEX)
    r = client.request(method, url, json=body)
    assert r.status_code == 200, (url, r.text)


def test_explain_info_lists_the_graphs_layers_with_receptive_fields(client):
    info = client.get(f"{API}/explain").json()
    convs = {c["name"]: c for c in info["conv_layers"]}
    assert convs["grouped"]["receptive_field"] == [8, 8]  # 3x3, pool 2, then 3x3 on its grid
    assert convs["side"]["receptive_field"] == [4, 4]
    assert info["default_gradcam_layer"] == INDEX["join"]  # the last conv (side), concatenated
