"""The activations as JSON (orjson, ``inference.to_json``): exactly the numbers of ``rounded``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.models import inference
from app.models.inference import rounded, rounded_array, to_json
from tests.utils import seven_pixels


def same(a, digits: int = 5) -> bytes:
    text = to_json(rounded_array(a, digits))
    assert json.loads(text) == rounded(np.asarray(a), digits)
    return text


@pytest.mark.parametrize(
    ("a", "values"),
    [
        (np.array([[-0.5, 0.25], [100.0, 0.0]]), [[-0.5, 0.25], [100, 0]]),
        (np.array(1.5), 1.5),
        (np.zeros((2, 1, 2)), [[[0, 0]], [[0, 0]]]),
        (np.array([0.123456789, -1e-9]), [0.12346, 0]),  # 5 digits of the largest
        (np.array([12345.6, 1.0]), [12346, 1]),
        (np.array([3e-13]), [0]),  # at most 12 decimals
        (np.array([1e-9, -2e-10]), [0.000000001, -0.0000000002]),
    ],
)
def test_known_values(a, values):
    assert json.loads(same(a)) == values


@settings(max_examples=300, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=6),
        elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
    ),
    st.sampled_from([-12, -6, -3, -1, 0, 2, 5]),
    st.sampled_from([5, 4]),
)
def test_parses_to_exactly_the_rounded_values(a, exponent, digits):
    same(a * 10.0**exponent, digits)


def test_float32_relu_maps():
    rng = np.random.default_rng(0)
    same(np.maximum(rng.normal(size=(32, 28, 28)), 0).astype(np.float32) * 3)


@pytest.mark.parametrize(
    "a",
    [np.array([1e7, 1.0]), np.zeros((0, 3)), np.arange(16.0).reshape(2, 2, 2, 2)],
    ids=["large", "empty", "four-axes"],
)
def test_any_size_and_rank_gives_the_same(a):
    same(a)


def test_nan_and_infinity_become_null_as_fastapi_wrote_them():
    assert json.loads(to_json(rounded_array(np.array([np.nan, np.inf, 1.0])))) == [None, None, 1.0]


def test_activations_json_is_the_activations_document(model):
    from app.core.imaging import network_input  # noqa: PLC0415
    from app.core.schemas import ImageInput  # noqa: PLC0415
    from app.core.settings import Settings  # noqa: PLC0415
    from app.models.schemas import Activations

    x, image = network_input(ImageInput(pixels=seven_pixels()), model.input_shape, Settings())
    doc = json.loads(inference.activations_json(model, x, image))
    assert doc == inference.activations(model, x, image)
    Activations.model_validate(doc)  # and it is the contract's shape
