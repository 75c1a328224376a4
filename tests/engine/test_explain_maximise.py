"""Activation maximisation raises the activation, stays in [0, 1] and is deterministic per seed."""

import numpy as np
import pytest

from engine.explain import maximise_activation
from tests.engine.explain_nets import small_model


@pytest.mark.parametrize(
    ("layer", "objective"), [(0, "center"), (3, "center"), (3, "mean"), (6, "mean")]
)
def test_gradient_ascent_increases_the_activation(layer, objective):
    model = small_model()
    result = maximise_activation(model, layer, steps=24, objective=objective, seed=1)
    n = model.shapes[layer + 1][0]
    assert result.images.shape == (n, 1, 8, 8)
    assert result.images.min() >= 0 and result.images.max() <= 1
    assert (result.activation > result.initial).all(), (result.initial, result.activation)


def test_same_seed_same_images_other_seed_other_images():
    model = small_model()
    a = maximise_activation(model, 3, filters=[1, 2], steps=10, seed=7)
    b = maximise_activation(model, 3, filters=[1, 2], steps=10, seed=7)
    c = maximise_activation(model, 3, filters=[1, 2], steps=10, seed=8)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.history, b.history)
    assert not np.array_equal(a.images, c.images)


def test_bad_arguments_are_refused_by_name():
    model = small_model()
    with pytest.raises(ValueError, match=r"filters must be indices in 0\.\.3"):
        maximise_activation(model, 3, filters=[4])
    with pytest.raises(ValueError, match="layer"):
        maximise_activation(model, 7)
    with pytest.raises(ValueError, match="objective"):
        maximise_activation(model, 0, objective="max")
