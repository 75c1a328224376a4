"""``app/models/manage.py``: importing weights (PyTorch names, a model file), renaming,
downloading and deleting models; the shipped default is protected; bad files are refused."""

from __future__ import annotations

import io

import numpy as np
from fastapi.testclient import TestClient

from app.main import create_app
from engine.model import Model
from tests.app.trainset import TINY, import_, npz_bytes
from tests.utils import refused

# -- managing models ----------------------------------------------------------------------


def test_import_pytorch_named_weights(http):
    source = Model.from_spec(TINY, seed=42)
    params = source.params()
    assert sorted(params) == ["conv1.bias", "conv1.weight", "fc1.bias", "fc1.weight"]
    r = import_(http, npz_bytes(params))
    assert r.status_code == 201, r.text
    model_id = r.json()["id"]
    assert model_id == "imported-net" and r.json()["num_params"] == source.num_params
    x = np.random.default_rng(0).random((28, 28))
    r = http.post(f"/api/models/{model_id}/predict", json={"pixels": x.tolist(), "preprocess": 0})
    used = np.asarray(r.json()["input"], dtype=np.float32)  # the network input the server used
    expected = source.predict_proba(used[None, None])[0]
    np.testing.assert_allclose(r.json()["probabilities"], expected, rtol=1e-4, atol=1e-6)
    again = import_(http, npz_bytes(params), architecture={"layers": TINY})  # same JSON, object
    assert again.status_code == 201 and again.json()["id"] == "imported-net-2"


def test_import_refuses_bad_files_clearly(http, mnist_settings):
    params = Model.from_spec(TINY, seed=0).params()
    wrong = {**params, "conv1.weight": np.zeros((4, 1, 5, 5), np.float32)}
    refused(import_(http, npz_bytes(wrong)), 422, "conv1.weight", "(4, 1, 5, 5)", "(4, 1, 3, 3)")
    missing = {k: v for k, v in params.items() if k != "fc1.bias"}
    refused(import_(http, npz_bytes(missing)), 422, "missing", "fc1.bias")
    refused(import_(http, b"not a zip"), 422, "weights: not a readable .npz")
    pickled = npz_bytes({**params, "evil": np.array([{"a": 1}], dtype=object)})
    refused(import_(http, pickled), 422, "weights")
    refused(import_(http, npz_bytes(params), architecture=TINY[:3]), 422, "architecture: layer")
    refused(import_(http, npz_bytes(params), architecture=None), 422, "architecture: required")
    refused(import_(http, npz_bytes(params), architecture="{nope"), 422, "not valid JSON")
    small = mnist_settings.model_copy(
        update={"max_import_bytes": 1000, "models_dir": mnist_settings.models_dir / "x"}
    )
    with TestClient(create_app(small)) as c:
        refused(import_(c, npz_bytes(params)), 413, "max_import_bytes = 1,000")


def test_rename_download_delete_and_the_default_is_protected(http, mnist_settings):
    r = import_(http, npz_bytes(Model.from_spec(TINY, seed=3).params()), name="mnist cnn")
    model_id = r.json()["id"]
    assert model_id == "mnist-cnn-2"  # never the shipped default's id
    r = http.patch(f"/api/models/{model_id}", json={"name": "Renamed"})
    assert r.status_code == 200 and r.json()["name"] == "Renamed"
    assert {m["id"]: m["name"] for m in http.get("/api/models").json()["models"]}[
        model_id
    ] == "Renamed"
    r = http.get(f"/api/models/{model_id}/weights.npz")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    downloaded = Model.from_arrays(dict(np.load(io.BytesIO(r.content), allow_pickle=False)))
    assert downloaded.num_params == Model.from_spec(TINY).num_params

    refused(http.delete("/api/models/mnist-cnn"), 403, "shipped default", "cannot be deleted")
    refused(http.patch("/api/models/mnist-cnn", json={"name": "x"}), 403, "cannot be renamed")
    assert (mnist_settings.models_dir / "mnist-cnn.npz").is_file()

    assert http.delete(f"/api/models/{model_id}").status_code == 204
    assert model_id not in [m["id"] for m in http.get("/api/models").json()["models"]]
    assert not list(mnist_settings.models_dir.glob(f"{model_id}.*"))
    refused(http.delete(f"/api/models/{model_id}"), 404, "no model")


def test_rename_refuses_a_bad_name_or_an_unknown_model(http):
    refused(http.patch("/api/models/nope", json={"name": "x"}), 404, "nope")
    refused(http.patch("/api/models/mnist-cnn", json={"name": ""}), 422, "name")
    refused(http.patch("/api/models/mnist-cnn", json={"name": "x" * 65}), 422, "name")
    refused(http.get("/api/models/nope/weights.npz"), 404, "nope")


def test_an_imported_model_file_keeps_its_architecture_and_weights(http, tmp_path):
    source = Model.from_spec(TINY, seed=5, name="From a file")
    source.save(tmp_path / "m.npz")
    r = import_(http, (tmp_path / "m.npz").read_bytes(), architecture=None, name="From a file")
    assert r.status_code == 201, r.text
    served = http.get(f"/api/models/{r.json()['id']}").json()
    assert served["layers"] == source.layer_info()
    assert http.delete(f"/api/models/{r.json()['id']}").status_code == 204
