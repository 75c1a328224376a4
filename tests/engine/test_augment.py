"""Training augmentation: random affine warps and stroke-thickness changes over a whole batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.augment import (
    augment_batch,
    change_thickness,
    dilate,
    erode,
    random_affines,
    warp_affine,
    warp_affine_naive,
)
from engine.data import read_idx

MNIST_TEST = Path(__file__).resolve().parents[2] / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"
ZERO = dict(rotate=0.0, scale=0.0, shear=0.0, translate=0.0, thickness=0.0)


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    """256 MNIST test digits, ``(256, 1, 28, 28)`` float32 in [0, 1]."""
    return (read_idx(MNIST_TEST)[:256].astype(np.float32) / 255)[:, None]


def centres(x: np.ndarray) -> np.ndarray:
    """Centre of mass ``(N, 2)`` (row, col) of each image of ``x: (N, 1, H, W)``."""
    N, _, H, W = x.shape
    ink = x[:, 0]  # (N, H, W)
    mass = ink.sum(axis=(1, 2))  # (N,)
    rows = (ink.sum(axis=2) @ np.arange(H)) / mass
    cols = (ink.sum(axis=1) @ np.arange(W)) / mass
    return np.stack([rows, cols], axis=1)


# ---------------------------------------------------------------------------- augment_batch


def test_shape_dtype_range(batch):
    out = augment_batch(batch, np.random.default_rng(0))
    assert out.shape == batch.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out is not batch


def test_deterministic_per_seed(batch):
    a = augment_batch(batch, np.random.default_rng(42))
    b = augment_batch(batch, np.random.default_rng(42))
    c = augment_batch(batch, np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 0.01


def test_moves_the_ink(batch):
    out = augment_batch(batch, np.random.default_rng(0))
    shift = np.linalg.norm(centres(out) - centres(batch), axis=1)  # (N,) pixels
    assert np.median(shift) > 0.5
    assert shift.max() < 6.0  # a few pixels, not off the canvas
    # ink is not lost off the canvas: scale (area 0.72..1.32) and thinning (>= 0.57) only
    assert (out.sum(axis=(1, 2, 3)) > 0.35 * batch.sum(axis=(1, 2, 3))).all()


def test_translation_only_moves_by_at_most_translate(batch):
    out = augment_batch(batch, np.random.default_rng(0), **{**ZERO, "translate": 2.0})
    shift = np.abs(centres(out) - centres(batch))  # (N, 2)
    assert shift.max() <= 2.0 + 0.05
    assert shift.max() > 1.5


def test_zero_strength_is_identity(batch):
    out = augment_batch(batch, np.random.default_rng(0), **ZERO)
    np.testing.assert_array_equal(out, batch)


def test_input_is_not_modified(batch):
    before = batch.copy()
    augment_batch(batch, np.random.default_rng(0))
    np.testing.assert_array_equal(batch, before)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rotate": -1.0}, "rotate strength must be >= 0, got -1.0"),
        ({"thickness": 1.5}, "thickness must be a fraction in \\[0, 1\\], got 1.5"),
        ({"scale": 1.0}, "scale strength must be < 1"),
    ],
)
def test_bad_strengths(batch, kwargs, message):
    with pytest.raises(ValueError, match=message):
        augment_batch(batch, np.random.default_rng(0), **kwargs)


def test_bad_shape():
    with pytest.raises(ValueError, match=r"\(4, 28, 28\)"):
        augment_batch(np.zeros((4, 28, 28), np.float32), np.random.default_rng(0))


# ------------------------------------------------------------------------------ warp_affine


def test_warp_matches_naive_loop():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(4, 2, 9, 11)).astype(np.float32)  # two channels, not square
    M, t = random_affines(4, rng, rotate=40.0, scale=0.5, shear=0.5, translate=4.0)
    np.testing.assert_allclose(warp_affine(x, M, t), warp_affine_naive(x, M, t), atol=1e-5)


def test_warp_integer_translation_shifts_exactly():
    x = np.random.default_rng(2).uniform(size=(1, 1, 8, 8)).astype(np.float32)
    out = warp_affine(x, np.eye(2)[None], np.array([[1.0, -2.0]]))  # down 1, left 2
    expected = np.zeros_like(x)
    expected[..., 1:, :6] = x[..., :7, 2:]
    np.testing.assert_array_equal(out, expected)


def test_warp_rotation_by_90_degrees_is_rot90():
    x = np.random.default_rng(3).uniform(size=(1, 1, 7, 7)).astype(np.float32)
    R = np.array([[[0.0, -1.0], [1.0, 0.0]]])  # theta = 90°, counter-clockwise on screen
    out = warp_affine(x, R, np.zeros((1, 2)))
    np.testing.assert_allclose(out, np.rot90(x, axes=(2, 3)), atol=1e-6)


def test_warp_far_outside_reads_zero():
    x = np.ones((1, 1, 6, 6), np.float32)
    out = warp_affine(x, np.eye(2)[None], np.array([[40.3, -25.6]]))
    assert not out.any()


def test_random_affines_respect_strengths():
    M, t = random_affines(1000, np.random.default_rng(0), rotate=0.0, scale=0.2, shear=0.0)
    s = np.sqrt(np.abs(np.linalg.det(M)))  # (1000,) isotropic scale factors
    assert s.min() >= 0.8 - 1e-9 and s.max() <= 1.2 + 1e-9 and s.max() > 1.15
    np.testing.assert_allclose(M[:, 0, 1], 0.0, atol=1e-12)  # no rotation or shear
    assert np.abs(t).max() <= 2.5 and np.abs(t).max() > 2.4


# ------------------------------------------------------------------------- stroke thickness


def window_naive(x: np.ndarray, offsets, reduce) -> np.ndarray:
    """``reduce`` of ``x: (H, W)`` over ``x[i + di, j + dj]``, zero outside, by plain loops."""
    H, W = x.shape
    out = np.zeros_like(x)
    for i in range(H):
        for j in range(W):
            values = [
                x[i + di, j + dj] if 0 <= i + di < H and 0 <= j + dj < W else 0.0
                for di in offsets
                for dj in offsets
            ]
            out[i, j] = reduce(values)
    return out


@pytest.mark.parametrize(
    "filt, k, offsets, reduce",
    [
        (dilate, 2, (0, 1), max),
        (dilate, 3, (-1, 0, 1), max),
        (erode, 2, (0, 1), min),
        (erode, 3, (-1, 0, 1), min),
    ],
)
def test_dilate_erode_match_loops(filt, k, offsets, reduce):
    x = np.random.default_rng(4).uniform(size=(2, 1, 6, 7)).astype(np.float32)
    got = filt(x, k)
    for n in range(2):
        np.testing.assert_array_equal(got[n, 0], window_naive(x[n, 0], offsets, reduce))


def test_dilate_thickens_and_erode_thins(batch):
    x = batch[:16]
    assert (dilate(x, 2).sum(axis=(1, 2, 3)) > x.sum(axis=(1, 2, 3))).all()
    assert (dilate(x, 3).sum(axis=(1, 2, 3)) > dilate(x, 2).sum(axis=(1, 2, 3))).all()
    assert (erode(x, 2).sum(axis=(1, 2, 3)) < x.sum(axis=(1, 2, 3))).all()
    with pytest.raises(ValueError, match="got 5"):
        dilate(x, 5)


def test_thickness_fraction(batch):
    def changed(fraction: float) -> np.ndarray:  # (N,) bool: which images were filtered
        out = change_thickness(batch, np.random.default_rng(0), fraction)
        return (out != batch).any(axis=(1, 2, 3))

    assert not changed(0.0).any()
    assert changed(1.0).all()
    assert 0.15 < changed(0.3).mean() < 0.45
