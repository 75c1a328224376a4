"""``POST /api/models/import`` with an int8-quantized ONNX file: it imports as its float
equivalent, its card says so, and it answers on real digits with onnxruntime's class."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from engine.convention import to_network
from tests.onnx_fixtures import FIXTURES, mnist_digits
from tests.utils import upload

MNIST = {"mean": [0.1307], "std": [0.3081]}


@pytest.fixture
def fresh(make_client, tmp_path):
    return make_client(models_dir=tmp_path / "models")


@pytest.mark.parametrize("fmt", ["qdq", "qop", "dynamic"])
def test_a_quantized_model_imports_and_its_card_says_it_was_dequantized(fresh, fmt):
    name = f"quantized/mnist_{fmt}.onnx"
    r = upload(fresh, name, display=f"int8 {fmt}", input=MNIST)
    assert r.status_code == 201, r.text
    model_id = r.json()["id"]
    card = fresh.get(f"/api/models/{model_id}").json()["card"]
    assert card["quantized"]["dequantized"] is True
    assert card["quantized"]["format"] == {"qdq": "QDQ", "qop": "QOperator"}.get(fmt, fmt)
    assert "dequantized on import" in card["quantized"]["note"]

    ink, _ = mnist_digits(8)
    sess = ort.InferenceSession(str(FIXTURES / name), providers=["CPUExecutionProvider"])
    want = sess.run(None, {"input": to_network(ink, MNIST)})[0].argmax(1)
    for i in range(len(ink)):
        body = {"pixels": ink[i, 0].tolist(), "preprocess": False}
        r = fresh.post(f"/api/models/{model_id}/predict", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["prediction"] == want[i]
    assert np.isfinite(r.json()["probabilities"]).all()
