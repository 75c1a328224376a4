"""The fast-training recipe: label smoothing, Nesterov momentum and the one-cycle schedule."""

import numpy as np
import pytest

from engine import architectures, data
from engine.model import Model
from engine.ops.activation import softmax_cross_entropy
from engine.optim import SGD
from engine.train import TrainConfig, lr_at, to_input, train
from tests.engine.gradcheck import assert_close, numerical_gradient

rng = np.random.default_rng(0)


def test_label_smoothing_value_and_gradient():
    logits, y, eps = rng.standard_normal((6, 5)), np.array([0, 4, 1, 1, 2, 3]), 0.2
    loss, dlogits = softmax_cross_entropy(logits, y, eps)
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    q = np.full((6, 5), eps / 5)
    q[np.arange(6), y] += 1 - eps  # PyTorch's smoothed target
    assert loss == pytest.approx(float(-(q * log_p).sum(1).mean()), rel=1e-12)
    num = numerical_gradient(lambda: softmax_cross_entropy(logits, y, eps)[0], logits)
    assert_close("dlogits", dlogits, num, 1e-6, 1e-9)


def test_label_smoothing_zero_is_plain_cross_entropy_and_float32_stays_float32():
    logits = rng.standard_normal((4, 3)).astype(np.float32)
    y = np.array([2, 0, 1, 1])
    assert softmax_cross_entropy(logits, y, 0.0)[0] == softmax_cross_entropy(logits, y)[0]
    _, d = softmax_cross_entropy(logits, y, 0.1)
    assert d.dtype == np.float32
    assert np.allclose(d.sum(axis=1), 0, atol=1e-7)  # p and q both sum to 1
    with pytest.raises(ValueError, match="label_smoothing"):
        softmax_cross_entropy(logits, y, 1.0)


def _nesterov_reference(p, grads, lr, mu, wd):
    """PyTorch's SGD(nesterov=True, dampening=0) written out, one element at a time."""
    p, v = [float(a) for a in p], [0.0] * len(p)
    for g in grads:
        for i in range(len(p)):
            gi = float(g[i]) + wd * p[i]
            v[i] = mu * v[i] + gi
            p[i] -= lr * (gi + mu * v[i])
    return np.array(p)


def test_nesterov_sgd_matches_the_written_out_rule():
    start = rng.standard_normal(7)
    grads = [rng.standard_normal(7) for _ in range(4)]
    params = {"w": start.copy()}
    opt = SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    for g in grads:
        opt.step({"w": g})
    expected = _nesterov_reference(start, grads, 0.1, 0.9, 5e-4)
    np.testing.assert_allclose(params["w"], expected, rtol=1e-12)
    plain = {"w": start.copy()}
    heavy = SGD(plain, lr=0.1, momentum=0.9, weight_decay=5e-4)
    for g in grads:
        heavy.step({"w": g})
    assert not np.allclose(plain["w"], params["w"])  # Nesterov's is a different step


def test_nesterov_sgd_stays_float32_and_needs_momentum():
    params = {"w": rng.standard_normal(5).astype(np.float32)}
    opt = SGD(params, lr=0.1, nesterov=True, weight_decay=1e-4)
    opt.step({"w": rng.standard_normal(5).astype(np.float32)})
    assert params["w"].dtype == np.float32 and opt.velocity["w"].dtype == np.float32
    with pytest.raises(ValueError, match="momentum"):
        SGD(params, momentum=0.0, nesterov=True)


def test_onecycle_rises_linearly_then_falls_linearly():
    config = TrainConfig(lr=0.4, lr_schedule="onecycle", warmup=0.25)
    lrs = np.array([lr_at(config, s, 100) for s in range(100)])
    np.testing.assert_allclose(lrs[:25], 0.4 * np.arange(1, 26) / 25)  # up, reaching lr
    np.testing.assert_allclose(lrs[25:], 0.4 * (100 - np.arange(25, 100)) / 75)  # down to lr/75
    assert lrs.max() == pytest.approx(0.4) and lrs.argmax() in (24, 25) and lrs[-1] > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"warmup": 1.0}, "warmup"),
        ({"label_smoothing": -0.1}, "label_smoothing"),
        ({"nesterov": True}, "nesterov"),  # the default optimiser is adam
        ({"lr_schedule": "step"}, "lr_schedule"),
    ],
)
def test_bad_recipe_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


def test_tiny_network_learns_with_the_recipe():
    images, labels = data.load_dataset("mnist", "test", "data")
    x, y = to_input(images[:800]), labels[:800].astype(np.int64)
    model = Model.from_spec(architectures.load_spec("tiny")["layers"], seed=0)
    config = TrainConfig(
        epochs=4,
        batch_size=32,
        optimiser="sgd",
        nesterov=True,
        lr=0.05,
        lr_schedule="onecycle",
        weight_decay=5e-4,
        label_smoothing=0.1,
        augment=False,
    )
    history = train(model, x[:600], y[:600], config, val=(x[600:], y[600:]))
    assert history.epochs[-1]["train_loss"] < 0.6 * history.epochs[0]["train_loss"]
    assert history.epochs[-1]["val_accuracy"] > 0.8, history.epochs[-1]
