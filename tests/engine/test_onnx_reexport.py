"""Export after import, and import after export: the numbers survive both ways.

* Every committed ONNX fixture (PyTorch, dynamo, Keras-style, CNTK-style), imported by the
  engine and exported again, runs in onnxruntime with the engine's outputs (≤ 1e-5) — and so
  with the original file's (the importer's own bar, 1e-4 relative).
* An engine model exported and imported again is the same model: the same parameter and buffer
  names and values, the same outputs.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.convention import complete_convention
from engine.model import Model
from engine.onnx_export import onnx_bytes, to_onnx
from engine.onnx_import import import_onnx
from tests.engine.onnx_check import ROOT, assert_same, mnist_test, run_onnx
from tests.engine.onnx_nets import BRANCHES, FEATURES, randomised
from tests.onnx_fixtures import MANIFEST, NAMES, digits_for, imported, run_onnxruntime
from tests.specs import RESIDUAL


@pytest.mark.parametrize("name", NAMES)
def test_an_imported_fixture_exports_with_the_same_outputs(name):
    convention = MANIFEST[name]["input"]
    model = imported(name, convention=convention)
    x = digits_for(name, 20)
    proto = to_onnx(model)
    got = assert_same(model, x, proto)  # ≤ 1e-5 against the engine
    (original,) = run_onnxruntime(name, x, model.meta["onnx"]["input_layout"])
    scale = max(float(np.abs(original).max()), 1e-6)
    assert float(np.abs(got - original).max()) / scale <= 1e-4  # and the file it came from
    props = {p.key: json.loads(p.value) for p in proto.metadata_props}
    assert props["input"] == complete_convention(convention, model.input_shape)
    assert props["source"] == "onnx"


def shipped() -> Model:
    return Model.load(ROOT / "models" / "mnist-cnn.npz")


@pytest.mark.parametrize(
    "make",
    [
        shipped,
        lambda: randomised(BRANCHES, seed=5),
        lambda: randomised(RESIDUAL, seed=6),
        lambda: randomised(FEATURES, seed=7),
    ],
    ids=["shipped", "branches", "residual", "features"],
)
def test_export_then_import_is_the_same_model(make):
    model = make()
    back = import_onnx(onnx_bytes(model), name=model.name)
    state, again = model.state(), back.state()
    assert sorted(again) == sorted(state)  # the PyTorch-style names survive
    for key, a in state.items():
        assert np.array_equal(again[key], a), key
    x, _ = mnist_test(16)
    np.testing.assert_allclose(back.forward(x), model.forward(x), rtol=0, atol=1e-5)
    np.testing.assert_allclose(run_onnx(to_onnx(back), x), model.forward(x), rtol=0, atol=1e-5)


def test_labels_and_input_convention_come_back_from_the_metadata():
    model = Model.from_spec(
        [{"type": "flatten"}, {"type": "dense", "config": {"out_features": 3}}],
        classes=["cat", "dog", "emu"],
        meta={"input": {"invert": True, "scale": 255.0, "mean": [0.5], "std": [0.25]}},
    )
    back = import_onnx(onnx_bytes(model), name="pets")
    assert back.classes == ["cat", "dog", "emu"]
    assert back.meta["input"] == {"invert": True, "scale": 255.0, "mean": [0.5], "std": [0.25]} | {
        "channels": "gray",
        "resize": {"mode": "digit"},
    }
