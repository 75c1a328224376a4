"""``PATCH /api/models/{id}`` with ``input``: an import's input convention changed afterwards,
kept on disk, and the evaluation scored again with it (not served from the cache)."""

from __future__ import annotations

from app.core.registry import read_card
from engine.model import Model
from tests.app.trainset import TINY, import_, npz_bytes
from tests.utils import refused

NORMALIZE = {"invert": False, "scale": 1.0, "mean": [0.1307], "std": [0.3081]}
# as stored: the convention completed with a grey digit model's defaults
STORED = {**NORMALIZE, "channels": "gray", "resize": {"mode": "digit"}}


def test_the_convention_changes_after_import_and_the_evaluation_follows(http, mnist_settings):
    r = import_(http, npz_bytes(Model.from_spec(TINY, seed=3).params()), name="Wrong convention")
    model_id = r.json()["id"]
    before = http.get(f"/api/models/{model_id}/evaluation").json()
    r = http.patch(f"/api/models/{model_id}", json={"input": NORMALIZE})
    assert r.status_code == 200, r.text
    assert r.json()["input"] == STORED and r.json()["name"] == "Wrong convention"
    assert http.get(f"/api/models/{model_id}").json()["input"] == STORED
    after = http.get(f"/api/models/{model_id}/evaluation").json()
    assert after["cached"] is False and after["loss"] != before["loss"]
    on_disk = Model.load(mnist_settings.models_dir / f"{model_id}.npz")
    assert read_card(on_disk, mnist_settings.models_dir / "none.json")["input"] == NORMALIZE


def test_a_bad_convention_is_refused_naming_the_field(http):
    r = import_(http, npz_bytes(Model.from_spec(TINY, seed=4).params()), name="Bad convention")
    model_id = r.json()["id"]
    bad = {**NORMALIZE, "std": [0.0]}
    r = http.patch(f"/api/models/{model_id}", json={"input": bad})
    refused(r, 422, "input.std", "positive")
    refused(http.patch(f"/api/models/{model_id}", json={}), 422, "a new name")
    refused(http.patch("/api/models/mnist-cnn", json={"input": NORMALIZE}), 403, "shipped")
