"""The resize layer (engine/ops/resize.py, engine/layers/resize.py): every mode and coordinate
transform against a plain loop over output pixels written from the formulas, gradients against
centred differences in float64, and the checks on its configuration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import layers as L
from engine.model import Model
from tests.engine.gradcheck import check_layer

RNG = np.random.default_rng(4)


def _position(o: int, n_in: int, n_out: int, coordinate: str, scale: float) -> float:
    if coordinate == "asymmetric":
        return o / scale
    if coordinate == "align_corners":
        return 0.0 if n_out == 1 else o * (n_in - 1) / (n_out - 1)
    if coordinate == "pytorch_half_pixel" and n_out == 1:
        return 0.0
    return (o + 0.5) / scale - 0.5


def _round(s: float, nearest_mode: str) -> int:
    if nearest_mode == "floor":
        return math.floor(s)
    if nearest_mode == "ceil":
        return math.ceil(s)
    if abs(s - math.floor(s) - 0.5) < 1e-9:
        return math.floor(s) if nearest_mode == "round_prefer_floor" else math.ceil(s)
    return math.floor(s + 0.5)


def _loop(x, size, mode, coordinate, nearest_mode="floor", scale=None):
    """Each output pixel from its source position, one at a time."""
    N, C, H, W = x.shape
    Ho, Wo = size
    sh, sw = scale or (Ho / H, Wo / W)
    y = np.zeros((N, C, Ho, Wo))
    for oh in range(Ho):
        for ow in range(Wo):
            ph = _position(oh, H, Ho, coordinate, sh)
            pw = _position(ow, W, Wo, coordinate, sw)
            if mode == "nearest":
                ih = min(max(_round(ph, nearest_mode), 0), H - 1)
                iw = min(max(_round(pw, nearest_mode), 0), W - 1)
                y[:, :, oh, ow] = x[:, :, ih, iw]
                continue
            ph, pw = min(max(ph, 0.0), H - 1), min(max(pw, 0.0), W - 1)
            h0, w0 = math.floor(ph), math.floor(pw)
            h1, w1 = min(h0 + 1, H - 1), min(w0 + 1, W - 1)
            th, tw = ph - h0, pw - w0
            top = x[:, :, h0, w0] * (1 - tw) + x[:, :, h0, w1] * tw
            bottom = x[:, :, h1, w0] * (1 - tw) + x[:, :, h1, w1] * tw
            y[:, :, oh, ow] = top * (1 - th) + bottom * th
    return y


CASES = [
    ((4, 5), (8, 10), "nearest", "asymmetric", "floor", None),  # nn.Upsample(scale_factor=2)
    ((5, 7), (3, 4), "nearest", "asymmetric", "floor", None),  # down
    ((4, 6), (7, 9), "nearest", "half_pixel", "round_prefer_floor", None),
    ((4, 6), (7, 9), "nearest", "half_pixel", "round_prefer_ceil", None),
    ((4, 6), (7, 9), "nearest", "align_corners", "ceil", None),
    ((4, 5), (8, 10), "bilinear", "half_pixel", "floor", None),
    ((6, 5), (3, 8), "bilinear", "half_pixel", "floor", None),
    ((4, 5), (9, 1), "bilinear", "pytorch_half_pixel", "floor", None),
    ((4, 5), (7, 11), "bilinear", "align_corners", "floor", None),
    ((5, 5), (7, 7), "bilinear", "half_pixel", "floor", (1.5, 1.5)),  # a scale, not size / in
    ((5, 3), (7, 4), "nearest", "asymmetric", "floor", (1.5, 1.5)),
]


@pytest.mark.parametrize("shape, size, mode, coordinate, nearest_mode, scale", CASES)
def test_resize_equals_the_loop_and_its_gradient_the_differences(
    shape, size, mode, coordinate, nearest_mode, scale
):
    x = RNG.standard_normal((2, 3, *shape))
    layer = L.Resize2d(list(size), mode, coordinate, nearest_mode, scale)
    out = layer.forward(x.astype(np.float32))
    assert out.dtype == np.float32 and out.shape == (2, 3, *size)
    np.testing.assert_allclose(
        out, _loop(x, size, mode, coordinate, nearest_mode, scale), atol=1e-6
    )

    def reference(x64, params):
        return _loop(x64, size, mode, coordinate, nearest_mode, scale)

    check_layer(L.Resize2d(list(size), mode, coordinate, nearest_mode, scale), x, reference)


def test_nearest_copies_values_exactly_even_infinite_ones():
    x = RNG.standard_normal((1, 2, 3, 3)).astype(np.float32)
    x[0, 0, 1, 1] = np.inf
    y = L.Resize2d([6, 6]).forward(x)
    assert np.isinf(y[0, 0, 2:4, 2:4]).all() and np.isfinite(y[0, 1]).all()
    np.testing.assert_array_equal(y[0, 1, ::2, ::2], x[0, 1])


def test_in_a_model_it_saves_loads_and_trains():
    specs = [
        {"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 3, "padding": 1}},
        {"type": "resize2d", "config": {"size": [8, 8], "mode": "bilinear"}},
        {"type": "flatten"},
        {"type": "dense", "config": {"out_features": 3}},
    ]
    model = Model.from_spec(specs, (1, 4, 4), seed=0)
    assert (2, 8, 8) in model.shapes and model.forward(
        np.zeros((1, 1, 4, 4), np.float32)
    ).shape == (1, 3)
    again = Model.from_spec(model.specs(), (1, 4, 4), seed=0)
    assert again.layers[1].config() == {
        "size": [8, 8],
        "mode": "bilinear",
        "coordinate": "half_pixel",
    }
    x = RNG.standard_normal((5, 1, 4, 4)).astype(np.float32)
    loss, _ = model.train_step(x, np.array([0, 1, 2, 0, 1]))
    assert np.isfinite(loss) and np.abs(model.grads()[f"{model.layers[0].name}.weight"]).sum() > 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"size": [4]}, "size must be 2 ints"),
        ({"size": [4, 0]}, "size must be 2 ints"),
        ({"size": [4, 4], "mode": "bicubic"}, "mode must be one of"),
        ({"size": [4, 4], "coordinate": "tf_crop_and_resize"}, "coordinate must be one of"),
        ({"size": [4, 4], "nearest_mode": "round"}, "nearest_mode must be one of"),
        ({"size": [4, 4], "scale": [2.0]}, "scale must be 2 numbers"),
    ],
)
def test_bad_configurations_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        L.Resize2d(**kwargs)
