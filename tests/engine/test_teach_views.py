"""The flattened digit, translation and the square detector in the engine."""

from __future__ import annotations

import numpy as np
import pytest

from engine.model import Model
from engine.teach import flatten, shift, square
from engine.teach.backprop import float64_copy
from tests.specs import TWO_CONVS

DENSE = [
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 12}},
    {"type": "relu"},
    {"type": "dense", "config": {"out_features": 10}},
]


def test_the_permutation_is_fixed_and_the_twin_undoes_it():
    perm = flatten.permutation()
    assert sorted(perm.tolist()) == list(range(784))
    np.testing.assert_array_equal(perm, flatten.permutation())  # the same every time
    model = float64_copy(Model.from_spec(DENSE, seed=4))
    x = np.random.default_rng(0).uniform(0, 1, (5, 1, 28, 28))
    xs = flatten.scramble(x, perm)
    np.testing.assert_array_equal(xs.reshape(5, -1), x.reshape(5, -1)[:, perm])
    twin = flatten.permuted_twin(model, perm)
    np.testing.assert_allclose(twin.forward(xs), model.forward(x), rtol=1e-12, atol=1e-12)
    assert not np.allclose(model.forward(xs), model.forward(x))  # the scramble matters...
    with pytest.raises(ValueError, match="conv layer's filters read neighbouring pixels"):
        flatten.permuted_twin(Model.from_spec(TWO_CONVS), perm)  # ...and a CNN has no twin


def test_conv_maps_move_with_the_input_and_pooled_maps_by_half():
    model = Model.from_spec(TWO_CONVS, seed=2)
    img = np.zeros((28, 28), np.float32)
    img[8:20, 10:14] = 1.0
    r = shift.follow(model, img, dx=2, dy=2)
    by_name = {ly.name: e for ly, e in zip(model.layers, r["layers"], strict=True)}
    assert by_name["conv1"]["equivariance"] == pytest.approx(1.0, abs=1e-6)
    assert by_name["relu1"]["equivariance"] == pytest.approx(1.0, abs=1e-6)
    assert by_name["pool1"]["shift_in_map"] == [1.0, 1.0]  # 2 input pixels, 1 pooled pixel
    assert by_name["pool1"]["equivariance"] == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(r["input"][10:22, 12:16], 1.0, atol=1e-6)
    assert shift.correlation(np.ones(4), np.arange(4.0)) is None  # constant: undefined


def test_the_square_unit_needs_four_corners_one_side_apart():
    found = {k: square.run(v)["found"] for k, v in square.shapes().items()}
    assert found == {"square": 1.0, "rectangle": 0.0, "triangle": 0.0, "L": 0.0, "line": 0.0}
    r = square.run(square.shapes()["square"])
    assert [int((r["corners"][f] > 0).sum()) for f in range(4)] == [1, 1, 1, 1]
    r = square.run(square.shapes()["L"])
    assert [int((r["corners"][f] > 0).sum()) for f in range(4)] == [0, 0, 1, 0]  # bottom-left
    flat = square.default_weights()
    flat["lines"]["bias"] = [-9.0, -9.0]  # no line is found, so nothing above fires
    assert square.run(square.shapes()["square"], flat)["found"] == 0.0
    with pytest.raises(ValueError, match=r"weights.corners.bias: must be \(4,\)"):
        square.run(square.shapes()["square"], {"corners": {"bias": [1.0]}})
