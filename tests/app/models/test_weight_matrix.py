"""``/api/models/{id}/layers/{index}/weight-matrix`` (JSON and PNG): one conv filter as the
sparse matrix M with ``M @ x.flatten() + bias`` the convolution, its defaults, its refusals and
its size limits."""

from __future__ import annotations

import numpy as np
import pytest

from engine.anatomy import weight_matrix
from tests.utils import TINY_ID, decode_png, refused

API = f"/api/models/{TINY_ID}"
CONV_LAYERS = (0, 3)


def dense_matrix(body) -> np.ndarray:
    m = np.zeros((body["rows"], body["cols"]))
    entries = np.asarray(body["entries"], dtype=np.int64).reshape(-1, 3)
    m[entries[:, 0], entries[:, 1]] = np.asarray(body["kernel"])[entries[:, 2]]
    return m


@pytest.mark.parametrize("index", CONV_LAYERS)
@pytest.mark.parametrize("size", [None, (9, 7)])
def test_weight_matrix_times_input_is_the_convolution(client, model, index, size):
    """The contract's invariant: ``M @ x.flatten() + bias == conv(x)[f].flatten()``."""
    layer = model.layers[index]
    f = layer.out_channels - 1
    query = f"?filter={f}" + (f"&input_height={size[0]}&input_width={size[1]}" if size else "")
    r = client.get(f"{API}/layers/{index}/weight-matrix{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    C, H, W = model.shapes[index] if size is None else (layer.in_channels, *size)
    assert body["shape_in"] == [C, H, W]
    assert body["cols"] == C * H * W
    assert body["rows"] == body["shape_out"][0] * body["shape_out"][1]
    assert len(body["kernel"]) == C * 3 * 3
    assert body["filter"] == f and body["layer"] == index
    assert body["bias"] == pytest.approx(float(layer.params["bias"][f]))
    assert body["num_structural_zeros"] == body["rows"] * body["cols"] - len(body["entries"])
    x = np.random.default_rng(index).standard_normal((1, C, H, W)).astype(np.float32)
    conv = layer.forward(x)[0, f]  # (H_out, W_out)
    assert list(conv.shape) == body["shape_out"]
    got = dense_matrix(body) @ x.reshape(-1) + body["bias"]
    np.testing.assert_allclose(got, conv.reshape(-1), rtol=1e-4, atol=1e-5)


def test_weight_matrix_defaults_to_filter_0_and_the_models_input(client, model):
    body = client.get(f"{API}/layers/0/weight-matrix").json()
    assert body["filter"] == 0 and body["shape_in"] == [1, 28, 28]
    w = model.layers[0].params["weight"][0]
    expected = weight_matrix(w, model.layers[0].params["bias"][0], (1, 28, 28), 1, 1)
    assert body["entries"] == expected.entries.tolist()


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("filter=3", ["filter", "filters 0 to 2, got 3"]),
        ("filter=-1", ["filter (query)", "greater than or equal to 0"]),
        ("filter=x", ["filter (query)", "valid integer"]),
        ("input_height=65", ["input_height", "max_conv_input_side = 64"]),
        ("input_width=1000", ["input_width", "max_conv_input_side = 64"]),
        ("input_height=0", ["input_height (query)"]),
    ],
)
def test_weight_matrix_bad_query_is_422_naming_it(client, query, words):
    refused(client.get(f"{API}/layers/0/weight-matrix?{query}"), 422, *words)
    refused(client.get(f"{API}/layers/0/weight-matrix.png?{query}"), 422, *words)


def test_weight_matrix_of_an_input_smaller_than_the_kernel(client):
    r = client.get(f"{API}/layers/3/weight-matrix?input_height=2")
    refused(r, 422, "input_height", "too small", "kernel spans 3")


@pytest.mark.parametrize("index", [1, 2, 6])
def test_weight_matrix_only_for_conv_layers(client, index):
    refused(client.get(f"{API}/layers/{index}/weight-matrix"), 404, "not a conv2d", "0 (conv1)")


def test_weight_matrix_size_limits(make_client):
    client = make_client(max_weight_matrix_cells=10_000)
    refused(client.get(f"{API}/layers/0/weight-matrix"), 422, "max_weight_matrix_cells = 10,000")
    client = make_client(max_weight_matrix_entries=100)
    refused(client.get(f"{API}/layers/0/weight-matrix"), 422, "max_weight_matrix_entries = 100")
    client = make_client(max_weight_matrix_png_side=100)
    r = client.get(f"{API}/layers/0/weight-matrix.png")
    refused(r, 422, "max_weight_matrix_png_side = 100")
    assert client.get(f"{API}/layers/0/weight-matrix").status_code == 200  # the JSON still works


def test_weight_matrix_png(client, model):
    r = client.get(f"{API}/layers/3/weight-matrix.png?filter=1&input_height=8&input_width=8")
    img = decode_png(r)
    assert img.width > 3 * 8 * 8  # at least a pixel per column
    assert float(r.headers["x-value-min"]) == pytest.approx(
        float(model.layers[3].params["weight"][1].min())
    )
