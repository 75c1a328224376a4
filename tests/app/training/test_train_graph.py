"""Training a graph through the API: a tiny residual net with batch norm and dropout trains
end to end (events to done), and the model it makes is a graph every endpoint serves."""

from __future__ import annotations

import json

import numpy as np

from engine.cli import main as cli_main
from engine.model import Model
from tests.app.trainset import events, start
from tests.specs import conv

RESIDUAL = [
    conv("stem", 4, 3, stride=2),
    {"type": "batchnorm2d", "name": "bn0"},
    {"type": "relu", "name": "r0"},
    conv("c1", 4, 3, padding=1),
    {"type": "batchnorm2d", "name": "bn1"},
    {"type": "add", "name": "skip", "inputs": ["bn1", "r0"]},
    {"type": "relu", "name": "r1"},
    {"type": "dropout", "name": "drop", "config": {"p": 0.2}},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "flatten"},
    {"type": "dense", "name": "fc", "config": {"out_features": 10}},
]


def test_validate_reports_the_inputs_of_a_residual_block(http):
    body = http.post("/api/architectures/validate", json={"architecture": RESIDUAL}).json()
    assert body["valid"], body["error"]
    skip = body["layers"][5]
    assert skip["type"] == "add" and skip["inputs"] == [4, 2]
    assert skip["input_shapes"] == [[4, 13, 13], [4, 13, 13]]
    bad = [*RESIDUAL[:5], {**RESIDUAL[5], "inputs": ["bn1", "input"]}, *RESIDUAL[6:]]
    body = http.post("/api/architectures/validate", json={"architecture": bad}).json()
    assert not body["valid"] and body["error_layer"] == 5
    assert "do not broadcast" in body["error"] and len(body["layers"]) == 5
    unknown = [*RESIDUAL[:5], {**RESIDUAL[5], "inputs": ["bn1", "nope"]}]
    body = http.post("/api/architectures/validate", json={"architecture": unknown}).json()
    assert body["error_layer"] == 5 and "unknown input 'nope'" in body["error"]


def test_train_a_residual_net_end_to_end(http, settings):
    job = start(http, name="Residual net", architecture={"layers": RESIDUAL})
    seen = list(events(http, job["id"]))
    done = seen[-1][1]["job"]
    assert done["state"] == "done", done["message"]
    steps = [data for kind, data in seen if kind == "step"]
    assert all(np.isfinite(s["loss"]) for s in steps) and steps[-1]["progress"] == 1.0

    detail = http.get("/api/models/residual-net").json()
    assert [layer["inputs"] for layer in detail["layers"]][5] == [4, 2]
    saved = Model.load(settings.models_dir / "residual-net.npz")
    assert not saved.is_chain and "bn1.running_var" in saved.state()
    assert not np.allclose(saved.state()["bn1.running_mean"], 0)  # statistics were tracked
    assert saved.meta["test_accuracy"] > 0.15

    pixels = np.eye(28).tolist()
    r = http.post("/api/models/residual-net/activations", json={"pixels": pixels})
    assert r.status_code == 200, r.text
    assert [layer["name"] for layer in r.json()["layers"]][5] == "skip"
    for method in ("saliency", "gradcam", "integrated-gradients", "occlusion"):
        r = http.post(f"/api/models/residual-net/explain/{method}", json={"pixels": pixels})
        assert r.status_code == 200, (method, r.text)
    info = http.get("/api/models/residual-net/explain").json()
    assert info["default_gradcam_layer"] == 6  # r1: the block's rectified output


def test_the_cli_trains_the_same_graph_json(settings, tmp_path, capsys):
    path = tmp_path / "residual.json"
    path.write_text(json.dumps({"layers": RESIDUAL}))
    out = tmp_path / "residual.npz"
    argv = ["train", "--arch", str(path), "--data-dir", str(settings.data_dir), "--epochs", "1"]
    assert cli_main([*argv, "--limit", "100", "--no-augment", "--out", str(out)]) == 0
    model = Model.load(out)
    assert model.inputs[5] == [4, 2] and model.specs()[5]["inputs"] == ["bn1", "r0"]
    capsys.readouterr()


def test_a_huge_constant_is_refused_before_it_is_allocated(http):
    huge = [*RESIDUAL[:3], {"type": "mul", "config": {"constant_shape": [4, 100000, 100000]}}]
    body = http.post("/api/architectures/validate", json={"architecture": huge}).json()
    assert body["error_layer"] == 3 and "max_train_params" in body["error"]


def test_bad_graph_configs_are_reports_not_errors(http):
    for layer, words in [
        ({"type": "reshape", "config": {"shape": [2**62, 4]}}, ["cannot reshape"]),
        ({"type": "batchnorm2d", "config": {"num_features": 10**9}}, ["max_train_channels"]),
        ({"type": "concat", "inputs": ["r0", "stem"], "config": {"dim": 5}}, ["out of range"]),
        ({"type": "transpose", "config": {"perm": [0, "a", 1]}}, ["perm"]),
    ]:
        arch = [*RESIDUAL[:3], layer]
        r = http.post("/api/architectures/validate", json={"architecture": arch})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["error_layer"] == 3 and all(w in body["error"] for w in words), body["error"]
