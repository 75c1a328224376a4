"""``activations`` as one binary message, and what a unit reads (``connections``,
``receptive-field``): the numbers agree with the JSON ``activations`` of the same drawing."""

from __future__ import annotations

import numpy as np
import pytest

from app.models.packed import MEDIA_TYPE, unpack
from tests.utils import TINY_ID, seven_data_url

BASE = f"/api/models/{TINY_ID}"


@pytest.fixture(scope="module")
def drawing() -> dict:
    return {"image": seven_data_url()}


@pytest.fixture(scope="module")
def as_json(client, drawing) -> dict:
    r = client.post(f"{BASE}/activations", json=drawing)
    assert r.status_code == 200
    return r.json()


@pytest.mark.parametrize("dtype, atol", [("float32", 1e-4), ("float16", 1e-2)])
def test_packed_activations_hold_the_same_layers_as_the_json(client, drawing, as_json, dtype, atol):
    r = client.post(f"{BASE}/activations?format={dtype}", json=drawing)
    assert r.status_code == 200 and r.headers["content-type"] == MEDIA_TYPE
    header, arrays = unpack(r.content)
    assert header["dtype"] == dtype and header["prediction"] == as_json["prediction"]
    assert header["probabilities"] == as_json["probabilities"]
    for layer, a, j in zip(header["layers"], arrays, as_json["layers"], strict=True):
        assert "data" not in layer and layer["shape"] == j["shape"] == list(a.shape)
        assert layer["scale"] == j["scale"] and layer["min"] == j["min"]
        peak = max(1.0, abs(j["min"]), abs(j["max"]))
        np.testing.assert_allclose(a, np.asarray(j["data"]), atol=atol * peak, rtol=1e-3)


def test_the_network_input_travels_in_the_binary_block(client, drawing, as_json):
    r = client.post(f"{BASE}/activations?format=float32", json=drawing)
    head = r.content[8 : 8 + int.from_bytes(r.content[4:8], "little")]
    assert b'"input":{"shape":[28,28],"offset":0,"size":784}' in head  # no list in the header
    header, _ = unpack(r.content)
    assert header["input"].shape == (28, 28) and header["input"].dtype == np.float32
    np.testing.assert_allclose(header["input"], as_json["input"], atol=5e-4)  # JSON: 4 digits


def test_the_accept_header_asks_for_the_packed_form_and_json_stays_the_default(client, drawing):
    r = client.post(f"{BASE}/activations", json=drawing, headers={"Accept": MEDIA_TYPE})
    assert r.headers["content-type"] == MEDIA_TYPE and unpack(r.content)[0]["dtype"] == "float32"
    assert (
        client.post(f"{BASE}/activations", json=drawing)
        .headers["content-type"]
        .startswith("application/json")
    )
    bad = client.post(f"{BASE}/activations?format=float64", json=drawing)
    assert bad.status_code == 422 and "format" in bad.text


def test_every_layer_reports_the_scale_it_is_drawn_with(as_json):
    kinds = [ly["scale"]["kind"] for ly in as_json["layers"]]
    # conv, relu, pool (inherits relu), conv, relu, flatten (inherits), dense, softmax
    assert kinds == ["diverging", "sequential", "sequential", "diverging", "sequential",
                     "sequential", "diverging", "sequential"]  # fmt: skip
    conv = as_json["layers"][0]
    m = max(abs(conv["min"]), abs(conv["max"]))
    assert (conv["scale"]["lo"], conv["scale"]["hi"]) == (-m, m)


def test_a_conv_units_connections_sum_to_its_activation(client, drawing, as_json):
    r = client.post(f"{BASE}/layers/3/connections", json={**drawing, "unit": [2, 1, 2]})
    assert r.status_code == 200, r.text
    c = r.json()
    expected = as_json["layers"][3]["data"][2][1][2]
    assert c["value"] == pytest.approx(expected, abs=1e-4)
    (read,) = c["reads"]
    assert read["layer"] == 2 and read["kind"] == "window" and len(read["channels"]) == 3
    assert read["sum"] == pytest.approx(c["value"], abs=1e-5)
    pool = np.asarray(as_json["layers"][2]["data"])
    for ch in read["channels"]:
        top, left, bottom, right = ch["box"]
        assert (top, left, bottom, right) == (2, 4, 5, 7)  # stride 2, no padding
        np.testing.assert_allclose(ch["x"], pool[ch["channel"], top:bottom, left:right], atol=1e-4)
    assert [b["layer"] for b in c["receptive_field"]] == [2, 1, 0, -1]


def test_a_dense_unit_lists_its_strongest_weights(client, drawing, as_json):
    c = client.post(f"{BASE}/layers/6/connections", json={**drawing, "unit": [7], "top": 5}).json()
    (read,) = c["reads"]
    assert read["kind"] == "dense" and len(read["strongest"]) == 5
    weights = [abs(s["weight"]) for s in read["strongest"]]
    assert weights == sorted(weights, reverse=True)
    assert c["value"] == pytest.approx(as_json["layers"][6]["data"][7], abs=1e-4)
    assert "receptive_field" not in c


@pytest.mark.parametrize(
    "unit, needle",
    [
        ([0, 0], "a unit is 3 indices"),
        ([9, 0, 0], "unit[0]: 9 is outside"),
        ([0, 0, -1], "unit[2] (body): Input should be greater than or equal to 0"),
        ([0, 0, 99], "unit[2]"),
    ],
)
def test_bad_units_are_422_naming_the_field(client, drawing, unit, needle):
    r = client.post(f"{BASE}/layers/0/connections", json={**drawing, "unit": unit})
    assert r.status_code == 422 and needle in r.json()["detail"]


def test_receptive_field_boxes_come_from_the_engine(client):
    r = client.get(f"{BASE}/layers/3/receptive-field?row=0&col=0")
    assert r.status_code == 200
    boxes = {b["layer"]: b["box"] for b in r.json()["boxes"]}
    assert boxes[2] == [0, 0, 3, 3]  # conv2: 3×3 window of pool1
    assert boxes[0] == [0, 0, 6, 6]  # pool1 doubles it
    assert boxes[-1] == [0, 0, 7, 7]  # conv1 (padding 1) adds one on each side, clipped at 0
    assert client.get(f"{BASE}/layers/3/receptive-field?row=9&col=0").status_code == 422
    assert client.get(f"{BASE}/layers/6/receptive-field?row=0&col=0").status_code == 422
