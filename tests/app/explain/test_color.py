"""``/api/color``: a photo's R, G, B channels and a 3-channel filter; the depth rule as a 422."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy.signal import correlate2d

from app.core.settings import REPO_ROOT
from engine.kernels import COLOR_FILTERS
from tests.utils import data_url, png, refused


@pytest.fixture
def color_client(make_client):
    return make_client(static_dir=REPO_ROOT / "static", max_color_side=64)


def test_samples_are_listed_and_served(color_client):
    samples = color_client.get("/api/color/samples").json()["samples"]
    assert [s["name"] for s in samples] == ["shapes", "stripes", "landscape"]
    r = color_client.get(samples[0]["url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"


def test_a_sample_has_three_channels(color_client):
    body = color_client.post("/api/color", json={"sample": "shapes"}).json()
    assert body["input_shape"] == [3, 64, 64]  # 96×96 shrunk to max_color_side
    channels = np.asarray(body["channels"])
    assert channels.shape == (3, 64, 64) and body["output"] is None
    # the red disc is red: R high, G and B low at its centre (row 18, column 17 of 64)
    r, g, b = channels[:, 18, 17]
    assert r > 0.7 and g < 0.3 and b < 0.3


def test_an_uploaded_photo_and_a_3_channel_filter(color_client):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    k = np.asarray(COLOR_FILTERS["vertical-edge"]["kernel"])
    r = color_client.post(
        "/api/color", json={"image": data_url(png(rgb)), "kernel": k.tolist(), "bias": 0.1}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    x = rgb.transpose(2, 0, 1) / 255.0
    np.testing.assert_allclose(body["channels"], x, atol=1e-3)
    parts = np.stack([correlate2d(x[c], k[c], mode="same") for c in range(3)])
    np.testing.assert_allclose(body["parts"], parts, atol=1e-4)
    np.testing.assert_allclose(body["output"], parts.sum(axis=0) + 0.1, atol=1e-4)
    assert (
        body["kernel_shape"] == [3, 3, 3]
        and "depth 3 matches the 3 channels" in body["explanation"]
    )


def test_a_big_photo_is_shrunk_and_a_transparent_one_is_on_white(color_client):
    img = Image.new("RGBA", (300, 150), (0, 0, 255, 0))
    body = color_client.post(
        "/api/color", json={"image": data_url(png(img)), "preset": "blue"}
    ).json()
    assert body["input_shape"] == [3, 32, 64]
    assert np.asarray(body["channels"]).min() == 1.0  # fully transparent → white


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (
            {"sample": "shapes", "kernel": [[1, 0, -1]] * 3},
            422,
            ["kernel", "depth 1", "3 channels", "Jeremy Jordan", "TechnologyMadeEasy"],
        ),
        ({"sample": "shapes", "kernel": [[[1]]] * 2}, 422, ["kernel", "depth 2", "(3, 1, 1)"]),
        ({"sample": "shapes", "kernel": [[[1]]] * 4}, 422, ["kernel", "depth 4"]),
        ({"sample": "nope"}, 422, ["sample", "shapes"]),
        ({}, 422, ["image/sample"]),
        ({"sample": "shapes", "preset": "purple"}, 422, ["preset", "red"]),
        ({"image": "data:image/png;base64,AAAA"}, 422, ["image", "PNG, JPEG or WebP"]),
    ],
)
def test_bad_colour_requests_are_4xx_naming_the_field(color_client, body, status, words):
    refused(color_client.post("/api/color", json=body), status, *words)


def test_photo_over_the_byte_limit_is_413(make_client):
    client = make_client(static_dir=REPO_ROOT / "static", max_image_bytes=100)
    img = np.random.default_rng(1).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    refused(client.post("/api/color", json={"image": data_url(png(img))}), 413, "max_image_bytes")
