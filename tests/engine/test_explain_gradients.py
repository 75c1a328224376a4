"""Input gradients: Model.backward(input_grad=True), saliency, integrated gradients."""

import numpy as np
import pytest

from engine.explain import class_scores, input_gradient, integrated_gradients, saliency
from engine.model import Model
from tests.engine.explain_nets import float64, random_input, small_model
from tests.engine.gradcheck import assert_close, numerical_gradient


def test_backward_input_grad_matches_finite_differences_and_keeps_training_default():
    model, x = small_model(), random_input(2)
    dout = np.random.default_rng(2).standard_normal((2, 5))
    stop = len(model.layers) - 1
    model.forward(x, train=True, stop=stop)
    assert model.backward(dout, stop=stop) is None  # the training default: no input gradient
    grads = {k: g.copy() for k, g in model.grads().items()}
    model.forward(x, train=True, stop=stop)
    dx = model.backward(dout, stop=stop, input_grad=True)
    for k, g in model.grads().items():
        assert_close(k, g, grads[k], 0, 0)  # same parameter gradients either way
    want = numerical_gradient(lambda: float((model.forward(x, stop=stop) * dout).sum()), x)
    assert_close("dx", dx, want, 1e-6, 1e-9)


def test_backward_from_a_middle_layer_returns_the_gradient_of_its_input():
    model, x = small_model(), random_input(1)
    stop = len(model.layers) - 1
    a = model.forward(x, stop=3)  # output of pool1 = input of conv2: (1, 3, 4, 4)
    dout = np.random.default_rng(3).standard_normal((1, 5))
    model.forward(x, train=True, stop=stop)
    da = model.backward(dout, stop=stop, start=3, input_grad=True)

    def f():
        out = a
        for layer in model.layers[3:stop]:
            out = layer.forward(out)
        return float((out * dout).sum())

    assert_close("d pool1", da, numerical_gradient(f, a), 1e-6, 1e-9)


@pytest.mark.parametrize("target", [0, 3])
def test_saliency_is_the_finite_difference_gradient_of_the_logit(target):
    model, x = small_model(), random_input(1)
    result = saliency(model, x, target)
    want = numerical_gradient(lambda: float(class_scores(model, x)[0, target]), x)
    assert_close("d logit / dx", result.gradient, want, 1e-6, 1e-9)
    assert_close("saliency", result.saliency, np.abs(want)[:, 0], 1e-6, 1e-9)
    assert result.score[0] == pytest.approx(class_scores(model, x)[0, target])


def test_saliency_takes_one_target_per_example_and_leaves_the_model_untouched():
    model, x = small_model(), random_input(3)
    grad, logits = input_gradient(model, x, np.array([0, 1, 4]))
    for n, t in enumerate([0, 1, 4]):
        one, _ = input_gradient(model, x[n : n + 1], t)
        assert_close(f"example {n}", grad[n : n + 1], one, 1e-12, 1e-12)
    assert all(layer.cache is None for layer in model.layers)
    assert model.grads() == {}


def test_bad_targets_and_inputs_are_refused_by_name():
    model = small_model()
    with pytest.raises(ValueError, match="target"):
        saliency(model, random_input(1), 5)
    with pytest.raises(ValueError, match="x must be"):
        saliency(model, np.zeros((1, 1, 9, 9)), 0)
    with pytest.raises(ValueError, match="steps"):
        integrated_gradients(model, random_input(1), 0, steps=0)


def test_integrated_gradients_are_complete():
    model, x = small_model(), random_input(2)
    ig = integrated_gradients(model, x, [1, 2], steps=256, batch_size=100)
    gap = ig.score - ig.baseline_score
    sums = ig.attributions.reshape(2, -1).sum(axis=1)
    np.testing.assert_allclose(sums, gap, rtol=1e-2, atol=1e-4)
    np.testing.assert_allclose(ig.delta, sums - gap)
    assert np.abs(ig.delta).max() < np.abs(gap).max() * 1e-2


def test_integrated_gradients_of_a_linear_model_are_input_times_weight():
    spec = [{"type": "flatten"}, {"type": "dense", "config": {"out_features": 3}}]
    model = float64(Model.from_spec(spec, input_shape=(1, 4, 4), seed=0))
    x = random_input(1, side=4)
    ig = integrated_gradients(model, x, 2, steps=3)
    w = model.layers[1].params["weight"][2].reshape(1, 1, 4, 4)
    assert_close("attributions", ig.attributions, x * w, 1e-12, 1e-12)
    assert abs(ig.delta[0]) < 1e-12
