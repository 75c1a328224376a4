"""Output-size formulas on the actual numbers, invalid combinations explained, parameter counts."""

from __future__ import annotations

import pytest

from engine.anatomy import conv_formula, conv_params, conv_problems, dense_params, pool_formula
from engine.shapes import output_size


def test_conv_formula_shows_the_arithmetic_for_both_dimensions():
    assert conv_formula(32, 32, 5) == (
        "H_out = ⌊(32 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 28\n"
        "W_out = ⌊(32 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 28"
    )
    assert conv_formula(7, 10, (3, 2), (2, 3), (1, 0), (1, 2)) == (
        "H_out = ⌊(7 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 4\n"
        "W_out = ⌊(10 + 2·0 − 2·(2 − 1) − 1) / 3⌋ + 1 = 3"
    )


@pytest.mark.parametrize("n, k, s, p, d", [(5, 3, 2, 1, 1), (28, 5, 1, 2, 1), (9, 3, 3, 0, 2)])
def test_conv_formula_agrees_with_shapes(n, k, s, p, d):
    assert conv_formula(n, n, k, s, p, d).endswith(f"= {output_size(n, k, s, p, d)}")


def test_same_padding_is_resolved_in_the_formula():
    first_line = conv_formula(3, 3, 3, padding="same").splitlines()[0]
    assert first_line == "H_out = ⌊(3 + 2·1 − 1·(3 − 1) − 1) / 1⌋ + 1 = 3"


def test_pool_formula():
    assert pool_formula(4, 6, 2) == (
        "H_out = ⌊(4 + 2·0 − 2) / 2⌋ + 1 = 2\nW_out = ⌊(6 + 2·0 − 2) / 2⌋ + 1 = 3"
    )
    assert pool_formula(5, 5, 3, stride=1, padding=1).endswith("= 5")


def test_valid_combinations_have_no_problems():
    assert conv_problems(32, 32, 5) == []
    assert conv_problems(3, 3, 3, 1, 1) == []


@pytest.mark.parametrize(
    "args, kwargs, words",
    [
        ((3, 3, 5), {}, ["kernel height 5", "spans 5 rows", "only 3 (3 + 2·0)"]),
        ((3, 8, (2, 5)), {"dilation": (1, 3)}, ["kernel width 5 (dilation 3)", "spans 13 col"]),
        ((4, 4, 3), {"stride": 0}, ["stride", "(0, 0)", "never move the window"]),
        ((4, 4, 3), {"stride": (1, 0)}, ["stride", "(1, 0)"]),
        ((4, 4, 3), {"padding": -1}, ["padding", "(-1, -1)"]),
        ((4, 4, 2), {"padding": "same"}, ["padding='same'", "kernel_size=(2, 2)"]),
        ((4, 4, 0), {}, ["kernel_size", "(0, 0)"]),
        ((0, 4, 3), {}, ["input height", "got 0"]),
        ((4, 4, 3), {"dilation": 0}, ["dilation", "collapse"]),
    ],
)
def test_invalid_combinations_are_explained_not_raised(args, kwargs, words):
    problems = conv_problems(*args, **kwargs)
    assert problems, f"no problem found for {args} {kwargs}"
    text = " ".join(problems)
    for word in words:
        assert word in text, f"{word!r} missing from {text!r}"
    with pytest.raises(ValueError) as err:
        conv_formula(*args, **kwargs)
    assert str(err.value) == "; ".join(problems)


def test_both_too_small_dimensions_are_reported():
    assert len(conv_problems(2, 3, 5)) == 2


def test_seed_004_dense_layer_on_a_256x256x3_image_has_25_165_824_weights():
    assert dense_params(256 * 256 * 3, 128, bias=False) == 25_165_824
    assert dense_params(256 * 256 * 3, 128) == 25_165_824 + 128


def test_seed_004_conv_filter_has_f_f_c_plus_one_parameters():
    assert conv_params(C=3, F=1, kh=5, kw=5) == 5 * 5 * 3 + 1
    assert conv_params(C=3, F=6, kh=5, kw=5) == 456  # seed 003: six 5×5×3 filters
    assert conv_params(C=3, F=6, kh=5, kw=5, bias=False) == 450


def test_parameter_counts_reject_bad_sizes():
    with pytest.raises(ValueError, match="F must be an int >= 1, got 0"):
        conv_params(3, 0, 3, 3)
    with pytest.raises(ValueError, match="in_features must be an int >= 1, got -4"):
        dense_params(-4, 2)
