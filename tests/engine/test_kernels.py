"""Hand-made kernels: presets' shapes, the parts summing to the output, the depth rule."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from engine.kernels import COLOR_FILTERS, KERNELS, apply_kernel


def test_presets_have_the_right_depth():
    assert {"vertical-edge", "horizontal-edge", "diagonal", "blur", "sharpen", "identity"} <= set(
        KERNELS
    )
    assert all(np.asarray(p["kernel"]).shape == (3, 3) for p in KERNELS.values())
    assert all(np.asarray(p["kernel"]).shape == (3, 3, 3) for p in COLOR_FILTERS.values())
    assert np.isclose(np.sum(KERNELS["blur"]["kernel"]), 1)


@pytest.mark.parametrize("name", sorted(COLOR_FILTERS))
def test_a_colour_filter_is_the_sum_of_its_slices_plus_bias(name):
    x = np.random.default_rng(0).random((3, 9, 11))
    k = np.asarray(COLOR_FILTERS[name]["kernel"])
    out, parts = apply_kernel(x, k, bias=0.25)
    want_parts = np.stack([correlate2d(x[c], k[c], mode="same") for c in range(3)])
    np.testing.assert_allclose(parts, want_parts, atol=1e-12)
    np.testing.assert_allclose(out, want_parts.sum(axis=0) + 0.25, atol=1e-12)


def test_a_grey_kernel_on_a_grey_image_and_valid_padding():
    x = np.random.default_rng(1).random((1, 6, 6))
    out, _ = apply_kernel(x, KERNELS["identity"]["kernel"], padding="valid")
    np.testing.assert_allclose(out, x[0, 1:-1, 1:-1])


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_a_filter_whose_depth_is_not_the_images_channels_is_refused(depth):
    with pytest.raises(ValueError, match=rf"kernel depth {depth} does not match .* 3 channels"):
        apply_kernel(np.zeros((3, 8, 8)), np.zeros((depth, 3, 3)))
