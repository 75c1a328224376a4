"""``POST /api/models/import`` with an ONNX file (api.md, "Bringing your own model").

The imported model then answers like any other, with its input convention applied: on real
MNIST digits the API's probabilities are onnxruntime's softmax for the same digits.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.ops.activation import softmax
from tests.onnx_fixtures import fixture_bytes, mnist_digits, network_input, run_onnxruntime
from tests.utils import upload

LENET_INPUT = {"mean": [0.1307], "std": [0.3081]}


@pytest.fixture
def fresh(make_client, tmp_path):
    """A client over an empty models directory of its own."""
    return make_client(models_dir=tmp_path / "models")


def test_import_lenet_reports_input_and_source(fresh):
    r = upload(fresh, input=LENET_INPUT)
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["source"] == "onnx"
    assert info["input"] == {
        **{"invert": False, "scale": 1.0, "mean": [0.1307], "std": [0.3081]},
        **{"channels": "gray", "resize": {"mode": "digit"}},  # completed for a one-channel model
    }
    assert info["classes"] == [str(d) for d in range(10)]
    assert info["input_shape"] == [1, 28, 28]
    listed = {m["id"]: m for m in fresh.get("/api/models").json()["models"]}
    assert listed[info["id"]]["source"] == "onnx"


def test_predictions_apply_the_convention_and_match_onnxruntime(fresh):
    model_id = upload(fresh, input=LENET_INPUT).json()["id"]
    ink, labels = mnist_digits(6)
    (ref,) = run_onnxruntime("lenet.onnx", network_input("lenet.onnx", ink), "nchw")
    for i in range(len(ink)):
        body = {"pixels": ink[i, 0].tolist(), "preprocess": False}
        r = fresh.post(f"/api/models/{model_id}/predict", json=body)
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["probabilities"], softmax(ref[i : i + 1])[0], atol=2e-6)
        assert r.json()["prediction"] == labels[i]


def test_without_the_convention_the_same_file_sees_other_numbers(fresh):
    plain = upload(fresh, display="plain").json()["id"]
    normal = upload(fresh, display="normal", input=LENET_INPUT).json()["id"]
    ink, _ = mnist_digits(1)
    body = {"pixels": ink[0, 0].tolist(), "preprocess": False}
    a = fresh.post(f"/api/models/{plain}/activations", json=body).json()
    b = fresh.post(f"/api/models/{normal}/activations", json=body).json()
    assert a["layers"][0]["data"] != b["layers"][0]["data"]
    assert a["input"] == b["input"]  # the user sees the same ink either way


def test_dynamo_export_with_external_data(fresh):
    r = upload(fresh, "dynamo/model.onnx", display="dynamo twin")
    assert r.status_code == 201, r.text
    detail = fresh.get(f"/api/models/{r.json()['id']}").json()
    types = [layer["type"] for layer in detail["layers"]]
    assert types[-1] == "softmax" and "add" in types and "globalavgpool" in types
    add = next(layer for layer in detail["layers"] if layer["type"] == "add")
    assert len(add["inputs"]) == 2  # the residual connection


def test_missing_external_data_is_422_naming_it(fresh):
    data, _ = fixture_bytes("dynamo/model.onnx")
    r = fresh.post(
        "/api/models/import",
        data={"name": "no data"},
        files={"weights": ("model.onnx", data, "application/octet-stream")},
    )
    assert r.status_code == 422
    assert "model.onnx.data" in r.json()["detail"] and "external_data" in r.json()["detail"]


def test_keras_and_cntk_style_graphs_import(fresh):
    for name in ("keras_nhwc.onnx", "cntk_mnist8.onnx"):
        r = upload(fresh, name, display=name, input={"scale": 255} if "cntk" in name else {})
        assert r.status_code == 201, (name, r.text)
    assert r.json()["input"]["scale"] == 255.0


def test_classes_form_field(fresh):
    labels = [f"digit {d}" for d in range(10)]
    r = upload(fresh, classes=labels)
    assert r.status_code == 201 and r.json()["classes"] == labels
    r = upload(fresh, classes=["a", "b"])
    assert r.status_code == 422 and "classes: 2 labels for a model with 10 outputs" in r.text
    r = upload(fresh, classes="not json")
    assert r.status_code == 422 and r.json()["detail"].startswith("classes:")


@pytest.mark.parametrize(
    "value, message",
    [
        ({"std": [0]}, "input.std must be positive"),
        ({"scale": -1}, "input.scale must be a positive number"),
        ({"mean": [0.1, 0.2, 0.3]}, "input.mean needs 1 or"),
        ({"gamma": 2}, "unknown keys ['gamma']"),
        ([1, 2], "input: expected a JSON object"),
    ],
)
def test_bad_input_convention_is_422(fresh, value, message):
    r = upload(fresh, input=value)
    assert r.status_code == 422
    assert message in r.json()["detail"]


def test_not_onnx_nor_npz_is_422_saying_so(fresh):
    r = fresh.post(
        "/api/models/import",
        data={"name": "junk"},
        files={"weights": ("model.onnx", b"this is not a model at all", "text/plain")},
    )
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "neither an ONNX model nor a .npz archive" in detail and "pickle" not in detail


def test_unsupported_operator_is_422_naming_node_and_op(fresh):
    from onnx import helper

    from tests.engine.onnx_check import model_bytes

    data = model_bytes([helper.make_node("Hardmax", ["x"], ["y"], name="/head/Hardmax")])
    r = fresh.post(
        "/api/models/import",
        data={"name": "hardmax"},
        files={"weights": ("hardmax.onnx", data, "application/octet-stream")},
    )
    assert r.status_code == 422
    assert 'node "/head/Hardmax" (Hardmax): operator Hardmax is not supported' in r.json()["detail"]


def test_traversal_in_external_location_is_422(fresh):
    from tests.engine.onnx_check import with_external_weights

    r = fresh.post(
        "/api/models/import",
        data={"name": "evil"},
        files=[
            (
                "weights",
                (
                    "evil.onnx",
                    with_external_weights("../../etc/passwd"),
                    "application/octet-stream",
                ),
            ),
            ("external_data", ("passwd", b"\0" * 72, "application/octet-stream")),
        ],
    )
    assert r.status_code == 422 and "bare file name" in r.json()["detail"]


def test_over_max_import_bytes_is_413(make_client, tmp_path):
    client = make_client(models_dir=tmp_path / "m", max_import_bytes=20_000)
    r = upload(client)  # lenet.onnx is ~64 kB
    assert r.status_code == 413 and "max_import_bytes" in r.json()["detail"]
    r = upload(client, "dynamo/model.onnx")  # 12.7 kB + 8 kB of external data
    assert r.status_code == 413 and r.json()["detail"].startswith("external_data:")


def test_every_model_reports_input_and_source(client):
    for m in client.get("/api/models").json()["models"]:
        assert m["source"] in ("onnx", "npz", "trained", "shipped")
        assert set(m["input"]) == {"invert", "scale", "mean", "std", "channels", "resize"}
        assert m["input"]["channels"] == ("rgb" if m["input_shape"][0] == 3 else "gray")


def test_layer_state_lists_batchnorm_numbers(fresh):
    model_id = upload(fresh, "bn_dropout.onnx", display="bn").json()["id"]
    layers = fresh.get(f"/api/models/{model_id}").json()["layers"]
    bn = next(layer for layer in layers if layer["type"] == "batchnorm2d")
    r = fresh.get(f"/api/models/{model_id}/layers/{bn['index']}/state")
    assert r.status_code == 200, r.text
    arrays = {a["name"]: a for a in r.json()["arrays"]}
    assert set(arrays) == {"weight", "bias", "running_mean", "running_var"}
    assert arrays["running_var"]["kind"] == "buffer" and arrays["weight"]["kind"] == "parameter"
    assert len(arrays["running_var"]["values"]) == bn["output_shape"][0]
    assert min(arrays["running_var"]["values"]) > 0
    dense = next(layer for layer in layers if layer["type"] == "dense")
    big = fresh.get(f"/api/models/{model_id}/layers/{dense['index']}/state").json()
    weight = next(a for a in big["arrays"] if a["name"] == "weight")
    assert weight["values"] is None and weight["shape"] == [24, 784]  # too many to list
