"""Every endpoint works on an imported model (api.md: "Every endpoint and page works on an
imported model as on one trained here"), for the fixtures whose graphs differ most: a chain with
Normalize, batch norm + dropout, a residual block with a global pool, NHWC Keras, grouped convs.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.core.settings import REPO_ROOT
from tests.onnx_fixtures import mnist_digits
from tests.utils import upload, when_ready

CASES = {
    "lenet.onnx": {"mean": [0.1307], "std": [0.3081]},
    "bn_dropout.onnx": {},
    "dynamo/model.onnx": {},
    "keras_nhwc.onnx": {},
    "depthwise_elu.onnx": {},
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One app (with the MNIST test set) serving every case, imported through the API."""

    from fastapi.testclient import TestClient

    from app.core.settings import Settings
    from app.main import create_app

    tmp = tmp_path_factory.mktemp("views")
    settings = Settings(models_dir=tmp / "models", data_dir=REPO_ROOT / "data", cache_dir=tmp / "c")
    with TestClient(create_app(settings)) as client:
        ids = {}
        for name, convention in CASES.items():
            r = upload(client, name, display=name.replace("/", " "), input=convention)
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]
        yield client, ids


DIGIT = {"pixels": mnist_digits(1)[0][0, 0].tolist(), "preprocess": False}


def ok(r, kind="json"):
    assert r.status_code == 200, r.text
    if kind == "png":
        assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
    return r.json() if kind == "json" else r


@pytest.mark.parametrize("name", list(CASES))
def test_explorer_endpoints(served, name):
    client, ids = served
    base = f"/api/models/{ids[name]}"
    detail = ok(client.get(base))
    acts = ok(client.post(f"{base}/activations", json=DIGIT))
    assert len(acts["layers"]) == len(detail["layers"])
    assert acts["prediction"] == 7  # the first test digit
    for layer in detail["layers"]:
        ok(client.post(f"{base}/layers/{layer['index']}/feature-maps.png", json=DIGIT), "png")
        ok(client.get(f"{base}/layers/{layer['index']}/state"))
        if layer["type"] in ("conv2d", "dense"):
            ok(client.get(f"{base}/layers/{layer['index']}/filters"))
            ok(client.get(f"{base}/layers/{layer['index']}/filters.png"), "png")
        if layer["type"] == "conv2d":
            small = {"input_height": 12, "input_width": 12}  # within max_weight_matrix_cells
            wm = ok(client.get(f"{base}/layers/{layer['index']}/weight-matrix", params=small))
            assert wm["rows"] > 0
            a = ok(client.post(f"{base}/layers/{layer['index']}/anatomy", json=DIGIT))
            assert a, "the anatomy of the real layer"


@pytest.mark.parametrize("name", list(CASES))
def test_explanations(served, name):
    client, ids = served
    base = f"/api/models/{ids[name]}/explain"
    for method in ("saliency", "gradcam", "occlusion", "integrated-gradients"):
        result = ok(client.post(f"{base}/{method}", json=DIGIT))
        assert np.isfinite(np.asarray(result["map"], dtype=float)).all()
        ok(client.post(f"{base}/{method}.png", json=DIGIT), "png")
    ig = ok(client.post(f"{base}/integrated-gradients", json={**DIGIT, "steps": 64}))
    # completeness holds with the blank-canvas baseline under the model's convention
    assert abs(ig["delta"]) < 0.05 * max(1.0, abs(ig["score"] - ig["baseline_score"]))


@pytest.mark.parametrize("name", list(CASES))
def test_filters_page_endpoints(served, name):
    client, ids = served
    base = f"/api/models/{ids[name]}"
    info = ok(client.get(f"{base}/explain"))
    convs = [
        layer["index"] for layer in ok(client.get(base))["layers"] if layer["type"] == "conv2d"
    ]
    assert convs and info
    top = ok(when_ready(client, f"{base}/explain/layers/{convs[0]}/top-activations"))
    assert top
    ok(client.get(f"{base}/explain/layers/{convs[0]}/maximise", params={"steps": 4}))


def test_evaluation_applies_the_input_convention(served):
    client, ids = served
    good = ok(client.get(f"/api/models/{ids['lenet.onnx']}/evaluation"))
    assert good["accuracy"] > 0.9
    r = upload(client, "lenet.onnx", display="lenet without its convention")
    bare = ok(client.get(f"/api/models/{r.json()['id']}/evaluation"))
    assert bare["accuracy"] < good["accuracy"]
