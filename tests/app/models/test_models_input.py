"""``/api/models/{id}/predict`` and the other drawing endpoints refusing bad input: malformed
images and pixels, NaNs, truncated or bomb PNGs, bodies over the byte limits (also chunked)."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image

from tests.utils import TINY_ID, data_url, png, refused, with_header_size

API = f"/api/models/{TINY_ID}"

# -- bad input ----------------------------------------------------------------------------


def post_predict(client, body):
    return client.post(f"{API}/predict", json=body)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"image": "this is not base64!"}, 422, ["image", "base64"]),
        ({"image": base64.b64encode(b"plain text, no image").decode()}, 422, ["image", "PNG"]),
        ({"image": "data:image/png;base64,"}, 422, ["image", "empty"]),
        ({}, 422, ["exactly one of `image`", "`pixels`"]),
        ({"image": "AAAA", "pixels": [[0.0] * 8] * 8}, 422, ["exactly one"]),
        ({"pixels": [[0.0] * 8] * 7 + [[0.0] * 3]}, 422, ["pixels", "rectangular"]),
        ({"pixels": [[0.5] * 7] * 7}, 422, ["pixels", "min_pixels_side = 8"]),
        ({"pixels": [[0.5] * 600] * 8}, 413, ["pixels", "max_pixels_side = 512"]),
        ({"pixels": [[2.0] * 8] * 8}, 422, ["pixels", "[0, 1]"]),
        ({"pixels": [[-1.0] * 8] * 8}, 422, ["pixels", "[0, 1]"]),
        ({"pixels": [["x"] * 8] * 8}, 422, ["pixels", "non-numbers"]),
        ({"pixels": [[[0.5, 0.5]] * 8] * 8}, 422, ["pixels", "H × W × 3"]),
        ({"pixels": [0.5] * 64}, 422, ["pixels[0]", "valid list"]),
        ({"pixels": [[0.0] * 8] * 8, "preprocess": "maybe"}, 422, ["preprocess"]),
    ],
)
def test_bad_image_input_is_4xx_naming_the_field(client, body, status, words):
    refused(post_predict(client, body), status, *words)


def test_nan_pixels_are_422(client):
    body = '{"pixels": [' + ",".join(["[" + ",".join(["NaN"] * 8) + "]"] * 8) + "]}"
    r = client.post(f"{API}/predict", content=body, headers={"content-type": "application/json"})
    refused(r, 422, "pixels", "NaN")


def test_invalid_json_is_422(client):
    r = client.post(
        f"{API}/predict", content=b"{not json", headers={"content-type": "application/json"}
    )
    refused(r, 422, "not valid JSON")


def test_truncated_png_is_422(client):
    data = png(np.random.default_rng(1).integers(0, 255, (80, 80), dtype=np.uint8))
    refused(post_predict(client, {"image": data_url(data[:-200])}), 422, "image", "truncated")


@pytest.mark.parametrize("side", [10_000, 200_000])
def test_decompression_bomb_header_is_413(client, side):
    bomb = with_header_size(png(np.zeros((1, 1), dtype=np.uint8)), side, side)
    refused(post_predict(client, {"image": data_url(bomb)}), 413, "image", "max_image_side")


def test_large_image_that_compresses_small_is_413(client):
    data = png(Image.new("L", (10_000, 10_000), 255))  # ~100 KB of PNG for 100 M pixels
    assert len(data) < 2 * 1024 * 1024
    refused(post_predict(client, {"image": data_url(data)}), 413, "image", "max_image_side = 2048")


def test_image_over_the_byte_limit_is_413(make_client):
    client = make_client(max_image_bytes=1000)
    data = png(np.random.default_rng(2).integers(0, 255, (64, 64), dtype=np.uint8))
    refused(post_predict(client, {"image": data_url(data)}), 413, "max_image_bytes = 1,000")


def test_body_over_the_request_limit_is_413(make_client):
    client = make_client(max_request_bytes=10_000)
    r = client.post(f"{API}/predict", json={"pixels": [[0.5] * 100] * 100})
    refused(r, 413, "request body", "max_request_bytes = 10,000")


def test_chunked_body_over_the_request_limit_is_413(make_client):
    client = make_client(max_request_bytes=10_000)

    def chunks():  # no Content-Length: the limit is enforced while the body streams in
        yield b'{"pixels": ['
        for _ in range(100):
            yield b"[" + b",".join([b"0.5"] * 100) + b"],"
        yield b"[0.5]]}"

    r = client.post(
        f"{API}/predict", content=chunks(), headers={"content-type": "application/json"}
    )
    refused(r, 413, "max_request_bytes = 10,000")


def test_chunked_body_under_the_limit_is_read(client):
    body = b'{"pixels": [' + b",".join([b"[" + b",".join([b"0"] * 8) + b"]"] * 8) + b"]}"
    r = client.post(
        f"{API}/predict", content=iter([body[:10], body[10:]]),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert r.status_code == 200, r.text


def test_bad_input_on_every_drawing_endpoint(client):
    for path in ("/activations", "/layers/0/feature-maps.png"):
        refused(client.post(f"{API}{path}", json={"image": "@@@"}), 422, "image")
