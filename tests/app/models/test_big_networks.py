"""A deep imported network through the API as the explorer's overview reads it: its blocks in
the model detail, and one page of a big layer's channels (`?first_channel=&max_channels=`)."""

from __future__ import annotations

import numpy as np
import pytest

from app.models import packed
from tests.onnx_fixtures import fixture_bytes

RGB = '{"channels": "rgb"}'


@pytest.fixture
def resnet(make_client, tmp_path):
    client = make_client(models_dir=tmp_path / "models")
    data, _ = fixture_bytes("big/resnet18_narrow.onnx")
    files = [("weights", ("resnet18_narrow.onnx", data, "application/octet-stream"))]
    r = client.post("/api/models/import", data={"name": "r18", "input": RGB}, files=files)
    assert r.status_code == 201, r.text
    return client, r.json()["id"]


def test_the_model_detail_lists_its_residual_blocks(resnet):
    client, mid = resnet
    detail = client.get(f"/api/models/{mid}").json()
    blocks = detail["blocks"]
    assert len(detail["layers"]) == 48 and len(blocks) == 8
    first = blocks[0]
    assert (first["first"], first["last"], first["input"], first["kind"]) == (3, 7, 2, "residual")
    assert detail["layers"][first["merge"]]["type"] == "add"


def test_a_chain_has_no_blocks(client):
    mid = client.get("/api/models").json()["default"]
    assert client.get(f"/api/models/{mid}").json()["blocks"] == []


def test_one_page_of_a_layers_channels(resnet):
    client, mid = resnet
    url = f"/api/models/{mid}/activations"
    body = {"pixels": np.random.default_rng(0).random((32, 32, 3)).tolist()}
    full = client.post(url, json=body).json()["layers"]
    deep = next(layer for layer in full if layer["shape"][0] == 16)  # the widest stage
    i = deep["index"]
    page = client.post(f"{url}?layers={i}&first_channel=4&max_channels=8", json=body).json()
    got = page["layers"][i]
    assert (got["first_channel"], got["shipped_channels"]) == (4, 8)
    np.testing.assert_allclose(got["data"], np.asarray(deep["data"])[4:12], atol=1e-3)
    message = client.post(
        f"{url}?format=float32&layers={i}&first_channel=12&max_channels=8", json=body
    )
    header, arrays = packed.unpack(message.content)
    assert header["layers"][i]["data_shape"] == [4, *deep["shape"][1:]]  # only 4 are left
    np.testing.assert_allclose(arrays[i], np.asarray(deep["data"])[12:], atol=1e-3)


def test_a_page_sized_to_its_maps(resnet):
    client, mid = resnet
    url = f"/api/models/{mid}/activations?format=float32&max_layer_values=100&max_channels=3"
    body = {"pixels": np.random.default_rng(1).random((32, 32, 3)).tolist()}
    header, arrays = packed.unpack(client.post(url, json=body).content)
    for layer, a in zip(header["layers"], arrays, strict=True):
        if len(layer["shape"]) == 3:
            C, H, W = layer["shape"]
            assert a.shape == (min(C, 3, max(1, 100 // (H * W))), H, W)  # 16×16 maps: one


def test_a_negative_first_channel_is_422_naming_it(resnet):
    client, mid = resnet
    r = client.post(
        f"/api/models/{mid}/activations?first_channel=-1", json={"pixels": [[0.0] * 8] * 8}
    )
    assert r.status_code == 422 and "first_channel" in r.text
