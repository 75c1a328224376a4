"""GET /api/models/{id}/model.onnx of imported colour models with the newer layer types
(hardtanh, hardswish, silu, selu, prelu, LRN, narrow, pad modes): onnxruntime runs the file the
app writes with the outputs of the file that was imported."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from engine.onnx_import import import_onnx
from tests.engine.onnx_images import MANIFEST, fixture, photos, relative_error, run_onnxruntime

CASES = {
    "mobilenet_block.onnx": {"hardswish", "hardtanh", "hardsigmoid", "silu"},
    "selu_prelu.onnx": {"selu", "prelu"},
    "lrn.onnx": {"localresponsenorm"},
    "shufflenet.onnx": {"narrow"},
    "pad_modes.onnx": {"pad"},
}


@pytest.mark.parametrize("name", list(CASES))
def test_an_imported_colour_model_exports_with_the_same_outputs(colour, name):
    client, _ = colour
    model = import_onnx(fixture(name), name=name)
    assert CASES[name] <= {layer.type for layer in model.layers}
    model_id = name.removesuffix(".onnx").replace("_", "-")
    client.app.state.registry.add(model_id, model)
    try:
        r = client.get(f"/api/models/{model_id}/model.onnx")
    finally:
        client.app.state.registry.remove(model_id)
    assert r.status_code == 200, r.text[:300]
    x = photos()[:4]
    sess = ort.InferenceSession(r.content, providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {sess.get_inputs()[0].name: x})
    original = run_onnxruntime(fixture(name), x, MANIFEST[name]["input_shape"])
    want = original[model.meta["onnx"]["output"]]
    assert relative_error(np.asarray(got), want) <= 1e-5
