"""The feature visualisation's penalties: gradients against centred finite differences in
float64, and what they do to the ascent (the unit still rises; the picture gets smoother)."""

from pathlib import Path

import numpy as np
import pytest

from engine.explain import maximise_activation
from engine.explain.regularise import l2_penalty, total_variation
from engine.explain.visualise import unit_regularisers, visualise_unit
from engine.model import Model
from engine.onnx_import import import_onnx
from tests.engine.gradcheck import numerical_gradient
from tests.engine.onnx_images import fixture

SHIPPED_COLOUR = Path(__file__).resolve().parents[2] / "models" / "cifar10-lenet.npz"


def _check(penalty, x: np.ndarray) -> None:
    """Each image's gradient against the centred differences of that image's value."""
    _, grad = penalty(x)
    for n in range(len(x)):
        numeric = numerical_gradient(lambda n=n: float(penalty(x)[0][n]), x)
        np.testing.assert_allclose(grad[n], numeric[n], rtol=1e-5, atol=1e-7)
        others = np.delete(numeric, n, axis=0)
        assert not others.size or np.abs(others).max() < 1e-7  # depends on image n only


@pytest.mark.parametrize("shape", [(2, 1, 5, 6), (1, 3, 4, 4)])
def test_l2_gradient_matches_finite_differences(shape):
    x = np.random.default_rng(0).random(shape)  # float64
    _check(lambda a: l2_penalty(a, background=0.5), x)
    value, _ = l2_penalty(x, 0.5)
    np.testing.assert_allclose(value, 0.5 * ((x - 0.5) ** 2).sum(axis=(1, 2, 3)))


@pytest.mark.parametrize("beta", [2.0, 1.0, 1.5])
@pytest.mark.parametrize("shape", [(2, 1, 5, 6), (1, 3, 4, 4)])
def test_total_variation_gradient_matches_finite_differences(shape, beta):
    x = np.random.default_rng(1).random(shape)
    _check(lambda a: total_variation(a, beta=beta, eps=1e-6), x)


def test_total_variation_counts_edges():
    flat = np.full((1, 1, 4, 4), 0.3)
    value, grad = total_variation(flat, eps=0.0)
    assert value[0] == 0 and not grad.any()
    step = np.zeros((1, 1, 4, 4))
    step[..., 2:] = 1.0  # one vertical edge between columns 1 and 2: rows 0..2 count it
    assert total_variation(step, eps=0.0)[0][0] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="H, W >= 2"):
        total_variation(np.zeros((1, 1, 1, 4)))


def _cifar_cnn():
    return import_onnx(fixture("cifar_cnn.onnx"))  # a CIFAR-size RGB CNN (3, 32, 32)


def _tv(images: np.ndarray) -> float:
    return float(total_variation(images.astype(np.float64), eps=0.0)[0].sum())


def test_the_tv_term_raises_the_unit_and_smooths_the_picture():
    model = _cifar_cnn()
    layer, units = 6, [0, 3]  # the third conv of the fixture (a wide receptive field)
    plain = maximise_activation(model, layer, filters=units, steps=32, seed=0, blur_every=0)
    smooth = maximise_activation(
        model, layer, filters=units, steps=32, seed=0, blur_every=0, tv=0.05
    )
    assert smooth.images.shape == (2, 3, 32, 32)
    assert (smooth.activation > smooth.initial).all(), (smooth.initial, smooth.activation)
    assert _tv(smooth.images) < 0.7 * _tv(plain.images)


def test_progress_is_called_before_every_step_and_can_stop_the_work():
    model = _cifar_cnn()
    seen = []
    maximise_activation(model, 0, filters=[0], steps=5, progress=seen.append)
    assert seen == [0, 1, 2, 3, 4]

    def stop(t):
        if t == 2:
            raise TimeoutError("enough")

    with pytest.raises(TimeoutError):
        maximise_activation(model, 0, filters=[0], steps=5, progress=stop)


def test_weights_outside_the_stable_range_are_refused_by_name():
    model = _cifar_cnn()
    with pytest.raises(ValueError, match="tv"):
        maximise_activation(model, 0, filters=[0], steps=1, tv=0.2)
    with pytest.raises(ValueError, match="l2"):
        maximise_activation(model, 0, filters=[0], steps=1, l2=-0.1)


@pytest.mark.parametrize(("layer", "jitter"), [(0, 0), (3, 1)])
def test_a_shipped_colour_unit_is_visualised_within_its_receptive_field(layer, jitter):
    model = Model.load(SHIPPED_COLOUR)  # conv1: 5×5 receptive field, conv2: 14×14
    regs = unit_regularisers(model, layer)
    assert (regs.jitter, regs.blur_every) == (jitter, 4)
    for unit in (0, 5):
        v = visualise_unit(model, layer, unit, steps=48, seed=3)
        m = v.result
        assert m.images.shape == (1, 3, 32, 32) and 0 <= m.images.min() <= m.images.max() <= 1
        assert m.activation[0] > m.initial[0] + 1.0, (m.initial, m.activation)
        assert m.history.shape == (49, 1)
        assert v.tv == pytest.approx(_tv(m.images), rel=1e-5) and v.l2 > 0
