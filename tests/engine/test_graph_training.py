"""A residual + concat graph trains, and the explanations run on it."""

import numpy as np

from engine import explain
from engine.explain.geometry import receptive_field
from engine.explain.gradcam import spatial_layers
from engine.model import Model
from engine.optim import Adam
from tests.engine.explain_nets import RESIDUAL, graph_model
from tests.engine.gradcheck import assert_close, numerical_gradient


def _data(n=96, side=8, seed=0):
    """Images whose class (0..3) is the quadrant holding a bright blob."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = 0.1 * rng.random((n, 1, side, side)).astype(np.float32)
    h = side // 2
    for i, c in enumerate(y):
        r, s = (c // 2) * h, (c % 2) * h
        x[i, 0, r + 1 : r + h - 1, s + 1 : s + h - 1] += 1.0
    return x, y


def test_residual_concat_graph_trains():
    model = Model.from_spec(RESIDUAL, input_shape=(1, 8, 8), seed=0)
    x, y = _data()
    opt = Adam(model.params(), lr=0.01)
    losses = []
    for _epoch in range(12):
        for i in range(0, len(x), 32):
            loss, _ = model.train_step(x[i : i + 32], y[i : i + 32])
            opt.step(model.grads())
            losses.append(loss)
    assert np.mean(losses[-3:]) < 0.5 * np.mean(losses[:3]), losses
    bn = model.layers[[ly.name for ly in model.layers].index("bn1")]
    assert not np.allclose(bn.buffers["running_mean"], 0)  # running statistics were tracked
    accuracy = (model.predict_proba(x).argmax(axis=1) == y).mean()
    assert accuracy > 0.9


def test_saliency_gradcam_and_integrated_gradients_on_a_graph():
    model = graph_model(seed=3)
    x = np.random.default_rng(4).random((2, 1, 8, 8))
    target = 1
    sal = explain.saliency(model, x, target)
    stop = model.logits_stop
    for n in range(2):  # the saliency gradient is d logit / d x, through both branches
        xn = x[n : n + 1].copy()
        grad = numerical_gradient(lambda xn=xn: float(model.forward(xn, stop=stop)[0, target]), xn)
        assert_close("saliency", sal.gradient[n : n + 1], grad, 1e-5, 1e-7)
    names = [ly.name for ly in model.layers]
    skip = names.index("skip")
    cam = explain.gradcam(model, x, target, layer=skip)
    assert cam.cam.shape == (2, 8, 8) and cam.raw.shape == (2, 8, 8) and np.isfinite(cam.cam).all()
    assert explain.default_gradcam_layer(model) in spatial_layers(model)
    ig = explain.integrated_gradients(model, x, target, steps=64)
    assert np.abs(ig.delta).max() < 0.05 * max(1.0, np.abs(ig.score - ig.baseline_score).max())
    # evaluation mode: explaining never moves the batch-norm statistics
    bn = model.layers[names.index("bn1")]
    before = bn.buffers["running_mean"].copy()
    explain.saliency(model, x, target)
    np.testing.assert_array_equal(bn.buffers["running_mean"], before)


def test_receptive_fields_through_a_skip_connection():
    model = graph_model()
    names = [ly.name for ly in model.layers]
    # the block's output sees 3 stacked 3x3 convs (7x7) on the residual path, 3x3 on the skip
    assert receptive_field(model, names.index("skip")) == (7, 7)
    assert receptive_field(model, names.index("side")) == (3, 3)
    assert receptive_field(model, names.index("join")) == (7, 7)


def test_top_activations_on_a_graph():
    from engine.explain.top_activations import compute_top_activations

    model = graph_model()
    images = (np.random.default_rng(5).random((20, 8, 8)) * 255).astype(np.uint8)
    top = compute_top_activations(model, images, k=3)
    names = [ly.name for ly in model.layers]
    assert sorted(top) == [names.index(n) for n in ("stem", "c1", "c2", "side")]
    for L, t in top.items():
        size = receptive_field(model, L)
        assert t.patches.shape == (model.shapes[L + 1][0], 3, *size)
        assert (t.box[..., 2] - t.box[..., 0] == size[0]).all()
