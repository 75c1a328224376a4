"""Convolution against cross-correlation, checked against SciPy: ``scipy.signal.convolve2d``
is the mathematical convolution, ``correlate2d`` what deep-learning libraries call one."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.signal import convolve2d, correlate2d

from engine.anatomy import (
    MODES,
    check_mode,
    convolve,
    flip_kernel,
    kernel_for,
    relation,
    weight_matrix,
)
from tests.utils import scipy_reference

CASES = [  # (seed, C, H, W, kh, kw, stride, padding)
    (0, 1, 3, 3, 2, 2, 1, 0),
    (1, 1, 6, 5, 3, 2, 1, 1),
    (2, 1, 7, 7, 3, 3, 2, 0),
    (3, 2, 8, 6, 3, 3, 2, 1),
    (4, 3, 9, 9, 2, 3, 3, 2),
]


@pytest.mark.parametrize("case", CASES)
def test_convolution_is_scipy_convolve2d_and_the_default_is_correlate2d(case):
    seed, C, H, W, kh, kw, s, p = case
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((C, H, W)), rng.standard_normal((C, kh, kw))
    conv = convolve(x, kernel_for(w, "convolution"), 0.0, stride=s, padding=p)
    corr = convolve(x, kernel_for(w, "cross-correlation"), 0.0, stride=s, padding=p)
    assert_allclose(conv, scipy_reference(x, w, s, p, convolve2d), atol=1e-12)
    assert_allclose(corr, scipy_reference(x, w, s, p, correlate2d), atol=1e-12)
    assert not np.allclose(conv, corr)  # a random kernel is not symmetric


@pytest.mark.parametrize("case", CASES)
def test_the_weight_matrix_of_the_flipped_kernel_is_the_convolution(case):
    seed, C, H, W, kh, kw, s, p = case
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((C, H, W)), rng.standard_normal((C, kh, kw))
    wm = weight_matrix(flip_kernel(w), 0.5, x.shape, stride=s, padding=p)
    want = scipy_reference(x, w, s, p, convolve2d).reshape(-1) + 0.5
    assert_allclose(wm.matvec(x), want, atol=1e-12)


def test_flip_reverses_both_spatial_axes_of_every_channel_and_twice_is_identity():
    w = np.arange(12.0).reshape(2, 2, 3)
    f = flip_kernel(w)
    assert f[0].tolist() == [[5.0, 4.0, 3.0], [2.0, 1.0, 0.0]]
    assert f[1, 0, 0] == w[1, -1, -1]
    assert_array_equal(flip_kernel(f), w)
    assert flip_kernel([[1, 2], [3, 4]]).tolist() == [[[4.0, 3.0], [2.0, 1.0]]]
    symmetric = np.array([[[1.0, 2.0, 1.0], [0.0, 5.0, 0.0], [1.0, 2.0, 1.0]]])
    assert_array_equal(kernel_for(symmetric, "convolution"), symmetric)  # flip changes nothing


def test_mode_is_checked_and_the_relation_names_the_kernel_size_and_stride():
    assert MODES == ("cross-correlation", "convolution")
    with pytest.raises(ValueError, match=r"mode must be one of .*got 'correlation'"):
        check_mode("correlation")
    assert relation((2, 2)) == (
        "(x ∗ w)[i, j] = Σ_a Σ_b x[i + a, j + b] · w[1 − a, 1 − b] = (x ⋆ flip(w))[i, j]"
    )
    assert "x[2i + a, 2j + b] · w[2 − a, 4 − b]" in relation((3, 5), (2, 2))
