"""A grouped conv's real-layer anatomy, per group, through the API: the committed depthwise
(groups 8) + grouped (groups 2) ONNX fixture imported, then ``?group=g`` on the anatomy and the
weight matrix. Stacking the group's per-filter matrices gives its block ``M_g``, and
``M_g @ x_g + b_g`` is the layer's activations on the group's channels (from ``/activations``).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import REPO_ROOT, Settings
from app.main import create_app
from tests.onnx_fixtures import mnist_digits
from tests.utils import upload

DIGIT = {"pixels": mnist_digits(1)[0][0, 0].tolist(), "preprocess": False}
CONV1, DEPTHWISE, GROUPED = 0, 2, 4  # the fixture's conv layers (depthwise_elu.onnx)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("groups")
    settings = Settings(models_dir=tmp / "models", data_dir=REPO_ROOT / "data")
    with TestClient(create_app(settings)) as client:
        r = upload(client, "depthwise_elu.onnx", display="Depthwise")
        assert r.status_code == 201, r.text
        base = f"/api/models/{r.json()['id']}"
        acts = client.post(f"{base}/activations", json=DIGIT)
        assert acts.status_code == 200, acts.text
        yield client, base, acts.json()["layers"]


def ok(r) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


def dense(matrix: dict) -> np.ndarray:
    m = np.zeros((matrix["rows"], matrix["cols"]))
    for row, col, k in matrix["entries"]:
        m[row, col] = matrix["kernel"][k]
    return m


@pytest.mark.parametrize(
    "index, groups, group, ins, outs",
    [
        (DEPTHWISE, 8, 0, [0], [0]),
        (DEPTHWISE, 8, 5, [5], [5]),
        (GROUPED, 2, 0, [0, 1, 2, 3], list(range(8))),
        (GROUPED, 2, 1, [4, 5, 6, 7], list(range(8, 16))),
    ],
)
def test_the_groups_block_times_its_input_is_the_layers_output_there(
    served, index, groups, group, ins, outs
):
    client, base, layers = served
    a = ok(client.post(f"{base}/layers/{index}/anatomy", params={"group": group}, json=DIGIT))
    assert (a["group"], a["groups"]) == (group, groups)
    assert a["group_in_channels"] == ins and a["group_out_channels"] == outs
    assert a["filter"] == outs[0]  # no filter asked for: the group's first
    x_in = np.asarray(layers[index - 1]["data"])  # the layer reads the ELU before it
    x_g = x_in[ins]  # (C/groups, H, W)
    assert np.asarray(a["input"]).shape == x_g.shape
    scale = max(1.0, float(np.abs(x_g).max()))  # /activations keeps 4 significant digits
    np.testing.assert_allclose(a["input"], x_g, atol=1e-3 * scale, rtol=0)
    assert np.asarray(a["kernel"]).shape[0] == len(ins) == a["matrix"]["kernel_shape"][0]
    assert a["matches"] is True and all(t["input"] is None or t["input"][0] < len(ins)
                                        for t in a["step"]["terms"])  # fmt: skip
    check = a["group_check"]
    assert check["checked"] and check["matches"], check
    assert check["filters"] == len(outs)

    # the block, rebuilt from the per-filter matrices the API gives for this group
    wms = [
        ok(client.get(f"{base}/layers/{index}/weight-matrix", params={"filter": f, "group": group}))
        for f in outs
    ]
    block = np.vstack([dense(wm) for wm in wms])  # (F/groups * H_out*W_out, C/groups * H*W)
    b_g = np.repeat([wm["bias"] for wm in wms], wms[0]["rows"])
    assert block.shape == (check["rows"], check["cols"])
    got = block @ np.asarray(a["input"]).reshape(-1) + b_g
    want = np.asarray(layers[index]["data"])[outs].reshape(-1)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, atol=1e-3 * scale, rtol=0)
    assert all(wm["num_structural_zeros"] > 0 for wm in wms)  # untrainable zeros, per filter


def test_a_filter_alone_finds_its_group(served):
    client, base, _ = served
    wm = ok(client.get(f"{base}/layers/{GROUPED}/weight-matrix", params={"filter": 11}))
    assert wm["group"] == 1 and wm["group_in_channels"] == [4, 5, 6, 7]
    assert wm["shape_in"][0] == 8 and wm["kernel_shape"] == [8, 1, 1]  # api.md: all C
    a = ok(client.post(f"{base}/layers/{DEPTHWISE}/anatomy", json={**DIGIT, "filter": 6}))
    assert (a["group"], a["filter"], a["group_in_channels"]) == (6, 6, [6])
    plain = ok(client.get(f"{base}/layers/{CONV1}/weight-matrix", params={"filter": 3}))
    assert (plain["group"], plain["groups"], plain["group_in_channels"]) == (0, 1, [0])
    png = client.get(f"{base}/layers/{DEPTHWISE}/weight-matrix.png", params={"group": 7})
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"


@pytest.mark.parametrize("index, f", [(DEPTHWISE, 5), (GROUPED, 11), (GROUPED, 2)])
def test_without_group_the_matrix_spans_every_channel_as_api_md_says(served, index, f):
    """``M @ x.flatten() + bias == conv(x)[f].flatten()`` for the layer's whole ``C × H × W``
    input: the other groups' columns are structural zeros, no entry reaches them."""
    client, base, layers = served
    wm = ok(client.get(f"{base}/layers/{index}/weight-matrix", params={"filter": f}))
    x = np.asarray(layers[index - 1]["data"])  # (C, H, W): what the layer reads
    assert wm["shape_in"] == list(x.shape) and wm["cols"] == x.size
    got = dense(wm) @ x.reshape(-1) + wm["bias"]
    want = np.asarray(layers[index]["data"])[f].reshape(-1)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, atol=1e-3 * scale, rtol=0)
    H, W = x.shape[1:]
    reached = {col // (H * W) for _, col, _ in wm["entries"]}
    assert reached == set(wm["group_in_channels"])  # only the filter's group's channels


@pytest.mark.parametrize(
    "method, index, params, body, words",
    [
        ("get", DEPTHWISE, {"group": 8}, None, "group: .* 8 group\\(s\\), 0 to 7, got 8"),
        ("post", GROUPED, {"group": 2}, DIGIT, "group: .* 2 group\\(s\\), 0 to 1, got 2"),
        ("get", CONV1, {"group": 1}, None, "group: .* 1 group\\(s\\), 0 to 0, got 1"),
        ("get", GROUPED, {"group": 1, "filter": 3}, None, "filter: group 1 .* 8 to 15, got 3"),
        ("post", DEPTHWISE, {"group": 2}, {**DIGIT, "filter": 0}, "filter: group 2 .* 2 to 2"),
        ("get", DEPTHWISE, {"group": -1}, None, "group"),
    ],
)
def test_a_group_or_filter_out_of_range_is_a_422_naming_it(
    served, method, index, params, body, words
):
    client, base, _ = served
    path = "anatomy" if method == "post" else "weight-matrix"
    r = client.request(method, f"{base}/layers/{index}/{path}", params=params, json=body)
    assert r.status_code == 422, r.text
    assert re.search(words, str(r.json()["detail"])), r.json()["detail"]


def test_the_cells_limit_counts_the_columns_of_the_matrix_answered(served):
    """At the default ``max_weight_matrix_cells`` (16,000,000): on a 40×40 input the 1×1
    grouped layer's matrix is 1,600 rows by 6,400 columns on one group's 4 channels (10.24 M
    cells) but 12,800 columns on all 8 (20.48 M): the whole one is refused, the group's given."""
    client, base, _ = served
    size = {"filter": 8, "input_height": 40, "input_width": 40}
    whole = client.get(f"{base}/layers/{GROUPED}/weight-matrix", params=size)
    assert whole.status_code == 422
    assert "1600×12800 = 20,480,000 cells" in whole.json()["detail"]
    assert "max_weight_matrix_cells = 16,000,000" in whole.json()["detail"]
    block = ok(client.get(f"{base}/layers/{GROUPED}/weight-matrix", params={**size, "group": 1}))
    assert (block["rows"], block["cols"]) == (1600, 6400)


def test_a_whole_grouped_matrix_too_wide_to_draw_points_at_group(served):
    """At the default max_weight_matrix_png_side (4,096): the 1×1 grouped layer on its 13×13
    input is drawable whole; on a 24×24 one it is 576 × 4,608 (too wide), and the refusal
    says one group (576 × 2,304) can be drawn."""
    client, base, _ = served
    size = {"filter": 8, "input_height": 24, "input_width": 24}
    r = client.get(f"{base}/layers/{GROUPED}/weight-matrix.png", params=size)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "576×4608" in detail and "max_weight_matrix_png_side = 4096" in detail
    assert "?group= draws one group's channels" in detail
    one = client.get(f"{base}/layers/{GROUPED}/weight-matrix.png", params={**size, "group": 1})
    assert one.status_code == 200 and one.content[:4] == b"\x89PNG"
