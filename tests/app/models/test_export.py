"""``GET /api/models/{id}/model.onnx``: a standard ONNX file onnxruntime runs with our outputs."""

from __future__ import annotations

import json

import numpy as np
import onnx

from tests.engine.onnx_check import mnist_test, run_onnx
from tests.utils import TINY_ID, refused


def test_download_runs_in_onnxruntime_with_the_served_models_outputs(client, model):
    r = client.get(f"/api/models/{TINY_ID}/model.onnx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == f'attachment; filename="{TINY_ID}.onnx"'
    proto = onnx.load_from_string(r.content)
    onnx.checker.check_model(proto, full_check=True)
    props = {p.key: json.loads(p.value) for p in proto.metadata_props}
    assert props["classes"] == model.classes and props["name"] == "Tiny test CNN"
    x, _ = mnist_test(32)
    np.testing.assert_allclose(run_onnx(r.content, x), model.forward(x), atol=1e-5, rtol=0)


def test_unknown_model_is_404_naming_it(client):
    refused(client.get("/api/models/nope/model.onnx"), 404, "model_id", "'nope'")


def test_a_graph_model_downloads_too(tmp_path, settings):
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from app.main import create_app  # noqa: PLC0415
    from tests.engine.onnx_nets import BRANCHES, randomised  # noqa: PLC0415

    net = randomised(BRANCHES, seed=11)
    net.save(tmp_path / "branches.npz")
    with TestClient(create_app(settings.model_copy(update={"models_dir": tmp_path}))) as c:
        r = c.get("/api/models/branches/model.onnx")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="branches.onnx"'
    x, _ = mnist_test(16)
    np.testing.assert_allclose(run_onnx(r.content, x), net.forward(x), atol=1e-5, rtol=0)
