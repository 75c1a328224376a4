"""Shape layers (flatten, reshape, squeeze, unsqueeze, transpose, pad, identity) against NumPy,
backward against finite differences (tests/engine/gradcheck.py), and bad configurations named
in the error."""

import numpy as np
import pytest

from engine import layers as L
from tests.engine.gradcheck import check_layer

rng = np.random.default_rng(99)


def randn(*shape):
    return rng.standard_normal(shape)


# -- shapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer, in_shape, ref",
    [
        (L.Flatten(), (2, 3, 4), lambda x, _: x.reshape(len(x), -1)),
        (L.Flatten(start_dim=2), (2, 3, 4), lambda x, _: x.reshape(len(x), 2, 12)),
        (L.Reshape([4, -1]), (2, 3, 4), lambda x, _: x.reshape(len(x), 4, 6)),
        (L.Squeeze(2), (3, 1, 4), lambda x, _: x[:, :, 0]),
        (L.Unsqueeze(1), (3, 4), lambda x, _: x[:, None]),
        (L.Unsqueeze(-1), (3, 4), lambda x, _: x[..., None]),
        (L.Transpose([0, 2, 3, 1]), (2, 3, 4), lambda x, _: x.transpose(0, 2, 3, 1)),
        (
            L.Pad([1, 0, 2, 3], 0.5),
            (2, 3, 4),
            lambda x, _: np.pad(x, ((0, 0), (0, 0), (1, 2), (0, 3)), constant_values=0.5),
        ),
        (L.Identity(), (2, 3), lambda x, _: x),
    ],
)
def test_shape_layers(layer, in_shape, ref):
    check_layer(layer, randn(2, *in_shape), ref)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: L.Reshape([5, -1]).output_shape((2, 3, 4)), ["cannot reshape", "24 values"]),
        (lambda: L.Reshape([-1, -1]), ["at most one -1"]),
        (lambda: L.Squeeze(1).output_shape((3, 4)), ["not a size-1 axis"]),
        (lambda: L.Transpose([1, 0, 2]), ["keeps the batch axis first"]),
        (lambda: L.Pad([1, 1]), ["pads must be 4 ints"]),
        (lambda: L.Dropout(1.5), ["p must be in [0.0, 1.0]"]),
        (lambda: L.Conv2D(4, 6, 3, groups=4), ["groups=4 must divide", "out_channels=6"]),
    ],
)
def test_bad_configs_name_the_value(make, words):
    with pytest.raises(ValueError) as e:
        make()
    for w in words:
        assert w in str(e.value)
