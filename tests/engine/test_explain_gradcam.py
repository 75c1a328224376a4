"""Grad-CAM on networks whose last conv layer is built by hand, and the upsampling it uses."""

import numpy as np
import pytest

from engine.explain import default_gradcam_layer, gradcam, upsample
from engine.explain.gradcam import interpolation_matrix
from engine.model import Model
from tests.engine.explain_nets import float64, random_input, small_model
from tests.engine.gradcheck import assert_close

W_FC = np.array([[1.0, -1.0], [-2.0, 1.0], [0.5, 0.5]])  # (classes, channels)


def cam_net(relu: bool) -> Model:
    """(1, 6, 6) → conv 2×2 stride 2: channel 0 picks each block's top-left pixel, channel 1
    averages the block → [relu] → global average pool → dense (3 classes) with W_FC."""
    specs = [{"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 2, "stride": 2}}]
    specs += [{"type": "relu"}] if relu else []
    specs += [{"type": "globalavgpool"}, {"type": "dense", "config": {"out_features": 3}}]
    specs += [{"type": "softmax"}]
    model = float64(Model.from_spec(specs, input_shape=(1, 6, 6)))
    conv, fc = model.layers[0], model.layers[-2]
    conv.params["weight"][...] = [[[[1, 0], [0, 0]]], [[[0.25, 0.25], [0.25, 0.25]]]]
    conv.params["bias"][...] = 0
    fc.params["weight"][...] = W_FC
    fc.params["bias"][...] = [0.1, -0.2, 0.3]
    return model


def expected_cam(x: np.ndarray, target: int) -> np.ndarray:
    """With global average pooling, Grad-CAM is the class activation map (Zhou et al., 2016):
    ReLU(sum_k W[target, k] / (h*w) * A_k). x: (6, 6) → (3, 3)."""
    a0 = x[::2, ::2]  # top-left pixel of each 2×2 block
    a1 = x.reshape(3, 2, 3, 2).mean(axis=(1, 3))  # (6, 6) → (3, 2, 3, 2) → block means
    return np.maximum((W_FC[target, 0] * a0 + W_FC[target, 1] * a1) / 9, 0)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("target", [0, 1, 2])
def test_gradcam_equals_the_class_activation_map_of_a_hand_built_net(relu, target):
    model = cam_net(relu)
    x = random_input(1, side=6, seed=target)
    layer = 1 if relu else 0
    assert default_gradcam_layer(model) == layer  # the conv, or the ReLU right after it
    result = gradcam(model, x, target, upsample_mode="nearest")
    want = expected_cam(x[0, 0], target)
    assert result.layer == layer
    assert_close("raw cam", result.raw[0], want, 1e-12, 1e-12)
    assert_close("weights", result.weights[0], W_FC[target] / 9, 1e-12, 1e-12)
    assert_close("cam", result.cam[0], np.kron(want, np.ones((2, 2))), 1e-12, 1e-12)


def test_gradcam_of_a_class_against_the_evidence_is_zero():
    model = cam_net(relu=False)
    x = random_input(1, side=6)
    # class 0 weighs "top-left pixel" +1 and "block mean" -1: positive where the corner
    # pixel outshines its block, clipped to zero elsewhere — never negative.
    assert (gradcam(model, x, 0).cam >= 0).all()
    assert (gradcam(model, np.zeros_like(x), 0).raw == 0).all()


def test_gradcam_refuses_layers_without_feature_maps():
    model = small_model()
    with pytest.raises(ValueError, match=r"layer must be .* one of \[0, 1, 2, 3, 4\]"):
        gradcam(model, random_input(1), 0, layer=5)
    with pytest.raises(ValueError, match="upsample"):
        gradcam(model, random_input(1), 0, upsample_mode="cubic")
    assert default_gradcam_layer(model) == 4  # relu2 after the last conv


def test_bilinear_upsampling_uses_half_pixel_centres():
    R = interpolation_matrix(2, 4, "bilinear")
    want = [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]]  # PyTorch align_corners=False
    assert_close("R", R, np.array(want), 0, 1e-12)
    np.testing.assert_allclose(interpolation_matrix(7, 28).sum(axis=1), 1)
    maps = np.random.default_rng(0).random((2, 3, 5))
    up = upsample(maps, (6, 10))
    assert up.shape == (2, 6, 10)
    assert up.min() >= maps.min() and up.max() <= maps.max()
    assert_close(
        "constant", upsample(np.full((1, 7, 7), 2.5), (28, 28)), np.full((1, 28, 28), 2.5), 0, 1e-12
    )
