"""Activation maximisation raises the activation, stays in [0, 1] and is deterministic per seed."""

import numpy as np
import pytest

from engine.explain import maximise_activation
from engine.explain.maximise import regularisers
from engine.onnx_import import import_onnx
from tests.engine.explain_nets import small_model
from tests.engine.onnx_images import fixture


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


def total_variation(images: np.ndarray) -> float:
    """Mean absolute difference of neighbouring pixels: high for high-frequency noise."""
    return float(np.abs(np.diff(images, axis=2)).mean() + np.abs(np.diff(images, axis=3)).mean())


def test_on_a_colour_model_the_regularised_picture_raises_the_unit_and_is_smoother():
    model = import_onnx(fixture("cifar_cnn.onnx"))  # a CIFAR-size RGB CNN (3, 32, 32)
    assert regularisers(model.input_shape) == (2, 2, 0.5)  # jitter 32/16 px, blur every 2
    kept = maximise_activation(model, 0, filters=[1, 2], steps=24, seed=0)
    bare = maximise_activation(model, 0, filters=[1, 2], steps=24, seed=0, jitter=0, blur_every=0)
    assert kept.images.shape == (2, 3, 32, 32)
    assert (kept.activation > kept.initial).all(), (kept.initial, kept.activation)
    assert total_variation(kept.images) < 0.5 * total_variation(bare.images)
    assert abs(float(kept.images.mean()) - 0.5) < 0.1  # around the mid-grey background


def test_a_drawing_model_keeps_the_blank_canvas_and_light_regularisers():
    assert regularisers((1, 28, 28)) == (1, 4, 0.0)
