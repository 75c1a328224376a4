"""Preprocessing a drawing into an MNIST-like 28×28 digit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.data import read_idx
from engine.preprocess import (
    centre_of_mass,
    mnist_normalise,
    preprocess,
    resize,
    to_ink,
)

MNIST_TEST = Path(__file__).resolve().parents[2] / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"


def stroke(points, size=(280, 280), width=12.0) -> np.ndarray:
    """Ink ``(H, W)`` float32 of a polyline through ``points`` (row, col), anti-aliased edges."""
    H, W = size
    rows, cols = np.mgrid[0:H, 0:W].astype(np.float64)  # (H, W) each
    dist = np.full(size, np.inf)
    for (r0, c0), (r1, c1) in zip(points[:-1], points[1:], strict=True):
        d = np.array([r1 - r0, c1 - c0], dtype=np.float64)
        s = np.clip(((rows - r0) * d[0] + (cols - c0) * d[1]) / (d @ d), 0.0, 1.0)
        dist = np.minimum(dist, np.hypot(rows - (r0 + s * d[0]), cols - (c0 + s * d[1])))
    return np.clip(width / 2 - dist + 0.5, 0.0, 1.0).astype(np.float32)


SEVEN = [(60, 70), (60, 200), (230, 110)]  # a "7": top bar, then the diagonal


def bbox(img: np.ndarray) -> tuple[int, int]:
    """Height and width of the bounding box of the non-zero pixels of ``img: (H, W)``."""
    rows, cols = np.flatnonzero(img.any(axis=1)), np.flatnonzero(img.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


# ------------------------------------------------------------------------------------ to_ink


def test_ink_polarity_and_alpha_agree():
    ink = stroke(SEVEN)
    u8 = np.round(ink * 255).astype(np.uint8)
    dark_on_light = np.repeat((255 - u8)[..., None], 3, axis=2)  # (H, W, 3) black on white
    light_on_dark = u8  # (H, W) white on black
    alpha = np.zeros((*u8.shape, 4), np.uint8)  # (H, W, 4) blue ink on a transparent canvas
    alpha[..., 2], alpha[..., 3] = 200, u8
    results = [preprocess(img) for img in (dark_on_light, light_on_dark, alpha)]
    for r in results:
        assert r.shape == (28, 28) and r.dtype == np.float32
    np.testing.assert_allclose(results[0], results[1], atol=1e-5)
    np.testing.assert_allclose(results[0], results[2], atol=1e-5)
    assert results[0].max() > 0.9


def test_ink_on_a_grey_background_starts_at_zero():
    ink = stroke(SEVEN)
    gray = 0.8 - 0.8 * ink  # dark ink on a light grey page
    got = to_ink(gray)
    assert got[0, 0] == 0.0  # the page is not ink
    np.testing.assert_allclose(got, ink, atol=1e-6)


def test_to_ink_accepts_float_rgb_and_single_channel():
    ink = stroke(SEVEN, size=(50, 60), width=5)
    np.testing.assert_allclose(to_ink(np.stack([1 - ink] * 3, -1)), ink, atol=1e-6)
    np.testing.assert_allclose(to_ink(ink[..., None]), ink, atol=1e-6)


@pytest.mark.parametrize(
    "img, message",
    [
        (np.zeros((4, 4, 2)), r"\(4, 4, 2\)"),
        (np.zeros((2, 4, 4, 1)), r"\(2, 4, 4, 1\)"),
        (np.full((4, 4), 255.0), "255"),
        (np.zeros((4, 4), np.int64), "int64"),
        (np.full((4, 4), np.nan), "NaN"),
    ],
)
def test_to_ink_rejects_bad_images(img, message):
    with pytest.raises(ValueError, match=message):
        to_ink(img)


# ---------------------------------------------------------------------------- mnist_normalise


def test_centre_of_mass_is_centred():
    out = preprocess(stroke(SEVEN))
    row, col = centre_of_mass(out)
    assert abs(row - 14.0) <= 0.5 and abs(col - 14.0) <= 0.5, (row, col)


def test_digit_fits_20x20_box():
    out = preprocess(stroke(SEVEN))
    h, w = bbox(out)
    assert max(h, w) == 20 and min(h, w) <= 20


def test_wide_stroke_keeps_aspect_ratio():
    wide = stroke([(140, 40), (140, 240)], width=40)  # 40 px tall, 240 px wide: ratio 6
    out = preprocess(wide)
    h, w = bbox(out)
    assert w == 20
    assert h in (3, 4, 5)  # 20 / 6 = 3.3, plus a partly covered row
    assert centre_of_mass(out)[0] == pytest.approx(14.0, abs=0.5)


def test_tall_thin_stroke_keeps_aspect_ratio():
    out = preprocess(stroke([(20, 140), (260, 140)], width=24))  # a "1": 240 x 24
    h, w = bbox(out)
    assert h == 20 and w in (2, 3)


def test_small_drawing_is_scaled_up():
    out = preprocess(stroke([(10, 10), (10, 16), (20, 12)], size=(40, 40), width=2))
    assert max(bbox(out)) == 20


@pytest.mark.parametrize(
    "blank",
    [
        np.full((200, 200, 3), 255, np.uint8),  # white canvas
        np.zeros((200, 200), np.uint8),  # black canvas
        np.zeros((200, 200, 4), np.uint8),  # transparent canvas
        np.zeros((1, 1), np.float32),
    ],
)
def test_blank_gives_zeros(blank):
    out = preprocess(blank)
    assert out.shape == (28, 28)
    assert not out.any()


def test_mnist_digits_drawn_large_come_back():
    """An MNIST test digit, upscaled ×10 and drawn dark-on-light, preprocesses to itself."""
    digits = read_idx(MNIST_TEST)[:40].astype(np.float32) / 255  # (40, 28, 28)
    for i, d in enumerate(digits):
        drawing = np.kron(d, np.ones((10, 10), np.float32))  # (280, 280)
        drawing = np.pad(drawing, ((17, 60), (45, 3)))  # off-centre on a bigger canvas
        drawing = np.round(255 * (1 - drawing)).astype(np.uint8)  # black ink on white
        out = preprocess(drawing)
        corr = np.corrcoef(out.ravel(), d.ravel())[0, 1]
        assert corr > 0.9, f"digit {i}: correlation {corr:.3f}"


def test_mnist_normalise_is_idempotent_on_mnist():
    digits = read_idx(MNIST_TEST)[:20].astype(np.float32) / 255
    for d in digits:
        assert np.corrcoef(mnist_normalise(d).ravel(), d.ravel())[0, 1] > 0.99


# ------------------------------------------------------------------------------------ resize


def resize_naive(ink: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area resampling by brute force: supersample each pixel into an h×w grid of sub-pixels."""
    H, W = ink.shape
    h, w = size
    fine = np.kron(ink, np.ones((h, w)))  # (H*h, W*w): pixel (i, j) covers an h×w block
    return fine.reshape(h, H, w, W).mean(axis=(1, 3))  # (h, H, w, W) -> (h, w)


@pytest.mark.parametrize("shape, size", [((6, 9), (3, 3)), ((7, 5), (3, 4)), ((5, 4), (12, 9))])
def test_resize_matches_naive_area_average(shape, size):
    ink = np.random.default_rng(0).uniform(size=shape).astype(np.float32)
    np.testing.assert_allclose(resize(ink, size), resize_naive(ink, size), atol=1e-5)


def test_resize_keeps_constants_and_mean():
    ink = np.random.default_rng(1).uniform(size=(37, 53)).astype(np.float32)
    assert np.allclose(resize(np.full((37, 53), 0.25, np.float32), (10, 7)), 0.25)
    assert resize(ink, (13, 11)).mean() == pytest.approx(ink.mean(), rel=1e-5)


def test_preprocess_without_normalising_just_resizes():
    img = np.zeros((56, 84), np.uint8)  # black canvas, one white block in the corner
    img[:28, :42] = 255
    out = preprocess(img, size=(28, 28), normalise=False)
    assert out.shape == (28, 28)
    assert np.allclose(out[:14, :14], 1.0) and np.allclose(out[14:], 0.0)


def test_preprocess_other_sizes():
    out = preprocess(stroke(SEVEN), size=(32, 32))
    assert out.shape == (32, 32) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    with pytest.raises(ValueError, match=r"\(0, 5\)"):
        resize(np.ones((4, 4)), (0, 5))
