"""A real layer's anatomy (``/api/models/{id}/layers/{index}/anatomy``): M·x + b rebuilt from
the JSON is the layer's feature map; a chosen output and a drawn image; bad requests."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.utils import DIGIT, matrix_times, post_json, refused


@pytest.mark.parametrize(
    "index, shape_in, shape_out", [(0, [1, 28, 28], [28, 28]), (3, [4, 14, 14], [12, 12])]
)
def test_matrix_times_the_layer_input_is_the_feature_map(client, index, shape_in, shape_out):
    r = client.post(
        f"/api/models/two-convs/layers/{index}/anatomy",
        json={"pixels": DIGIT.tolist(), "preprocess": False, "filter": 1},
    )
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["layer"]["index"] == index and d["layer"]["type"] == "conv2d" and d["filter"] == 1
    assert list(np.shape(d["input"])) == shape_in and list(np.shape(d["feature_map"])) == shape_out
    assert d["matrix"]["shape_in"] == shape_in and d["matrix"]["filter"] == 1
    assert d["matches"] is True and d["max_abs_diff"] < 1e-5 <= d["tolerance"]
    # recomputed here from the JSON alone (input and feature map are rounded to 5 digits)
    got = matrix_times(d["matrix"], d["input"])
    scale = max(1.0, np.abs(d["feature_map"]).max())
    assert np.allclose(got, np.asarray(d["feature_map"]).reshape(-1), atol=1e-3 * scale)
    i, j = d["output"]
    assert d["feature_map"][i][j] == max(max(row) for row in d["feature_map"])  # the strongest
    assert math.isclose(d["step"]["sum"], d["feature_map"][i][j], abs_tol=1e-4 * scale)
    assert len(d["step"]["terms"]) == d["matrix"]["kernel_shape"][0] * 9


def test_layer_anatomy_of_a_chosen_output_and_a_drawn_image(client):
    r = client.post(
        "/api/models/two-convs/layers/0/anatomy",
        json={"pixels": DIGIT.tolist(), "filter": 3, "output": [0, 0]},
    )
    d = r.json()
    assert r.status_code == 200 and d["output"] == [0, 0] and d["step"]["output"] == [0, 0]
    padded = [t for t in d["step"]["terms"] if t["input"] is None]
    assert len(padded) == 5  # the top-left 3×3 window with padding 1 reads 5 padded zeros


@pytest.mark.parametrize(
    "path, body, status, words",
    [
        ("/api/models/two-convs/layers/1/anatomy", {}, 404, ["index", "not a conv2d", "0 (conv1)"]),
        ("/api/models/two-convs/layers/0/anatomy", {"filter": 4}, 422, ["filter", "0 to 3"]),
        ("/api/models/two-convs/layers/0/anatomy", {"filter": -1}, 422, ["filter"]),
        ("/api/models/two-convs/layers/0/anatomy", {"output": [28, 0]}, 422, ["output", "28×28"]),
        ("/api/models/two-convs/layers/0/anatomy", {"output": [1]}, 422, ["output"]),
        ("/api/models/two-convs/layers/9/anatomy", {}, 404, ["index"]),
        ("/api/models/nope/layers/0/anatomy", {}, 404, ["model_id", "nope"]),
    ],
)
def test_bad_layer_anatomy_requests(client, path, body, status, words):
    detail = refused(post_json(client, path, {"pixels": DIGIT.tolist(), **body}), status)
    for word in words:
        assert word in detail, detail
