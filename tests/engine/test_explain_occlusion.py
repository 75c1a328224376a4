"""Occlusion sensitivity agrees with classifying explicitly occluded copies one at a time."""

import numpy as np
import pytest

from engine.explain import class_scores, occlusion
from engine.explain.occlusion import patch_starts
from engine.model import Model
from engine.ops.activation import softmax
from tests.engine.explain_nets import random_input, small_model
from tests.engine.gradcheck import assert_close


def test_patch_starts_reach_the_border():
    assert patch_starts(8, 3, 2).tolist() == [0, 2, 4, 5]
    assert patch_starts(8, 2, 2).tolist() == [0, 2, 4, 6]
    assert patch_starts(8, 8, 3).tolist() == [0]


@pytest.mark.parametrize(
    ("patch", "stride", "value", "score"), [(3, 2, 0.0, "probability"), (2, 1, 0.5, "logit")]
)
def test_occlusion_matches_direct_forward_passes(patch, stride, value, score):
    model, x = small_model(), random_input(2)
    targets = [1, 3]
    result = occlusion(
        model, x, targets, patch=patch, stride=stride, value=value, score=score, batch_size=7
    )
    rows = cols = patch_starts(8, patch, stride)

    def scores(img):
        logits = class_scores(model, img[None])
        return (softmax(logits) if score == "probability" else logits)[0]

    for n, t in enumerate(targets):
        base = scores(x[n])[t]
        assert result.score[n] == pytest.approx(base)
        total, count = np.zeros((8, 8)), np.zeros((8, 8))
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                hidden = x[n].copy()
                hidden[:, r : r + patch, c : c + patch] = value
                drop = base - scores(hidden)[t]
                assert result.drops[n, i, j] == pytest.approx(drop, abs=1e-12)
                total[r : r + patch, c : c + patch] += drop
                count[r : r + patch, c : c + patch] += 1
        assert_close(f"sensitivity {n}", result.sensitivity[n], total / count, 1e-9, 1e-12)


def test_occlusion_refuses_bad_parameters_by_name():
    model, x = small_model(), random_input(1)
    with pytest.raises(ValueError, match=r"patch must be an int in 1\.\.8, got 9"):
        occlusion(model, x, 0, patch=9)
    with pytest.raises(ValueError, match="stride"):
        occlusion(model, x, 0, stride=0)
    with pytest.raises(ValueError, match="score"):
        occlusion(model, x, 0, score="loss")


def test_pixels_no_patch_hides_are_zero_not_nan():
    model = Model.from_spec(
        [{"type": "flatten"}, {"type": "dense", "config": {"out_features": 3}}],
        input_shape=(3, 12, 12),
        seed=1,
    )
    x = np.random.default_rng(0).random((1, 3, 12, 12)).astype(np.float32)
    o = occlusion(model, x, 0, patch=2, stride=8)  # rows/cols 0-1, 8-9 and 10-11 hidden
    assert np.isfinite(o.sensitivity).all()
    assert (o.sensitivity[0, 4:8] == 0).all() and (o.sensitivity[0, :, 4:8] == 0).all()
    assert np.abs(o.sensitivity[0, :2, :2]).max() > 0
