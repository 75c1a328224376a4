"""Backpropagation on one input, against centred finite differences (float64) on the real
shipped model and on a small model with every layer type the chain walks through."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from app.core.settings import REPO_ROOT
from engine import data
from engine.model import Model
from engine.ops.activation import softmax_cross_entropy
from engine.teach.backprop import backprop, float64_copy, logits_stop, loss_of
from tests.engine.explain_nets import graph_model
from tests.engine.gradcheck import assert_close, at_kink, numerical_gradient, numerical_gradient_at
from tests.specs import TWO_CONVS

SHIPPED = REPO_ROOT / "models" / "mnist-cnn.npz"


def a_digit(index: int = 0) -> tuple[np.ndarray, int]:
    try:
        images, labels = data.load_dataset("mnist", "test", REPO_ROOT / "data")
    except FileNotFoundError:
        rng = np.random.default_rng(index)
        return rng.uniform(0, 1, (1, 1, 28, 28)), 3
    return images[index][None, None] / 255.0, int(labels[index])


def loss_from(net, i: int, a: np.ndarray, x: np.ndarray, target: int) -> float:
    """The loss with layer ``i``'s output replaced by ``a: (1, ...)`` (a chain or a graph)."""
    outputs = {}
    for k in range(logits_stop(net)):
        if k == i:
            outputs[k] = a
            continue
        args = [x if j < 0 else outputs[j] for j in net.inputs[k]]
        outputs[k] = net.layers[k].forward(*args)
    return softmax_cross_entropy(outputs[logits_stop(net) - 1], np.array([target]))[0]


def check_against_finite_differences(model, x, target, samples=12, seed=0):
    result = backprop(model, x, target, learning_rate=0.05)
    net = float64_copy(model)
    x = np.asarray(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    assert result.loss == pytest.approx(loss_of(net, x, target), rel=1e-12)
    outputs = net.forward(x, return_all=True)  # evaluation mode, as backprop runs
    for entry in result.layers[: logits_stop(net)]:
        layer = net.layers[entry.index]
        for k, grad in (("weight", entry.grad_weights), ("bias", entry.grad_bias)):
            if grad is None or k not in layer.params:
                continue
            p = layer.params[k]
            idx = rng.choice(p.size, size=min(samples, p.size), replace=False)
            want = numerical_gradient_at(lambda: loss_of(net, x, target), p, idx)
            assert_close(f"{layer.name}.{k}", grad.reshape(-1)[idx], want, 1e-5, 1e-8)
        a = outputs[entry.index].copy()
        f = functools.partial(loss_from, net, entry.index, a, x, target)
        order = rng.permutation(a.size)
        idx = [i for i in order[: 8 * samples] if not at_kink(f, a, i)][:samples]
        assert len(idx) >= min(samples, a.size) // 2, f"{layer.name}: too many kinks"
        want = numerical_gradient_at(f, a, idx)
        got = entry.grad_output.reshape(-1)[idx]
        assert_close(f"{layer.name} grad_output", got, want, 1e-5, 1e-8)
    want = numerical_gradient_at(
        lambda: loss_of(net, x, target), x, rng.choice(x.size, samples, replace=False)
    )
    assert np.isfinite(want).all()
    return result


@pytest.mark.skipif(not SHIPPED.exists(), reason="models/mnist-cnn.npz not trained yet")
def test_the_shipped_model_agrees_with_finite_differences():
    model = Model.load(SHIPPED)
    before = {k: v.copy() for k, v in model.params().items()}
    x, label = a_digit(0)
    wrong = (label + 3) % 10  # "it is a 3" when it is not: a large gradient everywhere
    result = check_against_finite_differences(model, x, wrong)
    for k, v in model.params().items():  # the stored model never changes
        np.testing.assert_array_equal(v, before[k])
    assert result.loss_after < result.loss
    assert result.probabilities_after[wrong] > result.probabilities_before[wrong]


def test_a_small_model_agrees_everywhere_input_included():
    model = Model.from_spec(TWO_CONVS, (1, 28, 28), seed=3)
    x = np.random.default_rng(1).uniform(0, 1, (1, 1, 28, 28))
    result = check_against_finite_differences(model, x, 4, samples=20)
    net = float64_copy(model)
    x64 = x.astype(np.float64)
    want = numerical_gradient(lambda: loss_of(net, x64, 4), x64)[0]
    assert_close("dL/dx", result.grad_input, want, 1e-5, 1e-8)


def test_the_chain_rules_the_texts_state():
    model = Model.from_spec(TWO_CONVS, (1, 28, 28), seed=5)
    x = np.random.default_rng(2).uniform(0, 1, (1, 1, 28, 28))
    r = backprop(model, x, 7)
    by_type = {}
    for e in r.layers:
        by_type.setdefault(e.type, []).append(e)
    p_minus_y = r.probabilities_before.copy()
    p_minus_y[7] -= 1
    last_dense = by_type["dense"][-1]
    np.testing.assert_allclose(last_dense.grad_output, p_minus_y, atol=1e-12)  # p − y
    np.testing.assert_allclose(  # a dense layer's weights get dout ⊗ x
        last_dense.grad_weights,
        np.outer(last_dense.grad_output, r.layers[last_dense.index - 1].output),
        atol=1e-12,
    )
    for e in r.layers:
        if e.type == "relu":  # ReLU passes the gradient only where its input was positive
            before = r.layers[e.index - 1]
            np.testing.assert_array_equal(
                before.grad_output, np.where(before.output > 0, e.grad_output, 0.0)
            )
        if e.type == "maxpool2d":  # only the winners receive gradient
            into = r.layers[e.index - 1].grad_output
            assert set(np.unique(e.routing)) <= {0.0, 1.0}
            assert (into[e.routing == 0] == 0).all()
            assert e.routing.sum() == e.output.size  # one winner per window (no ties here)


def test_bad_target_and_learning_rate_are_named():
    model = Model.from_spec(TWO_CONVS, (1, 28, 28), seed=5)
    x = np.zeros((1, 1, 28, 28))
    with pytest.raises(ValueError, match="target must be from 0 to 9, got 10"):
        backprop(model, x, 10)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        backprop(model, x, 1, learning_rate=float("nan"))


def test_a_graph_model_with_a_residual_block_and_batch_norm_agrees():
    model = graph_model(seed=3, side=8)  # branches, an add, a concat, batch norm (eval mode)
    x = np.random.default_rng(4).uniform(0, 1, (1, 1, 8, 8))
    result = check_against_finite_differences(model, x, 1, samples=15)
    net = float64_copy(model)
    x64 = x.copy()
    want = numerical_gradient(lambda: loss_of(net, x64, 1), x64)[0]
    assert_close("dL/dx", result.grad_input, want, 1e-5, 1e-8)
    fan_out = [i for i in range(len(net.layers)) if sum(i in ins for ins in net.inputs) > 1]
    assert fan_out, "the graph has a layer read by two others"
