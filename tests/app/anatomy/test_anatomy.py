"""``/api/conv``, ``/api/pool``, the presets and the parameter count. (A real layer's anatomy:
``test_real_layer.py``; the arithmetic alone: ``test_arithmetic.py``.)"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from engine.anatomy import POOL_PRESETS, PRESETS
from tests.utils import conv_preset, matrix_times, post_conv, post_json, refused

# -- /api/conv: the contract's shapes -------------------------------------------------------


def test_conv_response_has_the_contract_shapes(client):
    d = post_conv(client, conv_preset("filter-2x2-on-3x3"))
    assert d["output_shape"] == [2, 2] and np.shape(d["output"]) == (2, 2)
    m = d["matrix"]
    assert set(m) >= {"shape_in", "shape_out", "rows", "cols", "kernel", "bias", "entries"}
    assert (m["shape_in"], m["shape_out"], m["rows"], m["cols"]) == ([1, 3, 3], [2, 2], 4, 9)
    assert len(d["steps"]) == 4
    for n, step in enumerate(d["steps"]):
        assert step["output"] == list(divmod(n, 2))  # row-major
        assert set(step) == {"output", "terms", "bias", "sum", "window"}
        assert len(step["terms"]) == 4
        for t in step["terms"]:
            assert set(t) == {"input", "x", "w", "product"} and t["product"] == t["x"] * t["w"]
        i, j = step["output"]
        assert step["sum"] == d["output"][i][j] == sum(t["product"] for t in step["terms"]) + 1
    assert "H_out = ⌊(3 + 2·0 − 1·(2 − 1) − 1) / 1⌋ + 1 = 2" in d["formula"]


def test_conv_accepts_2d_and_3d_grids_and_pairs(client):
    flat = post_conv(
        client, {"input": [[1, 2, 3], [4, 5, 6]], "kernel": [[1, 1]], "stride": [1, 2]}
    )
    deep = post_conv(
        client, {"input": [[[1, 2, 3], [4, 5, 6]]], "kernel": [[[1, 1]]], "stride": [1, 2]}
    )
    assert flat["output"] == deep["output"] == [[3], [9]]
    assert flat["stride"] == [1, 2] and flat["padding"] == [0, 0] and flat["dilation"] == [1, 1]
    same = post_conv(
        client, {"input": [[1, 2, 3]] * 3, "kernel": [[0, 1, 0]] * 3, "padding": "same"}
    )
    assert same["output_shape"] == [3, 3] and same["padding"] == [1, 1]


def test_a_padded_position_reads_zero_and_names_no_input(client):
    d = post_conv(client, conv_preset("same-padding"))
    first = d["steps"][0]["terms"]
    assert first[0] == {"input": None, "x": 0.0, "w": 1.0, "product": 0.0}
    assert first[4]["input"] == [0, 0, 0] and first[4]["x"] == 1.0


def test_one_step_on_request(client):
    d = post_conv(client, conv_preset("5x5x3-on-32x32x3", step=[27, 3]))
    assert d["output_shape"] == [28, 28] and len(d["steps"]) == 1
    step = d["steps"][0]
    assert step["output"] == [27, 3] and len(step["terms"]) == 75
    assert step["sum"] == d["output"][27][3]
    assert "out of" not in refused(
        post_json(client, "/api/conv", conv_preset("filter-2x2-on-3x3", step=[2, 0])), 422
    )


# -- the seeds, through the API -------------------------------------------------------------


def test_seed002_gives_minus_34_and_minus_16(client):
    d = post_conv(client, conv_preset("two-dot-products"))
    assert d["output"][0] == [-34.0, -16.0]
    first, second = d["steps"][0], d["steps"][1]
    assert [t["product"] for t in first["terms"]] == [1 * 4, -5 * 5, -3 * 9, 7 * 2]
    assert [t["product"] for t in second["terms"]] == [1 * 1, -5 * 2, -3 * 7, 7 * 2]
    assert [t["input"] for t in second["terms"]] == [[0, 0, 2], [0, 0, 3], [0, 1, 2], [0, 1, 3]]


def test_seed000_is_a_4x9_matrix_with_16_shared_entries(client):
    d = post_conv(client, conv_preset("filter-2x2-on-3x3"))
    m = d["matrix"]
    assert (m["rows"], m["cols"], len(m["entries"])) == (4, 9, 16)
    assert m["num_structural_zeros"] == 20 and m["kernel"] == [1.0, 2.0, 3.0, 4.0]
    assert sorted(k for _, _, k in m["entries"]) == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4
    assert [[c for r, c, _ in m["entries"] if r == row] for row in range(4)] == [
        [0, 1, 3, 4],
        [1, 2, 4, 5],
        [3, 4, 6, 7],
        [4, 5, 7, 8],
    ]
    assert d["output"] == [[38.0, 48.0], [68.0, 78.0]]  # αA + βB + γD + δE + b = 1+4+12+20+1
    assert d["parameters"]["conv"] == 5 and d["parameters"]["dense"] == 4 * 9 + 4


@pytest.mark.parametrize(
    "name, shape",
    [
        ("same-padding", [3, 3]),
        ("stride-2", [3, 3]),
        ("1x1-across-channels", [4, 4]),
        ("5x5x3-on-32x32x3", [28, 28]),
    ],
)
def test_seed_presets_keep_their_sizes(client, name, shape):
    d = post_conv(client, conv_preset(name))
    assert d["output_shape"] == shape and len(d["steps"]) == shape[0] * shape[1]
    assert d["formula"].splitlines()[0].endswith(f"= {shape[0]}")


def test_seed004_1x1_weights_the_channels(client):
    d = post_conv(client, conv_preset("1x1-across-channels"))
    x = np.asarray(PRESETS["1x1-across-channels"]["input"])
    assert np.array_equal(d["output"], x[0] - x[1] + 2 * x[2])


@pytest.mark.parametrize("name", list(PRESETS))
def test_matrix_times_input_plus_bias_is_the_output(client, name):
    d = post_conv(client, conv_preset(name))
    got = matrix_times(d["matrix"], d["input"])
    assert np.allclose(got, np.asarray(d["output"]).reshape(-1), atol=1e-9)


@pytest.mark.parametrize(
    "stride, padding, dilation", [(1, 0, 1), (2, 1, 1), ([1, 2], [2, 0], [2, 1]), (3, 2, 2)]
)
def test_matrix_invariant_on_random_volumes(client, stride, padding, dilation):
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 7, 6)).round(3), rng.normal(size=(2, 3, 2)).round(3)
    body = {"input": x.tolist(), "kernel": w.tolist(), "bias": -0.5}
    d = post_conv(client, {**body, "stride": stride, "padding": padding, "dilation": dilation})
    got = matrix_times(d["matrix"], x)
    assert np.allclose(got, np.asarray(d["output"]).reshape(-1), atol=1e-9)
    assert all(s["sum"] == d["output"][s["output"][0]][s["output"][1]] for s in d["steps"])


# -- /api/pool ------------------------------------------------------------------------------


def test_seed002_max_pooling(client):
    r = client.post(
        "/api/pool",
        json={"input": PRESETS["two-dot-products"]["input"][0], "mode": "max", "kernel_size": 2},
    )
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["output"] == [[9.0, 7.0], [8.0, 6.0]] and d["output_shape"] == [2, 2]
    assert d["stride"] == [2, 2] and d["global"] is False
    assert d["steps"][0] == {
        "output": [0, 0],
        "window": [[0, 0], [0, 1], [1, 0], [1, 1]],
        "value": 9.0,
        "source": [1, 0],
        "padded_window": [[0, 0], [0, 1], [1, 0], [1, 1]],
    }
    assert "= 2" in d["formula"]


def test_pool_modes_and_global(client):
    x = [[1.0, 2.0, 0.0], [4.0, -1.0, 3.0], [0.5, 0.5, 0.5]]
    avg = client.post("/api/pool", json={"input": x, "mode": "avg", "kernel_size": 2, "stride": 1})
    assert avg.status_code == 200
    assert avg.json()["output"] == [[1.5, 1.0], [1.0, 0.75]]
    assert all(s["source"] is None for s in avg.json()["steps"])
    low = client.post("/api/pool", json={"input": x, "mode": "min", "global": True}).json()
    assert low["output"] == [[-1.0]] and low["steps"][0]["source"] == [1, 1]
    assert "global" in low["formula"] and len(low["steps"][0]["window"]) == 9


def test_pool_presets_run(client):
    for p in client.get("/api/anatomy/presets").json()["pool"]:
        body = {k: p[k] for k in ("input", "mode", "kernel_size", "stride", "padding", "global")}
        r = client.post("/api/pool", json=body)
        assert r.status_code == 200, (p["name"], r.text)
    assert client.get("/api/anatomy/presets").json()["pool"][0]["name"] == "max-2x2"


# -- presets and parameters -----------------------------------------------------------------


def test_presets_are_the_engines(client):
    d = client.get("/api/anatomy/presets").json()
    assert [p["name"] for p in d["conv"]] == list(PRESETS)
    for p in d["conv"]:
        assert p == PRESETS[p["name"]]
    assert d["pool"] == POOL_PRESETS
    shown = json.dumps(d, ensure_ascii=False)
    assert "2×2 filter on a 3×3 image" in shown and "Mukul Rathi" in shown
    assert not re.search(r"seed\s*\d", shown, re.IGNORECASE)  # cited by author, not numbered


def test_seed004_dense_layer_has_25_million_weights(client):
    d = client.get("/api/anatomy/params?channels=3&height=256&width=256&units=128").json()
    assert d["dense"] == 25_165_824 and d["conv"] == 75
    assert "25,165,824" in d["dense_formula"]
    with_bias = client.get("/api/anatomy/params?filters=6&units=128&bias=true").json()
    assert with_bias["conv"] == 6 * (75 + 1) and with_bias["dense"] == 128 * (196_608 + 1)
    assert client.get("/api/anatomy/params?channels=0").status_code == 422


# -- documentation and steps -----------------------------------------------------------------


def test_the_endpoints_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/conv", "/api/pool", "/api/models/{model_id}/layers/{index}/anatomy"):
        op = paths[path]["post"]
        assert "$ref" in json.dumps(op["requestBody"]) and "200" in op["responses"]
    assert "/api/anatomy/presets" in paths and "/api/anatomy/params" in paths


def test_each_step_says_where_its_window_sits_on_the_padded_input(client):
    d = post_conv(client, conv_preset("same-padding"))
    first, last = d["steps"][0], d["steps"][-1]
    assert first["window"][0] == [0, -1, -1] and first["window"][-1] == [0, 1, 1]
    assert last["window"][-1] == [0, 3, 3]  # past the bottom-right corner: padding
    for step in d["steps"]:
        for (c, r, s), t in zip(step["window"], step["terms"], strict=True):
            assert t["input"] == ([c, r, s] if 0 <= r < 3 and 0 <= s < 3 else None)
    strided = post_conv(client, conv_preset("two-dot-products"))["steps"][1]["window"]
    assert strided == [[0, 0, 2], [0, 0, 3], [0, 1, 2], [0, 1, 3]]


def test_one_more_step_without_the_matrix(client):
    d = post_conv(client, conv_preset("5x5x3-on-32x32x3", step=[5, 6], matrix=False))
    assert d["matrix"] is None and d["steps"][0]["output"] == [5, 6]
    assert d["parameters"]["dense"] == 784 * 3072 + 784 and d["parameters"]["conv"] == 76


def test_pool_steps_say_where_the_window_sits_on_the_padding(client):
    x = [[float(v) for v in range(5)] for _ in range(5)]
    d = client.post(
        "/api/pool", json={"input": x, "mode": "max", "kernel_size": 3, "stride": 2, "padding": 1}
    ).json()
    first = d["steps"][0]
    assert first["padded_window"][0] == [-1, -1] and len(first["padded_window"]) == 9
    assert first["window"] == [[0, 0], [0, 1], [1, 0], [1, 1]]  # in bounds only
    assert d["input"] == x
