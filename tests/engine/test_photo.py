"""Decoding untrusted pictures (``engine.photo``) and refusing bad input with a clear message."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.photo import ImageTooLarge, check_pixels, decode_image, image_format
from engine.preprocess import colour, luminance, network_input

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "preprocess"


def encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def gradient(w: int = 12, h: int = 9) -> np.ndarray:
    """``(h, w, 3)`` uint8 with distinct values per pixel and channel."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 20, yy * 25, (xx + yy) * 10], axis=-1).astype(np.uint8)


def test_formats_by_magic_bytes():
    rgb = Image.fromarray(gradient())
    assert image_format(encoded(rgb, "PNG")) == "PNG"
    assert image_format(encoded(rgb, "JPEG")) == "JPEG"
    assert image_format(encoded(rgb, "WEBP")) == "WEBP"
    assert image_format(b"GIF89a....") is None


@pytest.mark.parametrize("fmt, kw", [("PNG", {}), ("WEBP", {"lossless": True})])
def test_lossless_colour_decodes_exactly(fmt, kw):
    a = gradient()
    np.testing.assert_array_equal(decode_image(encoded(Image.fromarray(a), fmt, **kw)), a)


def test_modes():
    a = gradient()
    grey = a[..., 0]
    assert decode_image(encoded(Image.fromarray(grey), "PNG")).shape == (9, 12)  # L
    la = Image.merge("LA", [Image.fromarray(grey), Image.fromarray(a[..., 1])])
    rgba = decode_image(encoded(la, "PNG"))  # grey + alpha → RGBA, grey repeated
    assert (
        rgba.shape == (9, 12, 4) and (rgba[..., 0] == grey).all() and (rgba[..., 2] == grey).all()
    )
    pal = Image.fromarray(a).quantize(16)
    assert decode_image(encoded(pal, "PNG")).shape == (9, 12, 3)  # palette → RGB
    assert decode_image(encoded(pal, "PNG", transparency=0)).shape == (9, 12, 4)
    assert decode_image(encoded(Image.fromarray(grey > 100), "PNG")).dtype == np.uint8  # 1-bit
    cmyk = decode_image(encoded(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"))
    assert cmyk.shape == (8, 8, 3) and cmyk[0, 0, 0] > 200 and cmyk[0, 0, 1] < 60  # red


def test_sixteen_bit_grey_keeps_its_depth():
    a = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)
    got = decode_image(encoded(Image.fromarray(a), "PNG"))
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, a)
    np.testing.assert_allclose(luminance(got), a / 65535.0, atol=1e-7)


def test_transparency_is_white_paper_on_a_colour_model():
    a = np.zeros((10, 10, 4), dtype=np.uint8)  # black, fully transparent ...
    a[2:8, 2:8] = (255, 0, 0, 255)  # ... but an opaque red square
    rgb = colour(decode_image(encoded(Image.fromarray(a), "PNG")))
    assert (rgb[0, 0] == 255).all() and rgb[5, 5].tolist() == [255, 0, 0]


def test_grey_drawing_on_a_colour_model_is_repeated():
    grey = gradient()[..., 1]
    got = network_input(grey, {"resize": {"mode": "stretch"}}, (3, 9, 12))
    for c in range(3):
        np.testing.assert_array_equal(got.shown[c], grey / np.float32(255))
    ink = np.zeros((10, 10), dtype=np.float32)
    ink[3:6, 3:6] = 1.0  # pixels: 1 = ink, so dark ink on white paper
    shown = network_input(ink, None, (3, 10, 10)).shown
    assert shown[:, 0, 0].tolist() == [1, 1, 1] and shown[:, 4, 4].tolist() == [0, 0, 0]


def test_rgb_pixels_are_taken_as_colour():
    px = check_pixels((gradient() / 255).tolist())
    assert px.shape == (9, 12, 3)
    got = network_input(px, None, (3, 9, 12))
    np.testing.assert_allclose(got.shown, px.transpose(2, 0, 1), atol=1e-7)


def test_truncated_jpeg_is_a_value_error():
    with pytest.raises(ValueError, match=r"image: the JPEG could not be decoded \(truncated"):
        decode_image((FIXTURES / "truncated.jpg").read_bytes())


def test_not_an_image():
    with pytest.raises(ValueError, match="image: not a PNG, JPEG or WebP"):
        decode_image(b"%PDF-1.4 this is not a picture")
    with pytest.raises(ValueError, match="image: empty"):
        decode_image(b"")


def test_too_many_bytes():
    data = encoded(Image.fromarray(gradient()), "PNG")
    with pytest.raises(ImageTooLarge, match=f"max_image_bytes = {len(data) - 1:,}"):
        decode_image(data, max_bytes=len(data) - 1)


def test_too_many_pixels_refused_from_the_header():
    data = encoded(Image.fromarray(gradient(w=40, h=30)), "PNG")
    with pytest.raises(ImageTooLarge, match="max_image_pixels = 1,000"):
        decode_image(data, max_pixels=1000)
    with pytest.raises(ImageTooLarge, match="max_image_side = 32 on either side"):
        decode_image(data, max_side=32)


def test_a_decompression_bomb_costs_nothing():
    """A PNG whose header claims 100 000 × 100 000 with almost no data: refused on the header."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    chunk = lambda kind, body: (  # noqa: E731
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    )
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
    with pytest.raises(ImageTooLarge, match="image: its header claims too many pixels"):
        decode_image(data, max_side=10**6, max_pixels=10**12)


@pytest.mark.parametrize(
    "pixels, message",
    [
        ([[0.5] * 8] * 600, "pixels: height 600 is over the limit max_pixels_side = 512"),
        ([[0.5] * 4] * 8, "pixels: width 4 is under the limit min_pixels_side = 8"),
        ([[0.5] * 8] * 7 + [[0.5] * 9], "rows have different lengths"),
        ([[2.0] * 8] * 8, r"values must be in \[0, 1\]"),
        ([[float("nan")] * 8] * 8, "NaN"),
        ([[[0.1, 0.2]] * 8] * 8, r"pixels: shape \[8, 8, 2\]"),
        ([0.5] * 8, r"pixels: expected an H × W or H × W × 3 list"),
        (5, r"pixels: expected an H × W"),
    ],
)
def test_bad_pixels(pixels, message):
    with pytest.raises(ValueError, match=message):
        check_pixels(pixels)


def test_a_huge_centre_crop_intermediate_is_refused():
    """A 1-pixel-tall strip whose shorter side becomes 64 would be 64 × 65 536 pixels."""
    strip = np.zeros((1, 1024, 3), dtype=np.uint8)
    conv = {"resize": {"mode": "center-crop", "size": 64}}
    with pytest.raises(ImageTooLarge, match="max_image_pixels = 100,000"):
        network_input(strip, conv, (3, 32, 32), max_pixels=100_000)


@pytest.mark.parametrize(
    "picture",
    [np.zeros((8, 8), np.int64), np.zeros((8, 8, 2), np.uint8), np.zeros((8, 8, 4), np.float32)],
)
def test_network_input_refuses_what_is_not_a_picture(picture):
    with pytest.raises(ValueError, match="picture: "):
        network_input(picture, None, (1, 28, 28))
