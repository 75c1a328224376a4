"""Training on real MNIST digits: it learns, reports progress, checkpoints, cancels, reproduces."""

import numpy as np
import pytest

from engine import architectures, data
from engine.model import Model
from engine.train import TrainConfig, evaluate, to_input, train

SPEC = architectures.load_spec("tiny")["layers"]


@pytest.fixture(scope="module")
def digits():
    images, labels = data.load_dataset("mnist", "test", "data")
    x, y = to_input(images[:1000]), labels[:1000].astype(np.int64)
    return (x[:600], y[:600]), (x[600:], y[600:])


def _fit(digits, epochs=6, **kwargs):
    model = Model.from_spec(SPEC, seed=0)
    config = TrainConfig(epochs=epochs, batch_size=32, lr=3e-3, augment=False, seed=0)
    return model, train(model, *digits[0], config, val=digits[1], **kwargs)


def test_tiny_network_learns(digits):
    before = evaluate(Model.from_spec(SPEC, seed=0), *digits[1])
    model, history = _fit(digits)
    losses = [e["train_loss"] for e in history.epochs]
    assert history.state == "done"
    assert losses[-1] < 0.5 * losses[0], losses
    assert before["accuracy"] < 0.3
    assert history.epochs[-1]["val_accuracy"] > 0.8, history.epochs[-1]


def test_progress_checkpoint_and_reproducibility(digits, tmp_path):
    events = []
    model, _ = _fit(digits, epochs=2, on_progress=events.append, checkpoint=tmp_path / "c.npz")
    kinds = [e["event"] for e in events]
    assert kinds.count("epoch") == 2 and kinds.count("step") >= 2
    step = next(e for e in events if e["event"] == "step")
    assert {"loss", "accuracy", "eta", "elapsed", "step", "steps"} <= step.keys()
    saved = Model.load(tmp_path / "c.npz")
    assert saved.meta["training"]["epochs_done"] == 2
    for k, p in model.params().items():
        np.testing.assert_array_equal(saved.params()[k], p)
    again, _ = _fit(digits, epochs=2)
    for k, p in model.params().items():
        np.testing.assert_array_equal(
            again.params()[k], p, err_msg=f"{k} differs between seeded runs"
        )


def test_should_stop_cancels(digits):
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 3

    _, history = _fit(digits, should_stop=should_stop)
    assert history.state == "cancelled" and history.epochs == []


def test_augmented_training_runs(digits):
    model = Model.from_spec(SPEC, seed=0)
    config = TrainConfig(epochs=1, batch_size=64, augment=True, seed=1)
    history = train(model, *digits[0], config)
    assert history.state == "done" and np.isfinite(history.epochs[0]["train_loss"])


def test_bad_config():
    with pytest.raises(ValueError, match="lr must be > 0"):
        TrainConfig(lr=0)


def test_evaluate_gives_each_prediction_and_its_probability(digits):
    model = Model.from_spec(SPEC, seed=0)
    x, y = digits[1]
    result = evaluate(model, x, y, batch_size=7)  # batches that do not divide N
    probs = model.predict_proba(x)  # (N, K)
    np.testing.assert_array_equal(result["predictions"], probs.argmax(axis=1))
    np.testing.assert_allclose(result["confidence"], probs.max(axis=1), rtol=1e-5)
    expected_loss = -np.log(probs[np.arange(len(y)), y]).mean()
    assert result["loss"] == pytest.approx(float(expected_loss), rel=1e-4)
    assert result["accuracy"] == pytest.approx(float((probs.argmax(axis=1) == y).mean()))
