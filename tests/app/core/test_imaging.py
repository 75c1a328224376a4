"""Decoding ``ImageInput``: what is accepted, and that every bad input is a named 4xx."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from fastapi import HTTPException
from PIL import Image

from app.core.imaging import decode, decode_base64, network_input, picture
from app.core.schemas import ImageInput
from app.core.settings import Settings
from tests.utils import data_url, draw_seven, png, with_header_size

LIMITS = Settings()


def open_image(data: bytes, max_side: int):
    return decode(data, Settings(max_image_side=max_side))


def check_pixels(pixels, min_side: int, max_side: int):
    limits = Settings(min_pixels_side=min_side, max_pixels_side=max_side)
    return picture(ImageInput(pixels=pixels), limits)


def api_error(fn, *args) -> HTTPException:
    """``fn(*args)`` raises an ``HTTPException``; return it."""
    with pytest.raises(HTTPException) as info:
        fn(*args)
    return info.value


# -- base64 -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "data:image/png;base64,", "data:;base64,"])
def test_base64_with_or_without_data_url(prefix):
    assert decode_base64(prefix + base64.b64encode(b"\x89PNG abc").decode(), 100) == b"\x89PNG abc"


def test_base64_with_line_breaks():
    text = base64.encodebytes(b"x" * 200).decode()  # 76-character lines
    assert decode_base64(text, 1000) == b"x" * 200


@pytest.mark.parametrize("text", ["not base64!", "abc", "äöü", "data:image/png,rawdata"])
def test_not_base64_is_422_naming_image(text):
    err = api_error(decode_base64, text, 1000)
    assert err.status_code == 422
    assert err.detail.startswith("image:")


def test_too_many_bytes_refused_before_decoding():
    err = api_error(decode_base64, "A" * 2_000_000, 1000)  # not even valid: length is checked first
    assert err.status_code == 413
    assert "max_image_bytes = 1,000" in err.detail


def test_decoded_size_checked_exactly():
    assert len(decode_base64(base64.b64encode(b"y" * 1000).decode(), 1000)) == 1000
    err = api_error(decode_base64, base64.b64encode(b"y" * 1001).decode(), 1000)
    assert err.status_code == 413


def test_empty_image_is_422():
    assert api_error(decode_base64, "", 1000).status_code == 422


# -- PNG / JPEG ---------------------------------------------------------------------------


def test_png_grey_and_rgba():
    assert open_image(png(draw_seven(40)), 2048).shape == (40, 40)
    rgba = np.zeros((20, 30, 4), dtype=np.uint8)
    rgba[5:15, 5:25, 3] = 255
    out = open_image(png(rgba), 2048)
    assert out.shape == (20, 30, 4)
    assert out[..., 3].max() == 255


def test_jpeg_accepted():
    out = open_image(png(draw_seven(64).convert("RGB"), "JPEG"), 2048)
    assert out.shape == (64, 64, 3)  # a colour JPEG stays colour


def test_webp_accepted():
    out = open_image(png(draw_seven(32).convert("RGB"), "WEBP"), 2048)
    assert out.shape == (32, 32, 3)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_422(fmt):
    err = api_error(open_image, png(draw_seven(32).convert("RGB"), fmt), 2048)
    assert err.status_code == 422
    assert "PNG, JPEG or WebP" in err.detail


def test_not_an_image_is_422():
    assert api_error(open_image, b"hello, world", 2048).status_code == 422


def test_truncated_png_is_422():
    data = png(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8))
    err = api_error(open_image, data[: len(data) // 2], 2048)
    assert err.status_code == 422
    assert "truncated or corrupt" in err.detail


def test_png_with_bad_data_is_422():
    data = bytearray(png(draw_seven(64)))
    data[60:80] = b"\x00" * 20  # inside the IDAT stream
    assert api_error(open_image, bytes(data), 2048).status_code == 422


def test_image_side_limit_read_from_header():
    data = png(np.zeros((30, 10), dtype=np.uint8))
    err = api_error(open_image, data, 20)
    assert err.status_code == 413
    assert "10×30" in err.detail and "max_image_side = 20" in err.detail


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_decompression_bomb_header_refused_without_decoding(side):
    bomb = with_header_size(png(np.zeros((1, 1), dtype=np.uint8)), side, side)
    err = api_error(open_image, bomb, 2048)
    assert err.status_code == 413
    assert "max_image_side = 2048" in err.detail


def test_real_compressed_bomb_refused():
    data = png(Image.new("L", (4096, 4096), 0))  # 16 M pixels in a few KB
    assert len(data) < 100_000
    err = api_error(open_image, data, 2048)
    assert err.status_code == 413


# -- pixels -------------------------------------------------------------------------------


def test_pixels_ok():
    x = check_pixels([[0.0, 1.0] * 4] * 8, 8, 512)
    assert x.shape == (8, 8) and x.dtype == np.float32


@pytest.mark.parametrize(
    ("pixels", "words"),
    [
        ([[0.0] * 8] * 7 + [[0.0] * 9], "different lengths"),
        ([[0.0] * 8] * 7, "min_pixels_side = 8"),
        ([[0.0] * 7] * 8, "width 7"),
        ([], "height 0"),
        ([[float("nan")] * 8] * 8, "NaN"),
        ([[float("inf")] * 8] * 8, "NaN or infinity"),
        ([[1.5] * 8] * 8, "[0, 1]"),
        ([[-0.1] * 8] * 8, "[0, 1]"),
    ],
)
def test_bad_pixels_are_422_naming_pixels(pixels, words):
    err = api_error(check_pixels, pixels, 8, 512)
    assert err.status_code == 422
    assert err.detail.startswith("pixels:")
    assert words in err.detail


def test_pixels_over_the_side_limit_are_413():
    err = api_error(check_pixels, [[0.0] * 513] * 8, 8, 512)
    assert err.status_code == 413
    assert "max_pixels_side = 512" in err.detail


def test_colour_pixels_ok():
    x = check_pixels([[[0.0, 0.5, 1.0]] * 8] * 8, 8, 512)
    assert x.shape == (8, 8, 3) and x.dtype == np.float32


# -- to the network input -----------------------------------------------------------------


def test_network_input_from_pixels_without_preprocessing_is_a_resize():
    pixels = np.zeros((56, 56))
    pixels[:28, :28] = 1.0
    x, ink = network_input(
        ImageInput(pixels=pixels.tolist(), preprocess=False), (1, 28, 28), LIMITS
    )
    assert x.shape == (1, 1, 28, 28) and x.dtype == np.float32
    assert ink[:14, :14].min() == 1.0 and ink[14:].max() == 0.0


def test_network_input_blank_is_all_zero():
    x, _ = network_input(ImageInput(pixels=[[0.0] * 8] * 8), (1, 28, 28), LIMITS)
    assert not x.any()


def test_a_grey_drawing_on_a_colour_model_has_its_channel_repeated():
    x, shown = network_input(ImageInput(image=data_url(png(draw_seven(56)))), (3, 16, 16), LIMITS)
    assert x.shape == (1, 3, 16, 16) and shown.shape == (3, 16, 16)
    assert np.array_equal(x[0, 0], x[0, 1]) and np.array_equal(x[0, 0], x[0, 2])
    assert x[0, 0, 0, 0] == pytest.approx(1.0)  # white paper stays white: a photo, not ink


def test_a_colour_photo_on_a_digit_model_is_its_luminance_then_framed():
    rgb = np.zeros((40, 40, 3), dtype=np.uint8)
    rgb[:] = (255, 255, 255)
    rgb[10:30, 18:22] = (200, 0, 0)  # a red stroke on white
    x, ink = network_input(ImageInput(image=data_url(png(rgb))), (1, 28, 28), LIMITS)
    assert x.shape == (1, 1, 28, 28) and ink.shape == (28, 28)
    rows = np.flatnonzero(ink.max(axis=1) > 0.05)
    assert rows[-1] - rows[0] + 1 == 20  # framed: the stroke's long side fills the 20-pixel box


def test_a_convention_that_does_not_fit_the_model_is_422_naming_input():
    err = api_error(
        network_input, ImageInput(pixels=[[0.0] * 8] * 8), (1, 28, 28), LIMITS, {"channels": "rgb"}
    )
    assert err.status_code == 422 and err.detail.startswith("input.channels")


def test_dark_on_light_light_on_dark_and_transparent_give_the_same_input():
    dark_on_light = draw_seven(ink=0, background=255)
    light_on_dark = draw_seven(ink=255, background=0)
    transparent = Image.new("RGBA", dark_on_light.size, (0, 0, 0, 0))
    transparent.putalpha(draw_seven(ink=255, background=0))
    inputs = [
        network_input(ImageInput(image=data_url(png(img))), (1, 28, 28), LIMITS)[1]
        for img in (dark_on_light, light_on_dark, transparent)
    ]
    assert inputs[0].max() == pytest.approx(1.0)
    np.testing.assert_allclose(inputs[1], inputs[0], atol=1e-6)
    np.testing.assert_allclose(inputs[2], inputs[0], atol=1e-6)
