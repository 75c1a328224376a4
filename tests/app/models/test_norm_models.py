"""A digit model with the layers imported ConvNeXt, GroupNorm and GELU networks bring (group
norm, layer norm over channels, GELU, erf, MVN between convolutions): every endpoint that reads
a layer's geometry answers (never a 5xx), and the receptive fields say what the layers read."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from engine.model import Model
from tests.specs import conv
from tests.utils import DIGIT

MODEL_ID = "norms"
SPECS = [
    conv("stem", 4, 3, padding=1),
    {"type": "layernorm2d", "name": "ln"},
    {"type": "gelu", "name": "act"},
    conv("mid", 4, 3, padding=1),
    {"type": "groupnorm", "name": "gn", "config": {"num_groups": 2}},
    {"type": "erf", "name": "squash"},
    conv("after", 4, 3, padding=1),
    {"type": "maxpool2d", "name": "pool", "config": {"kernel_size": 2}},
    {"type": "flatten"},
    {"type": "dense", "name": "fc", "config": {"out_features": 10}},
]
INDEX = {s["name"]: i for i, s in enumerate(SPECS) if "name" in s}
API = f"/api/models/{MODEL_ID}"
BODY = {"pixels": DIGIT.tolist(), "preprocess": False}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    d = tmp_path_factory.mktemp("norm-models")
    Model.from_spec(SPECS, seed=5, name="Norms", meta={"dataset": "mnist"}).save(d / "norms.npz")
    settings = Settings(models_dir=d, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as c:
        yield c


# every endpoint that reads a layer's geometry or runs the model: a body means POST
REQUESTS = {
    "/explain": None,
    "/predict": BODY,
    "/activations": BODY,
    "/layers/{gn}/feature-maps.png": BODY,
    "/explain/saliency": BODY,
    "/explain/gradcam": {**BODY, "layer": 6},
    "/explain/occlusion": BODY,
    "/explain/layers/{after}/maximise?steps=2": None,
    "/layers/{after}/filters": None,
    "/model.onnx": None,
}


@pytest.mark.parametrize("path", REQUESTS)
def test_every_endpoint_answers_on_the_norm_layers(client, path):
    url, body = API + path.format(**INDEX), REQUESTS[path]
    r = client.get(url) if body is None else client.post(url, json=body)
    assert r.status_code == 200, (url, r.text)


def test_receptive_fields_through_the_norms(client):
    """The layer norm keeps each position's box (3 + 2 = 5 pixels after two 3×3 convs); after
    the group norm, whose statistics read its whole input map, a unit sees the whole digit."""
    fields = {
        c["index"]: c["receptive_field"] for c in client.get(f"{API}/explain").json()["conv_layers"]
    }
    assert fields[INDEX["stem"]] == [3, 3] and fields[INDEX["mid"]] == [5, 5]
    assert fields[INDEX["after"]] == [32, 32]  # the whole 28×28 map, and two convs' padding
