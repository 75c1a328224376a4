"""Flips and padded crops: the batched indexing agrees with the plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from engine.augment_colour import augment_photos, flip_crop, flip_crop_naive, random_flip_crop


@pytest.mark.parametrize("pad", [0, 1, 4])
def test_batched_flip_crop_matches_the_loop(pad):
    rng = np.random.default_rng(pad)
    x = rng.random((9, 3, 6, 7)).astype(np.float32)
    mirror, offset = random_flip_crop(len(x), pad, True, rng)
    np.testing.assert_array_equal(
        flip_crop(x, mirror, offset, pad), flip_crop_naive(x, mirror, offset, pad)
    )


def test_centre_offset_without_flip_is_the_identity_and_mirror_reverses_columns():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    centre = np.full((2, 2), 2)
    np.testing.assert_array_equal(flip_crop(x, np.array([False, False]), centre, 2), x)
    np.testing.assert_array_equal(flip_crop(x, np.array([True, True]), centre, 2), x[..., ::-1])
    shifted = flip_crop(x, np.array([False, False]), np.array([[2, 3], [2, 3]]), 2)
    np.testing.assert_array_equal(shifted[..., :-1], x[..., 1:])  # one column to the left
    assert (shifted[..., -1] == 0).all()  # the uncovered border is black


def test_augment_photos_is_seeded_and_checks_padding():
    x = np.random.default_rng(0).random((4, 3, 8, 8)).astype(np.float32)
    a = augment_photos(x, np.random.default_rng(1), pad=2)
    b = augment_photos(x, np.random.default_rng(1), pad=2)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="padding"):
        augment_photos(x, np.random.default_rng(1), pad=-1)
