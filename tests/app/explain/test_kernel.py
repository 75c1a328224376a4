"""``/api/kernel``: a hand-made kernel or a preset on the drawing; refusals name the field."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from engine.kernels import KERNELS
from engine.preprocess import preprocess
from tests.utils import decode_png, refused, seven_pixels


def test_presets_include_seed_001s_edge_detectors(client):
    body = client.get("/api/kernel/presets").json()
    names = [p["name"] for p in body["presets"]]
    assert names[:3] == ["vertical-edge", "horizontal-edge", "diagonal"]
    assert {"blur", "sharpen", "identity"} <= set(names)
    assert all(np.asarray(p["kernel"]).shape == (3, 3, 3) for p in body["color_presets"])


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_a_preset_on_the_drawing_is_the_correlation_of_the_network_input(client, name):
    pixels = seven_pixels()
    r = client.post("/api/kernel", json={"pixels": pixels, "preset": name})
    assert r.status_code == 200, r.text
    body = r.json()
    x = preprocess(np.asarray(pixels, dtype=np.float32)).astype(np.float64)
    want = correlate2d(x, np.asarray(KERNELS[name]["kernel"]), mode="same")
    assert body["shape"] == [28, 28] and body["preset"] == name
    np.testing.assert_allclose(body["output"], want, atol=1e-4 * max(1, np.abs(want).max()))
    np.testing.assert_allclose(body["input"], x, atol=1e-3)


def test_a_typed_kernel_with_valid_padding_and_bias(client):
    kernel = [[0, 0], [0, 1]]
    body = client.post(
        "/api/kernel",
        json={"pixels": seven_pixels(), "kernel": kernel, "bias": 0.5, "padding": "valid"},
    ).json()
    assert body["shape"] == [27, 27] and "27" in body["formula"]
    x = np.asarray(body["input"])
    np.testing.assert_allclose(body["output"], x[1:, 1:] + 0.5, atol=1e-3)


def test_kernel_png(client):
    img = decode_png(
        client.post("/api/kernel.png", json={"pixels": seven_pixels(), "preset": "blur"})
    )
    assert img.width > 28


@pytest.mark.parametrize(
    ("extra", "status", "words"),
    [
        ({}, 422, ["kernel/preset", "exactly one"]),
        ({"preset": "emboss"}, 422, ["preset", "vertical-edge"]),
        ({"kernel": [[1, 2], [3]]}, 422, ["kernel[1]", "rectangular"]),
        ({"kernel": [[1.0] * 12] * 12}, 413, ["kernel", "max_kernel_side = 11"]),
        ({"kernel": [[1, 0], [0, 1]]}, 422, ["kernel", "odd"]),
        ({"kernel": [[[1]], [[1]], [[1]]]}, 422, ["kernel", "depth 3", "1 channels"]),
        ({"kernel": [["a"]]}, 422, ["kernel"]),
        ({"preset": "blur", "padding": "full"}, 422, ["padding"]),
    ],
)
def test_bad_kernels_are_4xx_naming_the_field(client, extra, status, words):
    refused(client.post("/api/kernel", json={"pixels": seven_pixels(), **extra}), status, *words)
